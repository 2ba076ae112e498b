"""Delivery of issued invoices: stored PDFs, email through a real SMTP server, the hosted page.

``mail_server`` is a live Quire whose QUIRE_SMTP_URL points at a real aiosmtpd server (tests/support.py
``SmtpSink``); ``client`` talks to the plain ``server``, which has no SMTP configured. No mocks: the
outbox, the dispatcher, SMTP and the databases are the real ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from io import BytesIO
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from quire.invoices.delivery.models import InvoiceDocument
from quire.outbox.models import OutboxEmail
from tests.api.invoice_helpers import action, add_line, new_customer, new_invoice
from tests.conftest import MAIL_SETTINGS
from tests.support import in_database, ApiClient, LiveServer, SmtpSink, start_server

# The test SMTP server takes AUTH over plain SMTP on loopback; aiosmtpd warns about that on each connection.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

MERCHANT: dict[str, Any] = {
    "legalCompanyName": "Acme Widgets Ltd",
    "address": {"line1": "1 High Street", "town": "London", "postcode": "SW1A 1AA", "country": "GB"},
    "email": "billing@acme.example",
    "iban": "GB33BUKB20201555555555",
    "ukAccountDetails": {"sortCode": "202015", "accountNumber": "55555555"},
}
GROSS = "£1,440.60"


@pytest.fixture
def mail_client(mail_server: tuple[LiveServer, SmtpSink]) -> Iterator[ApiClient]:
    live, _ = mail_server
    with ApiClient(live.base_url, live.new_account(merchant_settings=MERCHANT)) as api:
        yield api


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def issued(client: ApiClient, how: str = "finalize", **fields: Any) -> dict[str, Any]:
    """An invoice of 2 × 600.25 at 20 % (gross £1,440.60), numbered by ``how``."""
    invoice = new_invoice(client, customer=new_customer(client, legalName="Globex Corporation"), **fields)
    add_line(client, invoice["id"], title="Consulting day", quantity="2", rate="600.25")
    response = action(client, invoice["id"], how)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def emails(client: ApiClient, invoice_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/invoices/{invoice_id}/emails")
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def wait_for(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def email_in(client: ApiClient, invoice_id: str, status: str) -> dict[str, Any]:
    return wait_for(lambda: next((e for e in emails(client, invoice_id) if e["status"] == status), None))  # type: ignore[no-any-return]


def parts(message: EmailMessage) -> tuple[str, str, list[EmailMessage]]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content(), list(message.iter_attachments())


# --- email -----------------------------------------------------------------------------------------


def test_finalize_and_send_emails_customer_and_merchant_with_pdf_and_link(
    mail_server: tuple[LiveServer, SmtpSink], mail_client: ApiClient
) -> None:
    _, sink = mail_server
    invoice = issued(mail_client, "finalize-and-send", customerEmails=["ap@globex.example", "cfo@globex.example"])
    number = invoice["invoiceNumber"]
    sent = email_in(mail_client, invoice["id"], "SENT")
    assert sent["to"] == ["ap@globex.example", "cfo@globex.example"] and sent["cc"] == ["billing@acme.example"]
    assert sent["attempts"] == 1 and sent["sentAt"] and "lastError" not in sent
    assert sent["attachments"] == [{"filename": f"{number}.pdf", "contentType": "application/pdf",
                                    "size": len(mail_client.get(f"/invoices/{invoice['id']}/download").content)}]

    [delivered] = sink.received_by("ap@globex.example")
    assert sorted(delivered.rcpt_tos) == ["ap@globex.example", "billing@acme.example", "cfo@globex.example"]
    assert delivered.mail_from == "invoices@quire.test"
    assert delivered.login == "quire@test"  # user and password from QUIRE_SMTP_URL
    message = message_from_bytes(delivered.content, _class=EmailMessage, policy=policy.default)
    assert message["To"] == "ap@globex.example, cfo@globex.example" and message["Cc"] == "billing@acme.example"
    assert message["From"] == "Acme Widgets Ltd <invoices@quire.test>"
    assert message["Reply-To"] == "accounts@quire.test"  # QUIRE_MAIL_REPLY_TO
    assert message["Message-ID"] == sent["messageId"]
    assert message["Subject"] == f"Invoice {number} for {GROSS} from Acme Widgets Ltd" == sent["subject"]

    link = mail_client.get(f"/invoices/{invoice['id']}/hosted-link").json()["url"]
    assert link.startswith(mail_server[0].base_url + "/i/")
    text, html, attachments = parts(message)
    for body in (text, html):
        assert number in body and GROSS in body and link in body and "Globex Corporation" in body
    assert "<a href=" in html and "<a href" not in text
    [pdf] = attachments
    assert pdf.get_content_type() == "application/pdf" and pdf.get_filename() == f"{number}.pdf"
    attached = pdf.get_content()
    assert number in text_of(attached) and "1,440.60" in text_of(attached)
    assert attached == mail_client.get(f"/invoices/{invoice['id']}/download").content  # the stored document


def test_resend_queues_another_email_and_sent_ones_cannot_be_retried(mail_client: ApiClient) -> None:
    invoice = issued(mail_client, "finalize")
    assert emails(mail_client, invoice["id"]) == []  # finalize alone sends nothing
    assert action(mail_client, invoice["id"], "send").status_code == 200
    first = email_in(mail_client, invoice["id"], "SENT")
    assert action(mail_client, invoice["id"], "send").status_code == 200
    wait_for(lambda: [e["status"] for e in emails(mail_client, invoice["id"])] == ["SENT", "SENT"])
    refused = mail_client.post(f"/invoices/{invoice['id']}/emails/{first['id']}/retry")
    assert refused.status_code == 400 and refused.json()["error"]["type"] == "EmailNotRetryable"
    for other in (invoice["id"], "not-an-id", "%00", "x" * 300):
        missing = mail_client.post(f"/invoices/{invoice['id']}/emails/{other}/retry")
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFound", other


def test_smtp_outage_fails_after_retries_then_retry_delivers(
    mail_server: tuple[LiveServer, SmtpSink], mail_client: ApiClient
) -> None:
    _, sink = mail_server
    sink.stop()  # the port is closed: every attempt is refused
    try:
        invoice = issued(mail_client, "finalize-and-send")
        assert invoice["status"] == "SENT"  # the status changes whatever happens to the email
        failed = email_in(mail_client, invoice["id"], "FAILED")
        assert failed["attempts"] == MAIL_SETTINGS["mail_max_attempts"] == failed["maxAttempts"]
        assert "Could not deliver" in failed["lastError"] and "ConnectionRefusedError" in failed["lastError"]
        assert "s3cret" not in failed["lastError"]  # the SMTP password never shows
    finally:
        sink.start()
    retried = mail_client.post(f"/invoices/{invoice['id']}/emails/{failed['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] in ("PENDING", "SENDING", "SENT")
    sent = email_in(mail_client, invoice["id"], "SENT")
    assert sent["id"] == failed["id"] and sent["attempts"] == MAIL_SETTINGS["mail_max_attempts"] + 1
    assert sent["maxAttempts"] == 2 * MAIL_SETTINGS["mail_max_attempts"]
    [delivered] = sink.received_by(invoice["customerEmails"][0])
    assert sent["messageId"] in delivered.content.decode()


def test_without_smtp_the_email_waits_as_not_configured(client: ApiClient) -> None:
    client.put("/merchant-settings", json=MERCHANT)
    invoice = issued(client, "finalize")
    key = {"Idempotency-Key": f"send-{invoice['id']}"}
    first = client.post(f"/invoices/{invoice['id']}/send", headers=key)
    replay = client.post(f"/invoices/{invoice['id']}/send", headers=key)
    assert first.status_code == replay.status_code == 200 and first.json()["status"] == "SENT"
    [queued] = emails(client, invoice["id"])  # the replay queued nothing
    assert queued["status"] == "NOT_CONFIGURED" and queued["attempts"] == 0
    assert "QUIRE_SMTP_URL" in queued["lastError"]
    assert queued["to"] == invoice["customerEmails"] and queued["cc"] == ["billing@acme.example"]
    assert queued["replyTo"] == "billing@acme.example"  # the merchant, when QUIRE_MAIL_REPLY_TO is unset
    refused = client.post(f"/invoices/{invoice['id']}/emails/{queued['id']}/retry")
    assert refused.status_code == 400 and refused.json()["error"]["type"] == "MailNotConfigured"
    assert emails(client, invoice["id"])[0]["status"] == "NOT_CONFIGURED"


def test_pending_messages_are_delivered_when_an_app_starts(server: LiveServer, client: ApiClient, tmp_path: Any) -> None:
    """A message left PENDING (its process stopped) is sent by the next process that starts."""
    invoice = issued(client, "finalize-and-send")
    [queued] = emails(client, invoice["id"])

    async def make_pending(session: Any) -> None:
        await session.execute(update(OutboxEmail).where(OutboxEmail.id == queued["id"]).values(
            status="PENDING", next_attempt_at=OutboxEmail.created_at))

    in_database(server, make_pending)
    sink = SmtpSink()
    sink.start()
    other = start_server(f"{server.name}-restart", server.settings.database_url, smtp_url=sink.url, **MAIL_SETTINGS)
    try:
        wait_for(lambda: sink.received_by(invoice["customerEmails"][0]))
        assert email_in(client, invoice["id"], "SENT")["attempts"] == 1
    finally:
        other.stop()
        sink.stop()


# --- stored PDF --------------------------------------------------------------------------------------


def test_issued_pdf_is_stored_once_and_served_as_stored(server: LiveServer, client: ApiClient) -> None:
    invoice = new_invoice(client)
    add_line(client, invoice["id"], title="Consulting day", quantity="2", rate="600.25")
    draft = client.get(f"/invoices/{invoice['id']}/download")
    assert draft.status_code == 200 and "DRAFT" in text_of(draft.content)  # drafts render on demand
    assert action(client, invoice["id"], "finalize").status_code == 200
    first = client.get(f"/invoices/{invoice['id']}/download")
    second = client.get(f"/invoices/{invoice['id']}/download")
    assert first.headers["content-disposition"] == 'attachment; filename="INV00001.pdf"'
    assert first.content == second.content and "INV00001" in text_of(first.content)

    async def documents(session: Any) -> list[InvoiceDocument]:
        rows = await session.scalars(select(InvoiceDocument).where(InvoiceDocument.invoice_id == invoice["id"]))
        return list(rows)

    # Stored just after the finalize commits (rendered off the numbering lock); the downloads in between
    # rendered the very same bytes on demand.
    wait_for(lambda: len(in_database(server, documents)) == 1)
    [stored] = in_database(server, documents)
    assert stored.kind == "ISSUED" and stored.content == first.content and stored.size == len(first.content)

    # Downloads serve the stored bytes, not a fresh rendering: replace them and the download follows.
    async def replace(session: Any) -> None:
        await session.execute(update(InvoiceDocument).where(InvoiceDocument.id == stored.id).values(content=draft.content))

    in_database(server, replace)
    assert client.get(f"/invoices/{invoice['id']}/download").content == draft.content
    assert action(client, invoice["id"], "send").status_code == 200  # sending keeps the stored document
    assert len(in_database(server, documents)) == 1


def test_void_stores_a_void_copy_and_keeps_the_issued_one(server: LiveServer, client: ApiClient) -> None:
    invoice = issued(client, "finalize")
    issued_pdf = client.get(f"/invoices/{invoice['id']}/download").content
    assert action(client, invoice["id"], "void").status_code == 200
    voided_pdf = client.get(f"/invoices/{invoice['id']}/download").content
    assert voided_pdf != issued_pdf and "VOID" in text_of(voided_pdf) and "VOID" not in text_of(issued_pdf)
    assert client.get(f"/invoices/{invoice['id']}/download").content == voided_pdf

    draft = new_invoice(client)  # voiding a draft numbers it; its only document is the void one
    numbered = action(client, draft["id"], "void").json()
    pdf = client.get(f"/invoices/{draft['id']}/download")
    assert f'filename="{numbered["invoiceNumber"]}.pdf"' in pdf.headers["content-disposition"]
    assert "VOID" in text_of(pdf.content)

    async def kinds(session: Any) -> list[tuple[str, str]]:
        rows = await session.execute(select(InvoiceDocument.invoice_id, InvoiceDocument.kind)
                                     .where(InvoiceDocument.invoice_id.in_([invoice["id"], draft["id"]])))
        return sorted((row.invoice_id == draft["id"] and "draft" or "final", row.kind) for row in rows)

    assert in_database(server, kinds) == [("draft", "VOIDED"), ("final", "ISSUED"), ("final", "VOIDED")]


# --- hosted page -------------------------------------------------------------------------------------


def test_hosted_page_works_without_auth(client: ApiClient, anonymous: ApiClient) -> None:
    client.put("/merchant-settings", json=MERCHANT)
    invoice = issued(client, "finalize", paymentOptions=["BANK_TRANSFER", "LINK"], memo="Thanks <b>a lot</b>")
    link = client.get(f"/invoices/{invoice['id']}/hosted-link")
    assert link.status_code == 200, link.text
    url = link.json()["url"]
    token = url.rsplit("/", 1)[1]
    assert url == f"http://127.0.0.1:8000/i/{token}" and len(token) == 32  # QUIRE_PUBLIC_URL + 192-bit token
    page = anonymous.get(f"/i/{token}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for expected in ("INV00001", "Globex Corporation", "Acme Widgets Ltd", GROSS, "£1,200.50", "£240.10",
                     "Consulting day", "GB33 BUKB 2020 1555 5555 55", "payment link", f"/i/{token}/pdf",
                     "Thanks &lt;b&gt;a lot&lt;/b&gt;"):
        assert expected in html, expected
    assert "VOID" not in html and "<script" not in html
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    pdf = anonymous.get(f"/i/{token}/pdf")
    assert pdf.status_code == 200 and pdf.content == client.get(f"/invoices/{invoice['id']}/download").content

    hidden = issued(client, "finalize")  # paymentOptions default to BANK_TRANSFER only: no payment link text
    hidden_token = client.get(f"/invoices/{hidden['id']}/hosted-link").json()["url"].rsplit("/", 1)[1]
    assert "payment link" not in anonymous.get(f"/i/{hidden_token}").text


def test_rotation_invalidates_the_old_token(client: ApiClient, anonymous: ApiClient) -> None:
    invoice = issued(client, "finalize")
    old = client.get(f"/invoices/{invoice['id']}/hosted-link").json()
    rotated = client.post(f"/invoices/{invoice['id']}/hosted-link/rotate")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["url"] != old["url"] and new["rotatedAt"] and new["createdAt"] == old["createdAt"]
    assert client.get(f"/invoices/{invoice['id']}/hosted-link").json() == new
    old_token, new_token = old["url"].rsplit("/", 1)[1], new["url"].rsplit("/", 1)[1]
    gone = anonymous.get(f"/i/{old_token}")
    assert gone.status_code == 404 and gone.json()["error"]["type"] == "NotFound"
    assert anonymous.get(f"/i/{old_token}/pdf").status_code == 404
    assert anonymous.get(f"/i/{new_token}").status_code == 200


def test_void_drafts_and_unknown_tokens(server: LiveServer, client: ApiClient, anonymous: ApiClient) -> None:
    invoice = issued(client, "finalize")
    token = client.get(f"/invoices/{invoice['id']}/hosted-link").json()["url"].rsplit("/", 1)[1]
    assert action(client, invoice["id"], "void").status_code == 200
    html = anonymous.get(f"/i/{token}").text
    assert "VOID" in html and "No payment is due" in html and "Payment details" not in html
    assert "VOID" in text_of(anonymous.get(f"/i/{token}/pdf").content)

    draft = new_invoice(client)
    missing = client.get(f"/invoices/{draft['id']}/hosted-link")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFound"
    refused = client.post(f"/invoices/{draft['id']}/hosted-link/rotate")
    assert refused.status_code == 400 and refused.json()["error"]["type"] == "HostedLinkUnavailable"
    for bad in ("x" * 32, "short", "a" * 500, "%00", "..%2F..%2Fetc"):
        response = anonymous.get(f"/i/{bad}")
        assert response.status_code == 404 and response.json()["error"]["type"] == "NotFound", bad
    with ApiClient(server.base_url, None, validate=False) as browser:  # a browser gets a page, not JSON
        page = browser.get(f"/i/{'x' * 32}", headers={"Accept": "text/html,application/xhtml+xml"})
        assert page.status_code == 404 and "Invoice not found" in page.text


def test_delivery_endpoints_are_scoped_by_account(client: ApiClient, other_client: ApiClient) -> None:
    invoice = issued(client, "finalize-and-send")
    [queued] = emails(client, invoice["id"])
    iid = invoice["id"]
    for method, path in (("GET", f"/invoices/{iid}/emails"), ("POST", f"/invoices/{iid}/emails/{queued['id']}/retry"),
                         ("GET", f"/invoices/{iid}/hosted-link"), ("POST", f"/invoices/{iid}/hosted-link/rotate"),
                         ("GET", "/invoices/not-an-id/emails"), ("POST", "/invoices/not-an-id/hosted-link/rotate")):
        response = other_client.request(method, path)
        assert response.status_code == 404 and response.json()["error"]["type"] == "NotFound", (method, path)
    unauthenticated = ApiClient(client.base_url, None)
    with unauthenticated:
        assert unauthenticated.get(f"/invoices/{iid}/emails").status_code == 401
        assert unauthenticated.get(f"/invoices/{iid}/hosted-link").status_code == 401
    bad_page = client.get(f"/invoices/{iid}/emails", params={"limit": 0})
    assert bad_page.status_code == 400
