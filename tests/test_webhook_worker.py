"""Webhook deliveries survive a ``quire worker`` killed with SIGKILL mid-delivery (both databases): after a
restart every event arrives, and only deliveries that were in flight arrive twice, with the same event id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from quire.accounts.service import create_account
from quire.config import Settings
from quire.notifications.events import record_event
from quire.notifications.models import WebhookDelivery
from quire.notifications.policies import create_policy
from quire.notifications.schemas import PolicyCreate
from tests.test_jobs import ROOT, database, in_transaction, stop, wait_for  # noqa: F401 - the fixture too
from tests.webhook_support import Receiver

EVENTS = 30


def start_worker(settings: Settings, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "QUIRE_DATABASE_URL": settings.database_url, "PYTHONPATH": str(ROOT),
           "QUIRE_WEBHOOK_TIMEOUT_SECONDS": "1", "QUIRE_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
           "QUIRE_WEBHOOK_RETRY_MAX_SECONDS": "1"}
    return subprocess.Popen([sys.executable, "-m", "quire.cli", "worker", "--heartbeat", "0.3", "--poll", "0.2",
                             "--queues", "webhooks", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def test_sigkill_mid_delivery_loses_nothing(database: Settings) -> None:  # noqa: F811 - the fixture
    receiver = Receiver(behaviour=lambda path, seen: -0.15).start()  # 150 ms per request: deliveries in flight

    async def events(session: Any) -> list[str]:
        account = (await create_account(session, name="Hooks")).account_id
        await create_policy(session, account, PolicyCreate.model_validate(
            {"name": "hooks", "channel": "WEBHOOK", "recipients": [receiver.url()]}))
        found = []
        for n in range(EVENTS):
            event = await record_event(session, account, "CUSTOMER_CREATED", "Customer", f"customer-{n}", {"n": n})
            assert event is not None
            found.append(event.id)
        return found

    try:
        ids = in_transaction(database, events, commit=True)
        first = start_worker(database)
        try:
            wait_for(lambda: len(receiver.received) >= 5)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        before = {r.event_id for r in receiver.received}
        second = start_worker(database, "--stalled-after", "1.5")
        try:
            receiver.wait_for(lambda: {r.event_id for r in receiver.delivered()} == set(ids), timeout=90)
        finally:
            stop(second)
    finally:
        receiver.stop()
    seen = Counter(r.event_id for r in receiver.received)
    twice = {event_id for event_id, count in seen.items() if count > 1}
    assert twice <= before, "only deliveries in flight at the kill may arrive twice"
    assert len(twice) <= 25  # at most the killed worker's batch

    async def statuses(session: Any) -> dict[str, int]:
        rows = await session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status))
        return dict(rows.all())

    assert in_transaction(database, statuses, commit=False) == {"DELIVERED": EVENTS}
