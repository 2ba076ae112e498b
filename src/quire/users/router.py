"""HTTP routes of tag Users (2024-01-01). Users are created by ``quire users create`` (docs/accounts.md)."""

from __future__ import annotations

from quire.core.http import api_router
from quire.core.routing import ObjectRoutes
from quire.users import service
from quire.users.schemas import SequenceUserPage, SequenceUserRead, SequenceUserUpdate, SequenceUserUpdateRead

router = api_router()

users = ObjectRoutes(router, ["Users"], SequenceUserRead, service.present_user)
users.list("/users", "getUsers", "get_users", SequenceUserPage, service.list_users)
users.get("/users/{id}", "getUsersById", "get_user", service.get_user)
users.delete("/users/{id}", "deleteUsersById", "delete_user", service.delete_user)
updates = ObjectRoutes(router, ["Users"], SequenceUserUpdateRead, service.present_update)
updates.update("/users/{id}", "putUsersById", "put_user", SequenceUserUpdate, service.update_user, status_code=201)
