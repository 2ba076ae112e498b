"""The creditable-amount rule: what credit notes take from an invoice never exceeds what it billed.

For an invoice, across every credit note linked to it that is not VOIDED (drafts included):
    Σ gross of credit lines pointing at invoice line L  ≤  gross of L       (per line)
    Σ gross of all their credit lines                   ≤  invoice gross    (in total)

Every write that can raise those sums, and every finalization, runs with the invoice row locked
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite write transactions are serialised already), so two
concurrent credits cannot both take the last amount. See docs/credit-notes.md.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.errors import ValidationFailed
from quire.core.money import format_amount, from_minor
from quire.creditnotes import repository as repo
from quire.creditnotes.errors import AmountExceedsCreditable
from quire.creditnotes.models import CreditNote
from quire.invoices.lifecycle import InvoiceStatus
from quire.invoices.models import Invoice, InvoiceLineItem
from quire.invoices.service import get_invoice

#: Only issued invoices can be credited: a draft is edited instead, a voided one has nothing left.
CREDITABLE_STATUSES = frozenset({InvoiceStatus.FINAL.value, InvoiceStatus.SENT.value})


async def locked_invoice(session: AsyncSession, account_id: str, invoice_id: str) -> Invoice:
    """The invoice, row-locked, and still creditable (404 if unknown or foreign; 400 if not issued)."""
    invoice = await get_invoice(session, account_id, invoice_id, lock=True)
    if invoice.status not in CREDITABLE_STATUSES:
        raise ValidationFailed(
            f"Invoice {invoice_id!r} is {invoice.status}; only FINAL or SENT invoices can be credited",
            field="invoiceId",
        )
    return invoice


async def invoice_line_of(session: AsyncSession, note: CreditNote, line_item_id: str) -> InvoiceLineItem:
    """The invoice line a credit line points at: it must belong to the credit note's invoice."""
    if note.invoice_id is None:
        raise ValidationFailed("lineItemId needs a credit note linked to an invoice (invoiceId)", field="lineItemId")
    line = await repo.invoice_line(session, note.account_id, note.invoice_id, line_item_id)
    if line is None:
        raise ValidationFailed(f"lineItemId {line_item_id!r} is not a line item of invoice {note.invoice_id!r}",
                               field="lineItemId")
    return line


def _refuse(invoice: Invoice, remaining: int, requested: int, line: InvoiceLineItem | None) -> AmountExceedsCreditable:
    c = invoice.currency
    left, asked = format_amount(from_minor(remaining, c), c), format_amount(from_minor(requested, c), c)
    what = f"line item {line.id!r} of invoice" if line is not None else "invoice"
    extra = {"invoiceId": invoice.id, "currency": c, "remainingCreditable": left, "requestedAmount": asked}
    if line is not None:
        extra["lineItemId"] = line.id
    return AmountExceedsCreditable(
        f"Crediting {asked} {c} exceeds what is left to credit on the {what} {invoice.invoice_number or invoice.id}:"
        f" {left} {c}",
        **extra,
    )


async def check_amount(
    session: AsyncSession,
    invoice: Invoice,
    *,
    gross_minor: int,
    line: InvoiceLineItem | None,
    replacing_line_id: str | None = None,
) -> None:
    """Refuse a credit line of ``gross_minor`` that would break the rule (the invoice must be locked).

    ``replacing_line_id``: the credit line being rewritten, whose current amount no longer counts."""
    if line is not None:
        used = await repo.credited_minor(session, invoice.account_id, invoice.id, invoice_line_id=line.id,
                                         exclude_line_id=replacing_line_id)
        remaining = max(0, line.gross_total_minor - used)
        if gross_minor > remaining:
            raise _refuse(invoice, remaining, gross_minor, line)
    used = await repo.credited_minor(session, invoice.account_id, invoice.id, exclude_line_id=replacing_line_id)
    remaining = max(0, invoice.gross_total_minor - used)
    if gross_minor > remaining:
        raise _refuse(invoice, remaining, gross_minor, None)


async def verify_note(session: AsyncSession, note: CreditNote) -> None:
    """At finalization: lock the invoice, check it is still issued, and that the rule still holds
    with this note counted (it always should: every line write was checked; this keeps it true even
    if an invoice changed underneath)."""
    if note.invoice_id is None:
        return
    invoice = await locked_invoice(session, note.account_id, note.invoice_id)
    lines = await repo.lines_of(session, note.id)
    for line_id in sorted({item.invoice_line_item_id for item in lines if item.invoice_line_item_id}):
        invoice_line = await repo.invoice_line(session, note.account_id, invoice.id, line_id)
        if invoice_line is None:  # the invoice line vanished: nothing is creditable against it any more
            continue
        mine = sum(item.gross_total_minor for item in lines if item.invoice_line_item_id == line_id)
        total = await repo.credited_minor(session, note.account_id, invoice.id, invoice_line_id=line_id)
        if total > invoice_line.gross_total_minor:
            raise _refuse(invoice, max(0, invoice_line.gross_total_minor - (total - mine)), mine, invoice_line)
    mine = sum(item.gross_total_minor for item in lines)
    total = await repo.credited_minor(session, note.account_id, invoice.id)
    if total > invoice.gross_total_minor:
        raise _refuse(invoice, max(0, invoice.gross_total_minor - (total - mine)), mine, None)
