"""``sendCustomerNotifications = false``: statuses change as usual, but no email reaches a customer
(docs/accounts.md). Real SMTP (tests/conftest.py ``mail_server``), real outbox and worker."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.api.billing_helpers import run
from tests.api.invoice_helpers import new_customer
from tests.api.test_billing_engine import invoices, price, schedule
from tests.api.test_credit_note_delivery import credited
from tests.api.test_credit_note_delivery import emails as note_emails
from tests.api.test_delivery import MERCHANT, emails, issued, wait_for
from tests.support import ApiClient, LiveServer, SmtpSink

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def _quiet_account(live: LiveServer) -> ApiClient:
    credential = live.new_account("Quiet account", merchant_settings=MERCHANT)
    done = live.cli("accounts", "set", credential.account_id, "--no-customer-notifications")
    assert done.returncode == 0, done.stderr
    return ApiClient(live.base_url, credential)


def test_documents_are_sent_but_their_emails_suppressed(mail_server: tuple[LiveServer, SmtpSink]) -> None:
    live, sink = mail_server
    with _quiet_account(live) as client:
        invoice = issued(client, "finalize-and-send", customerEmails=["quiet-ap@globex.example"])
        assert invoice["status"] == "SENT"
        [suppressed] = emails(client, invoice["id"])
        assert suppressed["status"] == "SUPPRESSED" and suppressed["attempts"] == 0
        assert "sendCustomerNotifications" in suppressed["lastError"]
        retry = client.post(f"/invoices/{invoice['id']}/emails/{suppressed['id']}/retry")
        assert retry.status_code == 400 and retry.json()["error"]["type"] == "EmailNotRetryable"

        note = credited(client, "finalize-and-send", customer_emails=["quiet-cn@globex.example"])
        assert note["status"] == "SENT"
        assert [e["status"] for e in note_emails(client, note["id"])] == ["SUPPRESSED"]

        # Turned back on, the next send reaches the customer (and the merchant in CC), the earlier one never.
        assert live.cli("accounts", "set", client.credential.account_id, "--customer-notifications").returncode == 0  # type: ignore[union-attr]
        assert client.post(f"/invoices/{invoice['id']}/send").status_code == 200
        wait_for(lambda: sorted(e["status"] for e in emails(client, invoice["id"])) == ["SENT", "SUPPRESSED"])
        assert len(sink.received_by("quiet-ap@globex.example")) == 1
        assert sink.received_by("quiet-cn@globex.example") == []
        assert [e["status"] for e in emails(client, invoice["id"])] == ["SENT", "SUPPRESSED"]  # newest first


def test_auto_issue_only_finalizes_when_customer_notifications_are_off(mail_server: tuple[LiveServer, Any]) -> None:
    live, sink = mail_server
    with _quiet_account(live) as client:
        customer = new_customer(client, billingEmails=["quiet-auto@globex.example"])
        fee = price(client, "FIXED", "25.00")
        s = schedule(client, customer["id"], [fee["id"]], "2026-01-01", autoIssueInvoices=True)
        run(live, date(2026, 2, 5), s["sequenceAccountId"])
        first, running = invoices(client, s["id"])
        assert (first["status"], running["status"]) == ("FINAL", "IN_PROGRESS")  # finalized, not sent
        assert emails(client, first["id"]) == []
        assert sink.received_by("quiet-auto@globex.example") == []
