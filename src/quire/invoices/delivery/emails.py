"""The emails of issued documents: to the document's ``customerEmails``, CC the merchant, the stored
PDF attached, plain-text and HTML parts from templates (Sequence's behaviour, §14).

``document_email`` is what every document's email shares (recipients, sender, layout, attachment);
the invoice's adds the amount due, the due date and a link to the hosted page. Credit notes compose
theirs with it too (``quire.creditnotes.delivery``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.stored_documents import StoredDocument
from quire.core.runtime import settings_of
from quire.core.templates import render
from quire.invoices.delivery.hosted import url_of
from quire.invoices.delivery.models import InvoiceDocument, InvoiceHostedLink
from quire.invoices.models import Invoice
from quire.billing_documents.formatting import format_date, format_money
from quire.invoices.present import invoice as present_invoice
from quire.outbox import service as outbox
from quire.outbox.compose import Attachment, Email, one_line, unique
from quire.outbox.models import OutboxEmail

SUBJECT_TYPE = "invoice"


def document_email(
    source: Any, document: StoredDocument, *, template: str, subject: str, reply_to: str | None, **context: Any
) -> Email:
    """The email of ``source`` (an invoice or a credit note) to its customer: To its
    ``customer_emails`` (each once), CC the merchant's email unless already a recipient, From shown as
    the merchant, Reply-To ``reply_to`` or the merchant, ``subject`` + " from <merchant>",
    ``<template>.txt.j2`` and ``<template>.html.j2`` rendered with ``context`` plus the issue date,
    customer name, memo, ``merchant_name``, ``merchant_email`` and ``filename``, and ``document`` attached."""
    merchant = source.merchant_details or {}
    merchant_name = one_line(str(merchant.get("legalCompanyName", "")))
    merchant_email = str(merchant.get("email", "")) or None
    to = unique(list(source.customer_emails))
    values = {
        "issue_date": format_date(source.issue_date.isoformat() if source.issue_date else ""),
        "customer_name": source.customer_legal_company_name,
        "memo": source.memo or "",
        **context,
        "merchant_name": merchant_name,
        "merchant_email": merchant_email or "",
        "filename": document.filename,
    }
    return Email(
        to=to,
        cc=unique([merchant_email], without=to) if merchant_email else [],
        subject=subject + (f" from {merchant_name}" if merchant_name else ""),
        text=render(f"{template}.txt.j2", **values),
        html=render(f"{template}.html.j2", **values),
        reply_to=reply_to or merchant_email,
        sender_name=merchant_name or None,
        attachments=(Attachment(document.filename, document.content_type, document.content),),
    )


def compose(invoice: Invoice, document: InvoiceDocument, hosted_url: str, *, reply_to: str | None) -> Email:
    amount = format_money(present_invoice(invoice).gross_total, invoice.currency)
    number = invoice.invoice_number or invoice.id
    return document_email(
        invoice, document, template="invoice_email", subject=f"Invoice {number} for {amount}", reply_to=reply_to,
        noun="invoice", number=number, amount=amount, hosted_url=hosted_url,
        due_date=format_date(invoice.due_date.isoformat() if invoice.due_date else ""),
    )


async def enqueue(session: AsyncSession, invoice: Invoice, document: InvoiceDocument, link: InvoiceHostedLink) -> OutboxEmail:
    """Queue the invoice email in the caller's transaction (sent after it commits)."""
    settings = settings_of(session)
    email = compose(invoice, document, url_of(settings, link.token), reply_to=settings.mail_reply_to)
    return await outbox.enqueue(session, account_id=invoice.account_id, subject_type=SUBJECT_TYPE, subject_id=invoice.id,
                                email=email, to_customer=True)
