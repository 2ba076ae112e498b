"""Alert emails to an account's ``alertEmailAddresses`` (docs/webhooks.md#alert-emails): a webhook delivery
gone DEAD, a FAILED billing run, an email the outbox gave up on. A live Quire with its in-process worker,
a real local SMTP server and, for the webhooks, a URL where nothing listens; both databases."""

from __future__ import annotations

import email
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from quire.billing import engine
from quire.outbox.models import OutboxEmail
from tests.api.billing_helpers import run
from tests.api.invoice_helpers import add_line, new_customer, new_invoice
from tests.api.test_billing_engine import price, schedule
from tests.conftest import BACKENDS, MAIL_SETTINGS
from tests.support import (
    ApiClient, LiveServer, SmtpSink, drop_pg_database, free_port, in_database, required_pg_database, start_server,
)

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

#: A delivery is DEAD once it has failed for half a second (docs/webhooks.md#delivery-retries-and-dead).
FAST_DEATH = {"webhook_timeout_seconds": 1.0, "webhook_retry_base_seconds": 0.1, "webhook_retry_max_seconds": 0.2,
              "webhook_retry_window_seconds": 0.5}


@pytest.fixture(scope="module", params=BACKENDS)
def alert_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, SmtpSink]]:
    url = (f"sqlite:///{Path(tmp_path_factory.mktemp('sqlite-alerts')) / 'quire.db'}" if request.param == "sqlite"
           else required_pg_database())
    sink = SmtpSink()
    sink.start()
    live = start_server(f"{request.param}-alerts", url, smtp_url=sink.url, **MAIL_SETTINGS, **FAST_DEATH)
    yield live, sink
    live.stop()
    sink.stop()
    if request.param == "postgresql":
        drop_pg_database(url)


@contextmanager
def account(live: LiveServer, *alert_addresses: str) -> Iterator[ApiClient]:
    with ApiClient(live.base_url, live.new_account("Alerted")) as client:
        assert client.credential is not None
        if alert_addresses:
            put = client.put(f"/sequence-accounts/{client.credential.account_id}",
                             json={"alertEmailAddresses": list(alert_addresses)})
            assert put.status_code == 200, put.text
        yield client


