"""The hosted invoice page: a public URL ``{QUIRE_PUBLIC_URL}/i/{token}`` per numbered invoice.

The token is the only credential (no login): ``secrets.token_urlsafe(24)``, 192 random bits, 32
URL-safe characters. It is issued when the invoice is numbered (finalize, finalize-and-send, void
of a draft), so drafts never have one; rotating it replaces it and the old URL answers 404 at once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.config import Settings
from quire.core import clock
from quire.core.errors import NotFound, QuireError
from quire.invoices import repository as invoice_repo
from quire.invoices.delivery import repository as repo
from quire.invoices.delivery.models import InvoiceHostedLink
from quire.invoices.lifecycle import InvoiceStatus
from quire.invoices.models import Invoice
from quire.invoices.document import document_parts
from quire.billing_documents.formatting import (
    address_lines,
    bank_sections,
    date_range,
    format_date,
    format_money,
    format_number,
    format_percent,
)
from quire.invoices.service import get_invoice

TOKEN_BYTES = 24
#: What ``token_urlsafe(24)`` produces; anything else is answered 404 without a query.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32}$")
_UNNUMBERED = {InvoiceStatus.DRAFT.value, InvoiceStatus.IN_PROGRESS.value}


class HostedLinkUnavailable(QuireError):
    status_code = 400
    error_type = "HostedLinkUnavailable"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def url_of(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/i/{token}"


async def issue(session: AsyncSession, invoice: Invoice) -> InvoiceHostedLink:
    """The invoice's link, created on first need (numbering, or the first send of an invoice
    numbered before hosted pages existed)."""
    link = await repo.link_of(session, invoice.id)
    if link is None:
        link = InvoiceHostedLink(invoice_id=invoice.id, account_id=invoice.account_id, token=new_token(), created_at=clock.now())
        session.add(link)
        await session.flush()
    return link


async def current(session: AsyncSession, account_id: str, invoice_id: str) -> InvoiceHostedLink:
    """``GET /invoices/{id}/hosted-link``: 404 for a draft (it has none) and for another account's invoice."""
    invoice = await get_invoice(session, account_id, invoice_id)
    link = await repo.link_of(session, invoice.id)
    if link is None:
        raise NotFound(f"Invoice {invoice_id!r} has no hosted page (drafts have none)", resource="HostedLink")
    return link


async def rotate(session: AsyncSession, account_id: str, invoice_id: str) -> InvoiceHostedLink:
    """A new token for a numbered invoice; the previous URL stops working when this commits."""
    invoice = await get_invoice(session, account_id, invoice_id, lock=True)
    if invoice.status in _UNNUMBERED:
        raise HostedLinkUnavailable(
            f"A {invoice.status} invoice has no hosted page; finalize it first", currentStatus=invoice.status
        )
    link = await repo.link_of(session, invoice.id)
    if link is None:
        return await issue(session, invoice)
    link.token = new_token()
    link.rotated_at = clock.now()
    await session.flush()
    return link


async def paths_of(session: AsyncSession, invoice_ids: Sequence[str]) -> dict[str, str]:
    """``/i/{token}`` of each of these invoices that has a hosted page (a path on this server)."""
    return {invoice_id: f"/i/{token}" for invoice_id, token in (await repo.tokens_of(session, invoice_ids)).items()}


async def resolve(session: AsyncSession, token: str) -> Invoice | None:
    """The invoice behind a token, or None. No account scope: the token is the credential."""
    if not TOKEN_SHAPE.match(token):
        return None
    link = await repo.link_by_token(session, token)
    if link is None:
        return None
    invoice = await invoice_repo.get_invoice(session, link.account_id, link.invoice_id)
    return invoice if invoice is not None and invoice.status not in _UNNUMBERED else None


# --- the page's content -------------------------------------------------------------------------


