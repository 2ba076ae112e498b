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


def start_worker(settings: Settings, *args: str, window: str = "86400") -> subprocess.Popen[bytes]:
    env = {**os.environ, "QUIRE_DATABASE_URL": settings.database_url, "PYTHONPATH": str(ROOT),
           "QUIRE_WEBHOOK_TIMEOUT_SECONDS": "1", "QUIRE_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
           "QUIRE_WEBHOOK_RETRY_MAX_SECONDS": "1", "QUIRE_WEBHOOK_RETRY_WINDOW_SECONDS": window}
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
    assert len(twice) <= 20  # at most the killed worker's batch

    async def statuses(session: Any) -> dict[str, int]:
        rows = await session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status))
        return dict(rows.all())

    assert in_transaction(database, statuses, commit=False) == {"DELIVERED": EVENTS}


def test_an_event_rolls_back_with_its_change(database: Settings) -> None:  # noqa: F811 - the fixture
    """The event, its deliveries and its job are written in the change's transaction: rolled back, none."""
    from quire.customers.schemas import CustomerCreate
    from quire.customers.service import create_customer
    from quire.notifications.models import Event
    from tests.factories import customer_body

    async def setup(session: Any) -> str:
        account = (await create_account(session, name="Rollback")).account_id
        await create_policy(session, account, PolicyCreate.model_validate(
            {"name": "hooks", "channel": "WEBHOOK", "recipients": ["http://127.0.0.1:9/x"]}))
        return account

    account = in_transaction(database, setup, commit=True)

    async def create(session: Any) -> str:
        return (await create_customer(session, account, CustomerCreate.model_validate(customer_body()))).id

    rolled_back = in_transaction(database, create, commit=False)
    kept = in_transaction(database, create, commit=True)

    async def recorded(session: Any) -> tuple[list[str], list[str]]:
        events = (await session.scalars(select(Event.resource_id).where(Event.account_id == account))).all()
        deliveries = (await session.scalars(select(WebhookDelivery.resource_id)
                                            .where(WebhookDelivery.account_id == account))).all()
        return list(events), list(deliveries)

    assert in_transaction(database, recorded, commit=False) == ([kept], [kept])
    assert rolled_back != kept


def test_a_delivery_failing_past_its_window_is_dead(database: Settings) -> None:  # noqa: F811 - the fixture
    receiver = Receiver(behaviour=lambda path, seen: 503).start()

    async def event(session: Any) -> str:
        account = (await create_account(session, name="Dead")).account_id
        await create_policy(session, account, PolicyCreate.model_validate(
            {"name": "hooks", "channel": "WEBHOOK", "recipients": [receiver.url()]}))
        recorded = await record_event(session, account, "CUSTOMER_CREATED", "Customer", "c-1", {"n": 1})
        assert recorded is not None
        return recorded.id

    async def state(session: Any) -> tuple[str, int] | None:
        row = (await session.execute(select(WebhookDelivery.status, WebhookDelivery.attempts)
                                     .where(WebhookDelivery.event_id == event_id))).one()
        return (row[0], row[1]) if row[0] == "DEAD" else None

    try:
        event_id = in_transaction(database, event, commit=True)
        worker = start_worker(database, window="5")
        try:
            status, attempts = wait_for(lambda: in_transaction(database, state, commit=False), timeout=30)
        finally:
            stop(worker)
    finally:
        receiver.stop()
    assert status == "DEAD" and attempts >= 2  # retried (0.2 s, 0.4 s, … 1 s) until the 5 s window ran out
    assert {r.event_id for r in receiver.received} == {event_id}
