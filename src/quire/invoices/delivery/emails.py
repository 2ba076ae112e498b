"""The invoice email: to the invoice's ``customerEmails``, CC the merchant, the issued PDF attached,
a link to the hosted page, plain-text and HTML parts from templates (Sequence's behaviour, §14)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.runtime import settings_of
from quire.core.templates import render
from quire.invoices.delivery.hosted import url_of
from quire.invoices.delivery.models import InvoiceDocument, InvoiceHostedLink
from quire.invoices.models import Invoice
from quire.invoices.pdf import format_date, format_money
from quire.invoices.present import invoice as present_invoice
from quire.outbox import service as outbox
from quire.outbox.compose import Attachment, Email, one_line, unique
from quire.outbox.models import OutboxEmail

SUBJECT_TYPE = "invoice"


def compose(invoice: Invoice, document: InvoiceDocument, hosted_url: str, *, reply_to: str | None) -> Email:
    wire = present_invoice(invoice)
    merchant = invoice.merchant_details or {}
    merchant_name = one_line(str(merchant.get("legalCompanyName", "")))
    merchant_email = str(merchant.get("email", "")) or None
    amount = format_money(wire.gross_total, invoice.currency)
    number = invoice.invoice_number or invoice.id
    to = unique(list(invoice.customer_emails))
    context = {
        "number": number,
        "amount": amount,
        "due_date": format_date(invoice.due_date.isoformat() if invoice.due_date else ""),
        "issue_date": format_date(invoice.issue_date.isoformat() if invoice.issue_date else ""),
        "customer_name": invoice.customer_legal_company_name,
        "merchant_name": merchant_name,
        "merchant_email": merchant_email or "",
        "memo": invoice.memo or "",
        "hosted_url": hosted_url,
        "filename": document.filename,
    }
    subject = f"Invoice {number} for {amount}" + (f" from {merchant_name}" if merchant_name else "")
    return Email(
        to=to,
        cc=unique([merchant_email], without=to) if merchant_email else [],
        subject=subject,
        text=render("invoice_email.txt.j2", **context),
        html=render("invoice_email.html.j2", **context),
        reply_to=reply_to or merchant_email,
        sender_name=merchant_name or None,
        attachments=(Attachment(document.filename, document.content_type, document.content),),
    )


async def enqueue(session: AsyncSession, invoice: Invoice, document: InvoiceDocument, link: InvoiceHostedLink) -> OutboxEmail:
    """Queue the invoice email in the caller's transaction (sent after it commits)."""
    settings = settings_of(session)
    email = compose(invoice, document, url_of(settings, link.token), reply_to=settings.mail_reply_to)
    return await outbox.enqueue(session, account_id=invoice.account_id, subject_type=SUBJECT_TYPE, subject_id=invoice.id, email=email)
