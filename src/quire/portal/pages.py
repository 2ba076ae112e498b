"""What each portal page shows, as template context (every value already formatted as text).

Read through the services the API uses: ``invoices.service.list_invoices`` (as ``GET /invoices`` with
``status=SENT&customerId=…``), ``credits.present.customer_balances`` (``GET /credits/{id}/balances``) and
``usage.calculation.calculate_periods`` (the calculation of ``GET /usage-metrics/{id}/calculate``), always with the owner's
account and customer: nothing of another customer or account can reach a page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents.formatting import format_date, format_money, format_number
from quire.core import clock
from quire.core.money import from_minor
from quire.core.pagination import PageParams, SortOrder
from quire.credits.present import customer_balances
from quire.invoices.delivery.hosted import paths_of
from quire.invoices.lifecycle import InvoiceStatus, PaymentStatus
from quire.invoices.models import Invoice
from quire.invoices.repository import InvoiceFilters
from quire.invoices.schemas import InvoiceSortBy
from quire.invoices.service import list_invoices
from quire.portal.chart import bar_chart
from quire.portal.links import PortalOwner
from quire.usage.calculation import CalculationOutOfRange, MetricSpec, calculate_periods
from quire.usage.models import UsageMetric
from quire.usage.service import list_metrics
from quire.usage.values import period_bounds

#: Unpaid invoices listed (all of them, for any real customer); paid ones: the most recent.
UNPAID_SHOWN = 100
PAID_SHOWN = 24
#: Calendar months of usage, the current one (to date) included.
USAGE_MONTHS = 6
METRICS_SHOWN = 100
_UNPAID = [s.value for s in PaymentStatus if s is not PaymentStatus.PAID]
_STATUS_TEXT = {"UNPAID": "Unpaid", "PARTIALLY_PAID": "Partially paid", "PAID": "Paid",
                "UNCOLLECTIBLE": "Uncollectible", "FAILED": "Payment failed"}
SECTIONS = (("invoices", "Invoices", ""), ("credits", "Credits", "/credits"), ("usage", "Usage", "/usage"))


def frame(owner: PortalOwner, section: str) -> dict[str, Any]:
    """What every page has: merchant branding, the customer, navigation, the page's title."""
    settings = owner.settings
    merchant = settings.legal_company_name or ""
    logo = settings.logo_url or ""
    base = f"/portal/{owner.token}"
    heading = next(title for key, title, _ in SECTIONS if key == section)
    return {
        "merchant": merchant,
        "logo_url": logo if logo.startswith("https://") else "",
        "accent": settings.primary_colour if re.fullmatch(r"#[0-9A-Fa-f]{6}", settings.primary_colour or "") else "#0a5c73",
        "customer": owner.customer.legal_name,
        "heading": heading,
        "title": " · ".join(part for part in (heading, owner.customer.legal_name, merchant) if part),
        "nav": [{"href": base + suffix, "text": text, "current": key == section} for key, text, suffix in SECTIONS],
        "contact": settings.email or "",
    }


def _params(limit: int) -> PageParams:
    return PageParams(limit=limit, after=None, before=None, sort_order=SortOrder.DESC)


async def _sent(session: AsyncSession, owner: PortalOwner, payment_statuses: list[str], limit: int) -> tuple[list[Invoice], int]:
    page = await list_invoices(
        session, owner.account_id, params=_params(limit), sort_by=InvoiceSortBy("createdAt"),
        filters=InvoiceFilters(statuses=[InvoiceStatus.SENT.value], payment_statuses=payment_statuses,
                               customer_id=owner.customer.id))
    total = page.meta.total_result_size
    return page.items, total if total is not None else len(page.items)


def _row(invoice: Invoice, hosted: str | None, today: date) -> dict[str, Any]:
    overdue_days = (today - invoice.due_date).days if invoice.due_date and invoice.payment_status != "PAID" else 0
    return {
        "number": invoice.invoice_number or "",
        "issue_date": format_date(invoice.issue_date.isoformat() if invoice.issue_date else ""),
        "due_date": format_date(invoice.due_date.isoformat() if invoice.due_date else ""),
        "amount": format_money(from_minor(invoice.gross_total_minor, invoice.currency), invoice.currency),
        "status": _STATUS_TEXT.get(invoice.payment_status, invoice.payment_status),
        "overdue_days": max(overdue_days, 0),
        "page_url": hosted or "",
        "pdf_url": f"{hosted}/pdf" if hosted else "",
    }


def _totals(invoices: Sequence[Invoice]) -> list[str]:
    """One formatted total per currency, largest first."""
    sums: dict[str, int] = {}
    for invoice in invoices:
        sums[invoice.currency] = sums.get(invoice.currency, 0) + invoice.gross_total_minor
    return [format_money(from_minor(minor, code), code) for code, minor in sorted(sums.items(), key=lambda kv: -kv[1])]


