"""HTTP routes of the Notification Policies tag (2024-01-01). Thin by design."""

# (No ``from __future__ import annotations``: FastAPI reads the annotations of the endpoints made below.)

from typing import Annotated, Any

from fastapi import Path

from quire.core.declared_errors import database_errors_400
from quire.core.http import Account, Session, api_router
from quire.core.routing import ObjectRoutes
from quire.notifications import policies
from quire.notifications.schemas import PolicyCreate, PolicyPage, PolicyRead, RecipientsAdd, TypesAdd, present_policy

router = api_router()
TAGS = ["Notification Policies"]
BASE = "/notifications/policies"
DECLARED = database_errors_400()  # the contract's declared 400 body (core/declared_errors.py)

policy = ObjectRoutes(router, TAGS, PolicyRead, present_policy)
policy.list(BASE, "getNotificationsPolicies", "get_notification_policies", PolicyPage, policies.list_policies)
policy.create(BASE, "postNotificationsPolicies", "post_notification_policy", PolicyCreate, policies.create_policy,
              responses=DECLARED)
policy.get(BASE + "/{id}", "getNotificationsPoliciesById", "get_notification_policy", policies.get_policy)
policy.delete(BASE + "/{id}", "deleteNotificationsPoliciesById", "delete_notification_policy", policies.delete_policy)


def _add(suffix: str, operation_id: str, model: Any, call: Any) -> None:
    """``POST …/{id}/<suffix>``: add what the body (a ``model``) lists to the policy."""
    async def endpoint(id: str, body: model, session: Session, account: Account) -> Any:  # type: ignore[valid-type]
        return present_policy(await call(session, account, id, body))

    router.add_api_route(f"{BASE}/{{id}}/{suffix}", endpoint, methods=["POST"], operation_id=operation_id,
                         name=call.__name__, response_model=PolicyRead, tags=TAGS, responses=DECLARED)


def _remove(suffix: str, operation_id: str, call: Any) -> None:
    """``DELETE …/{id}/<suffix>/{value}``: remove one value (the path's last parameter) from the policy."""
    Value = Annotated[str, Path(alias=suffix.rsplit("{", 1)[1].split("}")[0].split(":")[0])]

    async def endpoint(id: str, value: Value, session: Session, account: Account) -> Any:  # type: ignore[valid-type]
        return present_policy(await call(session, account, id, value))

    router.add_api_route(f"{BASE}/{{id}}/{suffix}", endpoint, methods=["DELETE"], operation_id=operation_id,
                         name=call.__name__, response_model=PolicyRead, tags=TAGS, responses=DECLARED)


_add("notification-types", "postNotificationsPoliciesByIdNotificationTypes", TypesAdd, policies.add_types)
_remove("notification-types/{type}", "deleteNotificationsPoliciesByIdNotificationTypesByType", policies.remove_type)
_add("recipients", "postNotificationsPoliciesByIdRecipients", RecipientsAdd, policies.add_recipients)
# ``:path``: a URL recipient sent percent-encoded (``https%3A%2F%2F…``) arrives decoded, slashes and all.
_remove("recipients/{recipient:path}", "deleteNotificationsPoliciesByIdRecipientsByRecipient", policies.remove_recipient)