def address(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@merchant.example"


def mails_to(sink: SmtpSink, to: str, count: int = 1, timeout: float = 20.0) -> list[email.message.EmailMessage]:
    """The messages ``to`` received, once there are at least ``count`` (then a moment more, to catch a repeat)."""
    deadline = time.monotonic() + timeout
    while len(sink.received_by(to)) < count:
        assert time.monotonic() < deadline, f"{to} received {len(sink.received_by(to))} of {count} emails"
        time.sleep(0.05)
    time.sleep(1.5)  # several more delivery passes, retries and sweeps of the in-process worker
    return [email.message_from_bytes(m.content, policy=email.policy.default)  # type: ignore[misc]
            for m in sink.received_by(to)]


def subject(message: Any) -> str:
    return " ".join(str(message["Subject"]).split())  # unfolded


def text_of(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content())


def alerts_of(live: LiveServer, account_id: str) -> int:
    return in_database(live, lambda s: s.scalar(select(func.count()).select_from(OutboxEmail).where(
        OutboxEmail.account_id == account_id, OutboxEmail.subject_type.like("alert.%"))))


def wait_dead(client: ApiClient, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while True:
        dead = client.get("/notifications/deliveries", params={"status": "DEAD"}).json()["items"]
        if len(dead) >= count:
            return dead
        assert time.monotonic() < deadline, f"{len(dead)} of {count} deliveries DEAD"
        time.sleep(0.1)


def test_dead_webhook_deliveries_alert_once_even_without_customer_notifications(
        alert_server: tuple[LiveServer, SmtpSink]) -> None:
    live, sink = alert_server
    ops, finance = address("ops"), address("finance")
    nowhere = f"http://127.0.0.1:{free_port()}/hooks"  # nothing listens: every attempt is refused
    with account(live, ops, finance) as client, account(live) as quiet:
        assert client.credential is not None and quiet.credential is not None
        # Alerts are the merchant's own: the customer switch does not silence them.
        assert live.cli("accounts", "set", client.credential.account_id, "--no-customer-notifications").returncode == 0
        for api in (client, quiet):
            made = api.post("/notifications/policies", json={"name": "hooks", "channel": "WEBHOOK",
                                                             "recipients": [nowhere], "notificationTypes": ["CUSTOMER_CREATED"]})
            assert made.status_code == 201, made.text
        customers = [new_customer(client)["id"] for _ in range(3)]
        new_customer(quiet)
        dead = wait_dead(client, 3)
        wait_dead(quiet, 1)

        [alert] = mails_to(sink, ops)
        assert len(sink.received_by(finance)) == 1  # the same one message, to every alert address
        assert sorted(sink.received_by(ops)[0].rcpt_tos) == sorted([ops, finance])
        assert subject(alert) == f"Quire alert: webhook deliveries to {nowhere} are failing"
        body = text_of(alert)
        assert "are DEAD" in body and "DEAD to this URL in all" in body
        assert any(customer in body for customer in customers) and dead[0]["policyId"] in body
        assert "ConnectError" in body  # the last error, so the reader knows what to fix
        # Redelivered, it dies again: within the hour, no second alert about the same endpoint.
        assert client.post(f"/notifications/deliveries/{dead[0]['id']}/redeliver").status_code == 200
        time.sleep(2.0)
        assert len(sink.received_by(ops)) == 1
        assert alerts_of(live, client.credential.account_id) == 1
        assert alerts_of(live, quiet.credential.account_id) == 0  # no alert address, no alert


def test_a_customer_email_the_outbox_gives_up_on_alerts_once(alert_server: tuple[LiveServer, SmtpSink]) -> None:
    live, sink = alert_server
    ops, customer_email = address("ops"), address("nobody")
    sink.refused.add(customer_email)  # 550: refused for good, so FAILED at the first attempt
    with account(live, ops) as client:
        customer = new_customer(client)
        invoice = new_invoice(client, customer=customer, customerEmails=[customer_email])
        add_line(client, invoice["id"])
        assert client.post(f"/invoices/{invoice['id']}/finalize-and-send").status_code == 200
        [alert] = mails_to(sink, ops)
        [failed] = client.get(f"/invoices/{invoice['id']}/emails").json()["items"]
        assert failed["status"] == "FAILED"
        assert subject(alert).startswith(f"Quire alert: an email could not be delivered to {customer_email}")
        body = text_of(alert)
        assert f"invoice {invoice['id']}" in body and failed["id"] in body and "550" in body
        # Retried by hand, it fails again: the same email, no second alert.
        assert client.post(f"/invoices/{invoice['id']}/emails/{failed['id']}/retry").status_code == 200
        deadline = time.monotonic() + 20
        while client.get(f"/invoices/{invoice['id']}/emails").json()["items"][0]["status"] != "FAILED":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)
        assert len(sink.received_by(ops)) == 1
    assert sink.received_by(customer_email) == []


def test_a_failed_billing_run_alerts_once_per_run(alert_server: tuple[LiveServer, SmtpSink],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    live, sink = alert_server
    ops = address("billing-ops")
    with account(live, ops) as client:
        customer = new_customer(client)
        fee = price(client, "FIXED", "50.00")
        s = schedule(client, customer["id"], [fee["id"]], "2026-01-01")

        async def crashing(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("disk full")

        real = engine._write_lines
        monkeypatch.setattr(engine, "_write_lines", crashing)  # every invoice's transaction rolls back
        broken = run(live, date(2026, 3, 1), s["sequenceAccountId"])
        monkeypatch.setattr(engine, "_write_lines", real)
        assert broken.counts.errors > 0
        run_id = broken.runs[s["sequenceAccountId"]]
        [alert] = mails_to(sink, ops)
        assert subject(alert) == f"Quire alert: billing run of 2026-03-01 failed ({broken.counts.errors} errors)"
        body = text_of(alert)
        assert f"GET /billing-runs/{run_id}" in body and "RuntimeError" in body
        fixed = run(live, date(2026, 3, 1), s["sequenceAccountId"])
        assert fixed.counts.errors == 0
        time.sleep(1.0)
        assert len(sink.received_by(ops)) == 1  # a run that completes alerts nobody
