"""The creditable-amount rule: what credit notes take from an invoice never exceeds what it billed.

For an invoice, across every credit note linked to it that is not VOIDED (drafts included), each of the
three totals (net, tax, gross, in minor units of the invoice's currency):
    Σ credit lines pointing at invoice line L  ≤  what L charged                 (per line)
    Σ all their credit lines                   ≤  what the invoice charged       (in total)

Tax follows the credited line (BEHAVIOUR.md §4.3): a credit line with ``lineItemId`` is stored with that
line's tax rate (a different ``taxRate`` is refused), and its tax is ``round(net × rate)`` limited to the
line's tax not yet credited; the credit that takes the rest of the line's net takes the rest of its tax,
so a line credited in full, in any number of pieces, reverses exactly the tax it charged (the
largest-remainder habit of docs/money.md: parts sum to the whole). ``settle`` is that rule, pure.

Every write that can raise those sums, and every finalization, runs with the invoice row locked
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite write transactions are serialised already), so two
concurrent credits cannot both take the last amount. See docs/credit-notes.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.errors import ValidationFailed
from quire.core.money import decimal_str, format_amount, from_minor
from quire.creditnotes import repository as repo
from quire.creditnotes.errors import AmountExceedsCreditable
from quire.creditnotes.models import CreditNote
from quire.invoices.lifecycle import InvoiceStatus
from quire.invoices.models import Invoice, InvoiceLineItem
from quire.invoices.service import get_invoice

#: Only issued invoices can be credited: a draft is edited instead, a voided one has nothing left.
CREDITABLE_STATUSES = frozenset({InvoiceStatus.FINAL.value, InvoiceStatus.SENT.value})


class _HasTotals(Protocol):
    net_total_minor: int
    total_tax_minor: int
    gross_total_minor: int


@dataclass(frozen=True)
class Minor:
    """Net, tax and gross of a line or a sum of lines, in minor units of one currency."""

    net: int
    tax: int
    gross: int

    @classmethod
    def of(cls, row: _HasTotals) -> Minor:
        return cls(row.net_total_minor, row.total_tax_minor, row.gross_total_minor)

    def left_of(self, used: Minor) -> Minor:
        """What is still creditable when ``used`` was credited (never below zero)."""
        return Minor(max(0, self.net - used.net), max(0, self.tax - used.tax), max(0, self.gross - used.gross))


#: Wire names of the three totals, in the order they are checked (gross first: the historic limit).
TOTALS = (("grossTotal", "gross"), ("netTotal", "net"), ("totalTax", "tax"))


def credited_rate(line_rate: Decimal, requested: Decimal, effective: Decimal) -> Decimal:
    """The tax rate of a credit line that credits an invoice line: that line's stored rate.

    ``requested`` is the body's ``taxRate``, ``effective`` the same after the tax-status rule (0 for an
    exempt or reverse-charged customer). Either may match the line's rate ("0.2" equals "0.20");
    anything else is refused, naming ``taxRate``."""
    if requested == line_rate or effective == line_rate:
        return line_rate
    raise ValidationFailed(
        f"taxRate {decimal_str(requested)} differs from the tax rate {decimal_str(line_rate)} of the credited invoice"
        " line: tax on a credit note follows the line it credits",
        field="taxRate",
    )


def settle(computed: Minor, charged: Minor, used: Minor) -> Minor:
    """The amounts of a credit line against one invoice line: ``computed`` (from quantity, rate and the
    line's tax rate) with its tax limited to the tax left, and the rest of the tax when it takes the
    rest of the net. Pure; the limits themselves are checked by ``excess``."""
    left = charged.left_of(used)
    tax = left.tax if computed.net == left.net else min(computed.tax, left.tax)
    return Minor(computed.net, tax, computed.net + tax)


def excess(requested: Minor, charged: Minor, used: Minor) -> tuple[str, int, int] | None:
    """The first total (wire name, amount left, amount requested) that ``requested`` takes past what was
    charged, given what is already ``used``; None when all three fit."""
    left = charged.left_of(used)
    for wire, attr in TOTALS:
        if getattr(requested, attr) > getattr(left, attr):
            return wire, getattr(left, attr), getattr(requested, attr)
    return None


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


def _refuse(invoice: Invoice, over: tuple[str, int, int], line: InvoiceLineItem | None) -> AmountExceedsCreditable:
    total, remaining, requested = over
    c = invoice.currency
    left, asked = format_amount(from_minor(remaining, c), c), format_amount(from_minor(requested, c), c)
    what = f"line item {line.id!r} of invoice" if line is not None else "invoice"
    kind = {"grossTotal": "", "netTotal": " net", "totalTax": " tax"}[total]
    extra = {"invoiceId": invoice.id, "currency": c, "total": total, "remainingCreditable": left,
             "requestedAmount": asked}
    if line is not None:
        extra["lineItemId"] = line.id
    return AmountExceedsCreditable(
        f"Crediting{kind} {asked} {c} exceeds the{kind} amount left to credit on the {what}"
        f" {invoice.invoice_number or invoice.id}: {left} {c}",
        **extra,
    )


async def _used(session: AsyncSession, invoice: Invoice, *, line_id: str | None = None,
                exclude_line_id: str | None = None) -> Minor:
    net, tax, gross = await repo.credited_totals(session, invoice.account_id, invoice.id, invoice_line_id=line_id,
                                                 exclude_line_id=exclude_line_id)
    return Minor(net, tax, gross)


async def check_amount(
    session: AsyncSession,
    invoice: Invoice,
    *,
    computed: Minor,
    line: InvoiceLineItem | None,
    replacing_line_id: str | None = None,
) -> Minor:
    """The amounts to store for a credit line (the invoice must be locked): ``computed`` settled against
    the credited invoice line, if any; refused if any total would pass what the line or the invoice
    charged. ``replacing_line_id``: the credit line being rewritten, whose current amounts no longer count."""
    amounts = computed
    if line is not None:
        charged, used = Minor.of(line), await _used(session, invoice, line_id=line.id, exclude_line_id=replacing_line_id)
        amounts = settle(computed, charged, used)
        if (over := excess(amounts, charged, used)) is not None:
            # Report what the client's figures ask for (quantity × rate at the line's rate), not the settled tax.
            wire, left, _ = over
            raise _refuse(invoice, (wire, left, getattr(computed, dict(TOTALS)[wire])), line)
    used = await _used(session, invoice, exclude_line_id=replacing_line_id)
    if (over := excess(amounts, Minor.of(invoice), used)) is not None:
        raise _refuse(invoice, over, None)
    return amounts


def _mine(lines: list[_HasTotals]) -> Minor:
    rows = [Minor.of(x) for x in lines]
    return Minor(sum(r.net for r in rows), sum(r.tax for r in rows), sum(r.gross for r in rows))


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
        mine = _mine([item for item in lines if item.invoice_line_item_id == line_id])
        total = await _used(session, invoice, line_id=line_id)
        others = Minor(total.net - mine.net, total.tax - mine.tax, total.gross - mine.gross)
        if (over := excess(mine, Minor.of(invoice_line), others)) is not None:
            raise _refuse(invoice, over, invoice_line)
    mine = _mine(list(lines))
    total = await _used(session, invoice)
    others = Minor(total.net - mine.net, total.tax - mine.tax, total.gross - mine.gross)
    if (over := excess(mine, Minor.of(invoice), others)) is not None:
        raise _refuse(invoice, over, None)
