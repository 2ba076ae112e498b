"""Payment reminders: 7 days before and on the due date of an unpaid SENT invoice, each once, through the
outbox to a real SMTP server, from the ``reminders.send_due`` job run by the server's own worker."""

from __future__ import annotations

import time
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select, text

from quire.core import clock
from quire.jobs import defer
from quire.reminders.models import InvoiceReminder
from tests.api.test_delivery import MERCHANT, emails, issued, parts, wait_for
from tests.support import ApiClient, LiveServer, SmtpSink, in_database

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def run_reminders(live: LiveServer, today: date | None, account_id: str) -> None:
    """Defer ``reminders.send_due`` (as of ``today``, or the clock's date when None) and wait until the
    server's worker has run it."""
    args: dict[str, Any] = {"account_id": account_id} | ({"today": today.isoformat()} if today else {})
    job_id = in_database(live, lambda s: defer(s, "reminders.send_due", **args))
    table = "quire_jobs" if live.settings.is_sqlite else "procrastinate_jobs"
    deadline = time.monotonic() + 30
    while True:
        status = in_database(live, lambda s: s.scalar(text(f"SELECT status FROM {table} WHERE id = :id"), {"id": job_id}))
        if status is None or status == "succeeded":
            return
        assert status not in ("failed", "aborted"), status
        assert time.monotonic() < deadline, f"reminders job still {status}"
        time.sleep(0.05)


def reminders_of(live: LiveServer, invoice_id: str) -> list[str]:
    async def kinds(session: Any) -> list[str]:
        return list(await session.scalars(select(InvoiceReminder.kind).where(InvoiceReminder.invoice_id == invoice_id)
                                          .order_by(InvoiceReminder.created_at)))

    return in_database(live, kinds)


def _account(client: ApiClient) -> str:
    assert client.credential is not None
    return client.credential.account_id


def test_before_and_on_the_due_date_each_once(mail_server: tuple[LiveServer, SmtpSink]) -> None:
    live, sink = mail_server
    with ApiClient(live.base_url, live.new_account(merchant_settings=MERCHANT)) as client:
        invoice = issued(client, "finalize-and-send", customerEmails=["dunning-ap@globex.example"])
        due = date.fromisoformat(invoice["dueDate"])  # the merchant's 30 days of terms
        number, account = invoice["invoiceNumber"], _account(client)
        email_in = lambda n: wait_for(lambda: len(emails(client, invoice["id"])) == n and all(  # noqa: E731
            e["status"] == "SENT" for e in emails(client, invoice["id"])))

        run_reminders(live, due - timedelta(days=8), account)
        assert reminders_of(live, invoice["id"]) == [] and len(emails(client, invoice["id"])) == 1  # the invoice's own

        for day in (due - timedelta(days=7), due - timedelta(days=6), due - timedelta(days=1)):
            run_reminders(live, day, account)
        assert reminders_of(live, invoice["id"]) == ["BEFORE_DUE"]
        email_in(2)
        first = emails(client, invoice["id"])[0]  # newest first
        assert first["subject"].startswith(f"Reminder: invoice {number} for £1,440.60 is due on ")
        assert first["to"] == ["dunning-ap@globex.example"] and first["cc"] == ["billing@acme.example"]

        for day in (due, due, due + timedelta(days=1)):
            run_reminders(live, day, account)
        assert reminders_of(live, invoice["id"]) == ["BEFORE_DUE", "ON_DUE"]
        email_in(3)
        delivered = sink.received_by("dunning-ap@globex.example")
        assert len(delivered) == 3  # the invoice and two reminders, no more
        message = message_from_bytes(delivered[-1].content, _class=EmailMessage, policy=policy.default)
        assert message["Subject"] == f"Reminder: invoice {number} for £1,440.60 is due today from Acme Widgets Ltd"
        text_part, html, attachments = parts(message)
        assert "due today" in text_part and number in html and "/i/" in text_part
        assert [a.get_filename() for a in attachments] == [f"{number}.pdf"]

        run_reminders(live, due + timedelta(days=2), account)
        assert len(sink.received_by("dunning-ap@globex.example")) == 3


