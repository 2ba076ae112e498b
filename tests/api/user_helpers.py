"""A real user of a client's account, made in the live server's database (users come from the CLI, not the API)."""

from __future__ import annotations

import uuid

from quire.users.service import create_user
from tests.support import LIVE_SERVERS, ApiClient, in_database


def real_user(client: ApiClient) -> str:
    """The id of a new user of ``client``'s account (no password: it cannot sign in)."""
    assert client.credential is not None
    account = client.credential.account_id
    server = LIVE_SERVERS[str(client.base_url).rstrip("/")]

    async def make(session: object) -> str:
        user, _ = await create_user(session, email=f"user-{uuid.uuid4().hex[:12]}@quire.example",  # type: ignore[arg-type]
                                    account_ids=[account], password_hash=None)
        return user.id

    return in_database(server, make)
