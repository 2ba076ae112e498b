"""Test helpers of the billing engine: running it in the test process against a live server's database."""

from __future__ import annotations

import asyncio
import gc
from datetime import date
from typing import Any

from quire.billing.engine import RunResult
from quire.billing.run import run_billing
from quire.core.db import make_engine, make_sessionmaker
from quire.core.runtime import configure_sessions
from tests.support import ApiClient, LiveServer


def run(server: LiveServer, as_of: date, account_id: str | None = None, **kwargs: Any) -> RunResult:
    """``run_billing`` on the server's database, as the CLI would run it."""
    async def go() -> RunResult:
        db = make_engine(server.settings)
        try:
            factory = make_sessionmaker(db)
            configure_sessions(factory, server.settings)  # as the app's own sessions: its SMTP settings
            return await run_billing(factory, as_of, account_id, **kwargs)
        finally:
            await db.dispose()

    return asyncio.run(go())


def server_of(client: ApiClient) -> LiveServer:
    """The live server ``client`` talks to (servers run in the test process)."""
    url = str(client.base_url).rstrip("/")
    for obj in gc.get_objects():
        if isinstance(obj, LiveServer) and obj.base_url == url:
            return obj
    raise LookupError(f"no live server at {url}")


def real_billing_run(client: ApiClient) -> str:
    """A billing run of ``client``'s account that bills nothing (no schedule is asked for)."""
    assert client.credential is not None
    account = client.credential.account_id
    result = run(server_of(client), date(2023, 12, 31), account, schedule_ids=[])
    return result.runs[account]
