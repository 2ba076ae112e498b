"""Delivery of credit notes, as for invoices (tests/api/test_delivery.py): the PDF stored once it is
issued, the email sent through the outbox to a real SMTP server (aiosmtpd), failures listed and
retryable through ``/credit-notes/{id}/emails``. No mocks."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select, update

from quire.creditnotes.models import CreditNoteDocument
from tests.api.invoice_helpers import action, add_line, new_customer, new_invoice
from tests.api.test_credit_notes import credit_line, new_note, note_action
from tests.api.test_delivery import MERCHANT, in_database, mail_client, parts, text_of, wait_for
from tests.conftest import MAIL_SETTINGS
from tests.support import ApiClient, LiveServer, SmtpSink

__all__ = ["mail_client"]  # the fixture, shared with test_delivery.py

# The test SMTP server takes AUTH over plain SMTP on loopback; aiosmtpd warns about that on each connection.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

CREDIT = "£720.30"  # one consulting day of 600.25 at 20 %


def credited(client: ApiClient, how: str | None = None, *, customer_emails: list[str] | None = None,
             **fields: Any) -> dict[str, Any]:
    """A credit note of one consulting day (gross £720.30) against a FINAL invoice of two, then ``how``."""
    body = {"customerEmails": customer_emails} if customer_emails is not None else {}
    invoice = new_invoice(client, customer=new_customer(client, legalName="Globex Corporation"), **body)
    invoice_line = add_line(client, invoice["id"], title="Consulting day", quantity="2", rate="600.25")
    invoice = action(client, invoice["id"], "finalize").json()
    note = new_note(client, invoice, **fields)
    credit_line(client, note["id"], title="Consulting day refund", quantity="1", rate="600.25",
                lineItemId=invoice_line["id"])
    if how is None:
        return note
    response = note_action(client, note["id"], how)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def emails(client: ApiClient, note_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/credit-notes/{note_id}/emails")
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def email_in(client: ApiClient, note_id: str, status: str) -> dict[str, Any]:
    return wait_for(lambda: next((e for e in emails(client, note_id) if e["status"] == status), None))  # type: ignore[no-any-return]


def documents(server: LiveServer, note_id: str) -> list[CreditNoteDocument]:
    async def load(session: Any) -> list[CreditNoteDocument]:
        rows = await session.scalars(select(CreditNoteDocument).where(CreditNoteDocument.credit_note_id == note_id)
                                     .order_by(CreditNoteDocument.kind))
        return list(rows)

    return in_database(server, load)  # type: ignore[no-any-return]


# --- email -----------------------------------------------------------------------------------------


def test_finalize_and_send_emails_the_credit_note_with_its_pdf(
    mail_server: tuple[LiveServer, SmtpSink], mail_client: ApiClient
) -> None:
    live, sink = mail_server
    note = credited(mail_client, "finalize-and-send", customer_emails=["cn-ap@globex.example", "cn-cfo@globex.example"],
                    memo="Refund of <b>one</b> day")
    number, invoice_number = note["creditNoteNumber"], note["invoiceNumber"]
    assert note["status"] == "SENT" and note["grossTotal"] == "720.30"
    sent = email_in(mail_client, note["id"], "SENT")
    assert sent["creditNoteId"] == note["id"] and "invoiceId" not in sent
    assert sent["to"] == ["cn-ap@globex.example", "cn-cfo@globex.example"] and sent["cc"] == ["billing@acme.example"]
    subject = f"Credit note {number} for {CREDIT} (invoice {invoice_number}) from Acme Widgets Ltd"
    assert sent["subject"] == subject and sent["attempts"] == 1 and "lastError" not in sent
    assert sent["attachments"] == [{"filename": f"{number}.pdf", "contentType": "application/pdf",
                                    "size": len(mail_client.get(f"/credit-notes/{note['id']}/download").content)}]

    [delivered] = sink.received_by("cn-ap@globex.example")
    assert sorted(delivered.rcpt_tos) == ["billing@acme.example", "cn-ap@globex.example", "cn-cfo@globex.example"]
    assert delivered.mail_from == "invoices@quire.test"
    message = message_from_bytes(delivered.content, _class=EmailMessage, policy=policy.default)
    assert message["To"] == "cn-ap@globex.example, cn-cfo@globex.example" and message["Cc"] == "billing@acme.example"
    assert message["From"] == "Acme Widgets Ltd <invoices@quire.test>"
    assert message["Reply-To"] == "accounts@quire.test"  # QUIRE_MAIL_REPLY_TO
    assert message["Subject"] == subject and message["Message-ID"] == sent["messageId"]
    text, html, attachments = parts(message)
    for body in (text, html):
        assert number in body and invoice_number in body and CREDIT in body and "Globex Corporation" in body
        assert "billing@acme.example" in body and "credit note" in body
    assert "Refund of <b>one</b> day" in text and "Refund of &lt;b&gt;one&lt;/b&gt; day" in html
    assert "/i/" not in text + html  # credit notes have no hosted page
    [pdf] = attachments
    assert pdf.get_content_type() == "application/pdf" and pdf.get_filename() == f"{number}.pdf"
    attached = pdf.get_content()
    content = text_of(attached)
    assert number in content and invoice_number in content and "720.30" in content and "Credit note" in content
    assert attached == mail_client.get(f"/credit-notes/{note['id']}/download").content  # the stored document
    [stored] = documents(live, note["id"])
    assert stored.kind == "ISSUED" and stored.content == attached


def test_send_after_finalize_and_resend(mail_server: tuple[LiveServer, SmtpSink], mail_client: ApiClient) -> None:
    _, sink = mail_server
    note = credited(mail_client, "finalize", customer_emails=["cn-resend@globex.example"])
    assert emails(mail_client, note["id"]) == []  # finalize alone sends nothing
    assert note_action(mail_client, note["id"], "send").status_code == 200
    first = email_in(mail_client, note["id"], "SENT")
    assert note_action(mail_client, note["id"], "send").status_code == 200  # a re-send is one more email
    wait_for(lambda: [e["status"] for e in emails(mail_client, note["id"])] == ["SENT", "SENT"])
    assert len(sink.received_by("cn-resend@globex.example")) == 2
    refused = mail_client.post(f"/credit-notes/{note['id']}/emails/{first['id']}/retry")
    assert refused.status_code == 400 and refused.json()["error"]["type"] == "EmailNotRetryable"


def test_smtp_outage_is_visible_and_retryable(mail_server: tuple[LiveServer, SmtpSink], mail_client: ApiClient) -> None:
    _, sink = mail_server
    sink.stop()  # the port is closed: every attempt is refused
    try:
        note = credited(mail_client, "finalize-and-send", customer_emails=["cn-outage@globex.example"])
        assert note["status"] == "SENT"  # the status changes whatever happens to the email
        failed = email_in(mail_client, note["id"], "FAILED")
        assert failed["attempts"] == MAIL_SETTINGS["mail_max_attempts"] == failed["maxAttempts"]
        assert "ConnectionRefusedError" in failed["lastError"] and "s3cret" not in failed["lastError"]
    finally:
        sink.start()
    retried = mail_client.post(f"/credit-notes/{note['id']}/emails/{failed['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["creditNoteId"] == note["id"]
    sent = email_in(mail_client, note["id"], "SENT")
    assert sent["id"] == failed["id"] and sent["attempts"] == MAIL_SETTINGS["mail_max_attempts"] + 1
    [delivered] = sink.received_by("cn-outage@globex.example")
    assert sent["messageId"] in delivered.content.decode()


def test_without_smtp_the_email_waits_in_the_outbox(client: ApiClient) -> None:
    client.put("/merchant-settings", json=MERCHANT)
    note = credited(client, "finalize")
    key = {"Idempotency-Key": f"send-{note['id']}"}
    first = client.post(f"/credit-notes/{note['id']}/send", headers=key)
    replay = client.post(f"/credit-notes/{note['id']}/send", headers=key)
    assert first.status_code == replay.status_code == 200 and first.json()["status"] == "SENT"
    [queued] = emails(client, note["id"])  # the replay queued nothing
    assert queued["status"] == "NOT_CONFIGURED" and queued["attempts"] == 0 and "QUIRE_SMTP_URL" in queued["lastError"]
    # The credit note's customerEmails (copied from the invoice it credits), CC the merchant.
    assert queued["to"] == note["customerEmails"] and queued["cc"] == ["billing@acme.example"]
    assert queued["replyTo"] == "billing@acme.example"
    assert queued["subject"] == f"Credit note CN00001 for {CREDIT} (invoice INV00001) from Acme Widgets Ltd"
    assert [a["filename"] for a in queued["attachments"]] == ["CN00001.pdf"]
    refused = client.post(f"/credit-notes/{note['id']}/emails/{queued['id']}/retry")
    assert refused.status_code == 400 and refused.json()["error"]["type"] == "MailNotConfigured"

    # No recipient at all (no customer email, no merchant email, hence no merchant details): FAILED at
    # once, and listed.
    client.put("/merchant-settings", json={k: v for k, v in MERCHANT.items() if k != "email"})
    lonely = credited(client, None, customer_emails=[])
    assert note_action(client, lonely["id"], "finalize-and-send").status_code == 200
    [failed] = emails(client, lonely["id"])
    assert failed["status"] == "FAILED" and failed["to"] == [] and failed["cc"] == []
    assert "no recipient" in failed["lastError"]
    assert failed["subject"] == f"Credit note CN00002 for {CREDIT} (invoice INV00002)" and "replyTo" not in failed


# --- stored PDF --------------------------------------------------------------------------------------


def test_issued_pdf_is_stored_once_and_served_as_stored(server: LiveServer, client: ApiClient) -> None:
    client.put("/merchant-settings", json=MERCHANT)
    note = credited(client)
    draft = client.get(f"/credit-notes/{note['id']}/download")
    assert draft.status_code == 200 and "DRAFT" in text_of(draft.content)  # drafts render on demand
    assert documents(server, note["id"]) == []
    assert note_action(client, note["id"], "finalize").status_code == 200
    first = client.get(f"/credit-notes/{note['id']}/download")
    assert first.headers["content-disposition"] == 'attachment; filename="CN00001.pdf"'
    assert "CN00001" in text_of(first.content) and "DRAFT" not in text_of(first.content)

    # Stored just after the finalize commits (rendered off the numbering lock); a download in between
    # renders the very same bytes on demand.
    wait_for(lambda: len(documents(server, note["id"])) == 1)
    [stored] = documents(server, note["id"])
    assert stored.kind == "ISSUED" and stored.filename == "CN00001.pdf" and stored.content == first.content

    # A later change of merchant settings does not touch the issued document.
    changed = client.put("/merchant-settings", json={**MERCHANT, "legalCompanyName": "Renamed Holdings plc"})
    assert changed.status_code == 200, changed.text
    after = client.get(f"/credit-notes/{note['id']}/download").content
    assert after == first.content and "Renamed Holdings" not in text_of(after)

    # Downloads serve the stored bytes, not a fresh rendering: replace them and the download follows.
    async def replace(session: Any) -> None:
        await session.execute(update(CreditNoteDocument).where(CreditNoteDocument.id == stored.id)
                              .values(content=draft.content))

    in_database(server, replace)
    assert client.get(f"/credit-notes/{note['id']}/download").content == draft.content
    assert note_action(client, note["id"], "send").status_code == 200  # sending keeps the stored document
    assert [d.id for d in documents(server, note["id"])] == [stored.id]
    [queued] = emails(client, note["id"])
    assert queued["attachments"][0]["size"] == len(draft.content)  # the email attaches the stored bytes


def test_void_stores_a_void_copy_and_keeps_the_issued_one(server: LiveServer, client: ApiClient) -> None:
    note = credited(client, "finalize-and-send")
    issued_pdf = client.get(f"/credit-notes/{note['id']}/download").content
    assert note_action(client, note["id"], "void").status_code == 200
    voided_pdf = client.get(f"/credit-notes/{note['id']}/download")
    assert voided_pdf.content != issued_pdf and "VOID" in text_of(voided_pdf.content)
    assert voided_pdf.headers["content-disposition"] == 'attachment; filename="CN00001.pdf"'
    assert [d.kind for d in documents(server, note["id"])] == ["ISSUED", "VOIDED"]

    draft = credited(client)  # voiding a draft numbers it; its only document is the void one
    numbered = note_action(client, draft["id"], "void").json()
    pdf = client.get(f"/credit-notes/{draft['id']}/download")
    assert f'filename="{numbered["creditNoteNumber"]}.pdf"' in pdf.headers["content-disposition"]
    assert "VOID" in text_of(pdf.content)
    assert [d.kind for d in documents(server, draft["id"])] == ["VOIDED"]
    assert emails(client, draft["id"]) == []


# --- scope -------------------------------------------------------------------------------------------


def test_credit_note_delivery_is_scoped_by_account(client: ApiClient, other_client: ApiClient) -> None:
    note = credited(client, "finalize-and-send")
    [queued] = emails(client, note["id"])
    nid = note["id"]
    for method, path in (("GET", f"/credit-notes/{nid}/emails"),
                         ("POST", f"/credit-notes/{nid}/emails/{queued['id']}/retry"),
                         ("GET", f"/credit-notes/{nid}/download"),
                         ("GET", "/credit-notes/not-an-id/emails"),
                         ("POST", f"/credit-notes/{nid}/emails/not-an-id/retry")):
        response = other_client.request(method, path)
        assert response.status_code == 404 and response.json()["error"]["type"] == "NotFound", (method, path)
    # An invoice's email is not reachable through a credit note, nor the reverse.
    invoice = new_invoice(client)
    add_line(client, invoice["id"])
    assert action(client, invoice["id"], "finalize-and-send").status_code == 200
    [invoice_email] = client.get(f"/invoices/{invoice['id']}/emails").json()["items"]
    for path in (f"/credit-notes/{nid}/emails/{invoice_email['id']}/retry",
                 f"/invoices/{invoice['id']}/emails/{queued['id']}/retry"):
        response = client.post(path)
        assert response.status_code == 404 and response.json()["error"]["type"] == "NotFound", path
    with ApiClient(client.base_url, None) as unauthenticated:
        assert unauthenticated.get(f"/credit-notes/{nid}/emails").status_code == 401
    assert client.get(f"/credit-notes/{nid}/emails", params={"limit": 0}).status_code == 400