def _line(line: dict[str, Any], currency: str) -> dict[str, Any]:
    period = line.get("servicePeriod") or {}
    percentage = str(line.get("rateDisplay", "")).upper() == "PERCENTAGE"
    return {
        "title": line.get("title", ""),
        "description": line.get("description", ""),
        "period": date_range(period.get("startDate", line.get("servicePeriodStart")), period.get("endDate", line.get("servicePeriodEnd"))),
        "quantity": format_number(line.get("quantity")),
        "price": format_percent(line.get("rate")) if percentage else format_money(line.get("rate"), currency, exact=True),
        "tax_rate": format_percent(line.get("taxRate")),
        "net": format_money(line.get("netTotal"), currency),
    }


async def page(session: AsyncSession, invoice: Invoice, token: str) -> dict[str, Any]:
    """The template context of ``hosted_invoice.html.j2``: everything already formatted as text."""
    doc, lines, groups = await document_parts(session, invoice)
    currency = invoice.currency
    group_ids = {g["id"] for g in groups}
    sections: list[dict[str, Any]] = [
        {"title": None, "description": "", "subtotal": None,
         "lines": [_line(li, currency) for li in lines if li.get("groupId") not in group_ids]},
    ]
    for group in groups:
        members = [_line(li, currency) for li in lines if li.get("groupId") == group["id"]]
        if members:
            sections.append({"title": group.get("title", ""), "description": group.get("description", ""),
                             "subtotal": format_money(group.get("netTotal"), currency), "lines": members})
    merchant = doc.get("merchantDetails") or {}
    voided = invoice.status == InvoiceStatus.VOIDED.value
    options = {str(o).upper() for o in (doc.get("paymentOptions") or [])}
    link_shown = str((doc.get("renderSettings") or {}).get("paymentLinkDisplay", "")).upper() != "HIDE_PAYMENT_LINK"
    colour = str(merchant.get("primaryColour", ""))
    logo = str(merchant.get("logoUrl", ""))
    shipping = address_lines(doc.get("customerShippingAddress"))
    billing = address_lines(doc.get("customerBillingAddress"))
    return {
        "number": invoice.invoice_number or "",
        "status": invoice.status,
        "voided": voided,
        "paid": invoice.payment_status == "PAID",
        "currency": currency,
        "merchant": {
            "name": merchant.get("legalCompanyName", ""),
            "address": address_lines(merchant.get("address")),
            "email": merchant.get("email", ""),
            "phone": merchant.get("phoneNumber", ""),
            "tax_id": merchant.get("taxId", ""),
            "custom_fields": [(f.get("key", ""), f.get("value", "")) for f in merchant.get("customFields", [])],
            "logo_url": logo if logo.startswith("https://") else "",
        },
        "accent": colour if re.fullmatch(r"#[0-9A-Fa-f]{6}", colour) else "#212529",
        "customer": {"name": doc.get("customerLegalCompanyName", ""), "address": billing,
                     "shipping": shipping if shipping != billing else []},
        "issue_date": format_date(doc.get("issueDate", "")),
        "due_date": format_date(doc.get("dueDate", "")),
        "billing_period": date_range((doc.get("billingPeriod") or {}).get("start"), (doc.get("billingPeriod") or {}).get("endInclusive")),
        "purchase_order_number": doc.get("purchaseOrderNumber", ""),
        "reference": doc.get("reference", ""),
        "memo": doc.get("memo", ""),
        "sections": sections,
        "has_lines": bool(lines),
        "net_total": format_money(doc.get("netTotal"), currency),
        "total_tax": format_money(doc.get("totalTax"), currency),
        "gross_total": format_money(doc.get("grossTotal"), currency),
        "tax_note": {"REVERSE_CHARGED": "Reverse charge: the customer is liable to account for the tax.",
                     "TAX_EXEMPT": "The customer is exempt from tax."}.get(invoice.customer_tax_status, ""),
        "bank": [] if voided or (options and "BANK_TRANSFER" not in options) else bank_sections(merchant),
        "payment_link_text": (
            "You can also pay online using the payment link sent with this invoice."
            if not voided and "LINK" in options and link_shown else ""
        ),
        "pdf_url": f"/i/{token}/pdf",
    }