async def invoices_page(session: AsyncSession, owner: PortalOwner) -> dict[str, Any]:
    """The customer's SENT invoices only: overdue and outstanding (not paid), and the latest paid ones.
    Drafts, finalized-but-unsent and voided invoices are not SENT, so never listed."""
    unpaid, unpaid_count = await _sent(session, owner, _UNPAID, UNPAID_SHOWN)
    paid, paid_count = await _sent(session, owner, [PaymentStatus.PAID.value], PAID_SHOWN)
    paths = await paths_of(session, [i.id for i in (*unpaid, *paid)])
    today = clock.today()
    overdue = [i for i in unpaid if i.due_date is not None and i.due_date < today]
    outstanding = [i for i in unpaid if not (i.due_date is not None and i.due_date < today)]
    return {
        "overdue": [_row(i, paths.get(i.id), today) for i in overdue],
        "outstanding": [_row(i, paths.get(i.id), today) for i in outstanding],
        "paid": [_row(i, paths.get(i.id), today) for i in paid],
        "unpaid_more": max(unpaid_count - len(unpaid), 0),
        "paid_more": max(paid_count - len(paid), 0),
        "outstanding_totals": _totals(unpaid),
        "overdue_totals": _totals(overdue),
    }


def _quantity(value: str, balance_type: str, currency: str) -> str:
    return format_money(value, currency) if balance_type == "CASH" else format_number(value)


async def credits_page(session: AsyncSession, owner: PortalOwner) -> dict[str, Any]:
    """The customer's credit balances, as ``GET /credits/{customerId}/balances`` computes them."""
    balances = await customer_balances(session, owner.account_id, owner.customer.id)
    items = []
    for balance in balances.items:
        currency = balance.grants[0].currency if balance.grants else ""
        amount = lambda value: _quantity(value, balance.type, currency)  # noqa: E731
        items.append({
            "name": f"Credit in {balance.name}" if balance.type == "CASH" else balance.name,
            "kind": "Money" if balance.type == "CASH" else "Usage units",
            "balance": amount(balance.balance),
            "grants": [{"name": g.name, "granted": amount(g.original_amount), "remaining": amount(g.current_balance),
                        "expires": format_date(g.expiry_date.isoformat()) if g.expiry_date else ""}
                       for g in balance.grants],
            "transactions": [{"date": format_date(t.date.isoformat()),
                              "kind": "Used" if t.type == "DEBIT" else "Restored", "amount": amount(t.amount)}
                             for t in reversed(balance.transactions)],
        })
    return {"balances": items}


def months_back(today: date, count: int) -> list[tuple[date, date]]:
    """The last ``count`` calendar months as inclusive (first day, last day) pairs, oldest first; the
    current month ends today."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        months.append((first, min(today, date.fromordinal(following.toordinal() - 1))))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


async def _monthly(session: AsyncSession, owner: PortalOwner, metric: UsageMetric,
                   months: Sequence[tuple[date, date]]) -> list[Decimal] | None:
    """The metric's value for the customer in each month, in one query (the calculation of
    ``GET /usage-metrics/{id}/calculate``, per period); None when no event counts in any month."""
    try:
        results = await calculate_periods(session, owner.account_id, MetricSpec.of(metric), [owner.customer.id],
                                          [period_bounds(start, end) for start, end in months])
    except CalculationOutOfRange:  # a SUM SQLite cannot hold exactly: left out rather than wrong
        return None
    if all(result.total.event_count == 0 for result in results):
        return None
    return [result.total.value for result in results]


async def usage_page(session: AsyncSession, owner: PortalOwner) -> dict[str, Any]:
    """Each usage metric of the account with events of this customer in the last months: its value per
    calendar month, drawn as bars. A metric the customer never used is not listed."""
    months = months_back(clock.today(), USAGE_MONTHS)
    metrics = (await list_metrics(session, owner.account_id, _params(METRICS_SHOWN), include_deleted=False)).items
    shown = []
    for metric in sorted(metrics, key=lambda m: (m.name.casefold(), m.id)):
        values = await _monthly(session, owner, metric, months)
        if values is None:
            continue
        points = [(start.strftime("%b %Y"), amount, format_number(amount)) for (start, _), amount in zip(months, values)]
        shown.append({"name": metric.name, "unit": metric.unit or "", "chart": bar_chart(points),
                      "rows": [{"month": label, "value": text} for label, _, text in points]})
    return {"metrics": shown, "months": USAGE_MONTHS, "since": format_date(months[0][0].isoformat())}