def test_paid_voided_and_late_invoices_get_none(mail_server: tuple[LiveServer, SmtpSink]) -> None:
    live, _ = mail_server
    with ApiClient(live.base_url, live.new_account(merchant_settings={**MERCHANT, "paymentTermsDays": 3})) as client:
        account = _account(client)
        paid = issued(client, "finalize-and-send", customerEmails=["paid@globex.example"])
        assert client.put(f"/invoices/{paid['id']}/payment-status", json={"paymentStatus": "PAID"}).status_code == 200
        voided = issued(client, "finalize-and-send", customerEmails=["void@globex.example"])
        assert client.post(f"/invoices/{voided['id']}/void").status_code == 200
        final = issued(client, "finalize", customerEmails=["final@globex.example"])  # never sent
        nobody = issued(client, "finalize-and-send", customerEmails=[])  # nobody to remind
        short = issued(client, "finalize-and-send", customerEmails=["short@globex.example"])  # due in 3 days
        due = date.fromisoformat(short["dueDate"])
        for day in (due - timedelta(days=2), due, due + timedelta(days=10)):
            run_reminders(live, day, account)
        for invoice in (paid, voided, final, nobody):
            assert reminders_of(live, invoice["id"]) == []
        # Sent 3 days before it is due: no reminder 7 days before, which would come before the invoice.
        assert reminders_of(live, short["id"]) == ["ON_DUE"]


def test_off_by_setting_or_by_customer_notifications(mail_server: tuple[LiveServer, SmtpSink]) -> None:
    live, sink = mail_server
    settings = {**MERCHANT, "paymentReminders": {"enabled": False}}
    with ApiClient(live.base_url, live.new_account(merchant_settings=settings)) as off, \
            ApiClient(live.base_url, live.new_account(merchant_settings=MERCHANT)) as quiet:
        assert off.get("/merchant-settings").json()["paymentReminders"] == {"enabled": False, "daysBeforeDue": 7, "ccMerchant": True}
        assert live.cli("accounts", "set", _account(quiet), "--no-customer-notifications").returncode == 0
        a = issued(off, "finalize-and-send", customerEmails=["off@globex.example"])
        b = issued(quiet, "finalize-and-send", customerEmails=["quiet@globex.example"])
        due = date.fromisoformat(a["dueDate"])
        for client in (off, quiet):
            run_reminders(live, due, _account(client))
        assert reminders_of(live, a["id"]) == reminders_of(live, b["id"]) == []
        assert sink.received_by("quiet@globex.example") == []
        # Notifications back on later: no stale reminder, and the next one goes.
        assert live.cli("accounts", "set", _account(quiet), "--customer-notifications").returncode == 0
        run_reminders(live, due + timedelta(days=1), _account(quiet))
        assert reminders_of(live, b["id"]) == ["ON_DUE"]


def test_days_before_and_cc_are_settings_and_the_clock_gives_the_date(mail_server: tuple[LiveServer, SmtpSink]) -> None:
    live, _ = mail_server
    settings = {**MERCHANT, "paymentReminders": {"daysBeforeDue": 10, "ccMerchant": False}}
    with ApiClient(live.base_url, live.new_account(merchant_settings=settings)) as client:
        invoice = issued(client, "finalize-and-send", customerEmails=["ten@globex.example"])
        due = date.fromisoformat(invoice["dueDate"])
        now = clock.now()
        clock.set_clock(lambda: now + (due - timedelta(days=10) - now.date()))  # the server's clock too
        try:
            run_reminders(live, None, _account(client))
        finally:
            clock.set_clock(None)
        assert reminders_of(live, invoice["id"]) == ["BEFORE_DUE"]
        reminder = wait_for(lambda: next((e for e in emails(client, invoice["id"]) if e["subject"].startswith("Reminder")), None))
        assert reminder["cc"] == []


def test_two_runs_at_once_send_one_reminder(mail_server: tuple[LiveServer, SmtpSink]) -> None:
    live, sink = mail_server
    with ApiClient(live.base_url, live.new_account(merchant_settings=MERCHANT)) as client:
        invoice = issued(client, "finalize-and-send", customerEmails=["twice@globex.example"])
        due, account = date.fromisoformat(invoice["dueDate"]), _account(client)
        jobs = in_database(live, lambda s: _defer_many(s, due, account, 4))
        assert len(jobs) == 4
        run_reminders(live, due, account)  # after the four, on the same queue
        wait_for(lambda: len(sink.received_by("twice@globex.example")) == 2)
        time.sleep(0.5)
        assert reminders_of(live, invoice["id"]) == ["ON_DUE"]
        assert len(sink.received_by("twice@globex.example")) == 2  # the invoice and one reminder


async def _defer_many(session: Any, due: date, account: str, n: int) -> list[int | None]:
    return [await defer(session, "reminders.send_due", today=due.isoformat(), account_id=account) for _ in range(n)]
