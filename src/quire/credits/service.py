"""Credit use-cases: grant, read, balances, the drawdown of an invoice and its restore. Services flush;
the route (or the billing engine) owns the transaction. docs/credits.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents import lines as core_lines
from quire.catalogue.models import Price
from quire.core import clock
from quire.core.errors import ValidationFailed
from quire.core.ids import uuid7
from quire.core.money import from_minor, minor_units
from quire.core.pagination import Page, PageParams
from quire.core.references import reference, unknown_reference
from quire.core.repository import find_owned, insert, list_page, loader
from quire.credits.drawdown import CURRENCY, METRIC, Charge, GrantView, plan_drawdown
from quire.credits.models import CreditGrant, CreditTransaction
from quire.credits.schemas import CreditGrantCreate
from quire.customers.models import Customer
from quire.customers.service import billable, get_customer
from quire.invoices import lines as invoice_lines
from quire.invoices import service as invoices
from quire.invoices.models import KIND, InvoiceLineItem
from quire.invoices.schemas import InvoiceCreate, LineItemWrite
from quire.usage.models import UsageMetric

DEBIT = "DEBIT"
CREDIT = "CREDIT"

#: The account's grant, or 404.
get_grant = loader(CreditGrant, kind="CreditGrant")


# --- granting ---------------------------------------------------------------------------------------


def _check_amounts(data: CreditGrantCreate) -> None:
    """``amount`` > 0; money (a CURRENCY amount, ``costOfCredit``) in the currency's minor units."""
    places = minor_units(data.currency)
    if data.amount <= 0:
        raise ValidationFailed("amount must be greater than 0", field="amount")
    if data.credit_unit_type == CURRENCY and -data.amount.as_tuple().exponent > places:  # type: ignore[operator]
        raise ValidationFailed(f"amount of a CURRENCY grant has at most {places} decimal places in {data.currency}",
                               field="amount")
    cost = data.cost_of_credit
    if cost is not None:
        if cost < 0:
            raise ValidationFailed("costOfCredit must not be negative", field="costOfCredit")
        if -cost.as_tuple().exponent > places:  # type: ignore[operator]
            raise ValidationFailed(f"costOfCredit has at most {places} decimal places in {data.currency}",
                                   field="costOfCredit")
    if data.effective_date and data.expiry_date and data.expiry_date < data.effective_date:
        raise ValidationFailed("expiryDate must not be before effectiveDate", field="expiryDate")


async def create_grant(session: AsyncSession, account_id: str, data: CreditGrantCreate) -> CreditGrant:
    """A grant; with a ``costOfCredit`` above 0 also a DRAFT invoice charging it (one line titled with the
    grant's name), in the same transaction."""
    if data.sequence_account_id != account_id:
        raise ValidationFailed("sequenceAccountId must be the id of the account you authenticate as",
                               field="sequenceAccountId")
    with reference("customerId"):  # unknown or another account's: 400 naming it
        customer = billable(await find_owned(session, Customer, account_id, data.customer_id), data.customer_id)
    if data.credit_unit_type == METRIC:
        if data.metric_id is None:
            raise ValidationFailed("metricId is required for a METRIC grant", field="metricId")
        metric = await find_owned(session, UsageMetric, account_id, data.metric_id, live=True)
        if metric is None:
            raise unknown_reference("metricId", f"UsageMetric {data.metric_id!r} was not found")
    _check_amounts(data)
    now = clock.now()
    grant = await insert(session, CreditGrant(
        id=uuid7(), account_id=account_id, customer_id=customer.id, name=data.name,
        credit_unit_type=data.credit_unit_type, currency=data.currency,
        # A CURRENCY grant has no metric: a metricId sent with one is ignored (Sequence's own example sends one).
        metric_id=data.metric_id if data.credit_unit_type == METRIC else None,
        amount=data.amount, cost_of_credit=data.cost_of_credit, tax_rate_id=data.tax_rate_id,
        effective_date=data.effective_date, expiry_date=data.expiry_date, created_at=now, updated_at=now,
    ))
    if data.cost_of_credit is not None and data.cost_of_credit > 0:
        invoice = await invoices.create_invoice(session, account_id, InvoiceCreate(
            currency=data.currency, customer_id=customer.id))
        await invoice_lines.add_line(session, account_id, invoice.id, LineItemWrite(
            title=data.name, quantity=Decimal(1), rate=data.cost_of_credit,
            tax_rate=None if data.tax_rate_id else Decimal(0), tax_rate_id=data.tax_rate_id, external_ids=[],
            revenue_classification="PREPAYMENT", credit_grant_id=grant.id,
        ))
        grant.invoice_id = invoice.id
        await session.flush()
    elif data.tax_rate_id is not None:
        raise ValidationFailed("taxRateId is the tax rate of the invoice charging costOfCredit: give costOfCredit too",
                               field="taxRateId")
    return grant


async def list_grants(session: AsyncSession, account_id: str, params: PageParams) -> Page[CreditGrant]:
    return await list_page(session, CreditGrant, account_id, params)


# --- balances ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantState:
    grant: CreditGrant
    balance: Decimal  # 0 once expired
    transactions: tuple[CreditTransaction, ...]


def balance_of(grant: CreditGrant, transactions: Iterable[CreditTransaction], today: date) -> Decimal:
    """Amount − debits + restores; 0 past the expiry date (what was left is lost)."""
    if grant.expiry_date is not None and today > grant.expiry_date:
        return Decimal(0)
    total = grant.amount
    for t in transactions:
        total += t.amount if t.type == CREDIT else -t.amount
    return total


async def _states(session: AsyncSession, grants: Sequence[CreditGrant], today: date) -> list[GrantState]:
    by_grant: dict[str, list[CreditTransaction]] = defaultdict(list)
    if grants:
        rows = await session.scalars(
            select(CreditTransaction).where(CreditTransaction.grant_id.in_([g.id for g in grants]))
            .order_by(CreditTransaction.date, CreditTransaction.created_at, CreditTransaction.id))
        for row in rows:
            by_grant[row.grant_id].append(row)
    return [GrantState(g, balance_of(g, by_grant[g.id], today), tuple(by_grant[g.id])) for g in grants]


async def _customer_grants(session: AsyncSession, account_id: str, customer_id: str, *, lock: bool = False
                           ) -> list[CreditGrant]:
    stmt = (select(CreditGrant).where(CreditGrant.account_id == account_id, CreditGrant.customer_id == customer_id)
            .order_by(CreditGrant.created_at, CreditGrant.id))
    if lock:
        stmt = stmt.with_for_update()
    return list(await session.scalars(stmt))


async def grant_states(session: AsyncSession, account_id: str, customer_id: str) -> list[GrantState]:
    """Every grant of the customer (404 for a customer not of the account), oldest first, with its balance."""
    await get_customer(session, account_id, customer_id)
    return await _states(session, await _customer_grants(session, account_id, customer_id), clock.today())


async def metric_names(session: AsyncSession, account_id: str, ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(select(UsageMetric.id, UsageMetric.name)
                                 .where(UsageMetric.account_id == account_id, UsageMetric.id.in_(wanted)))
    return {row.id: row.name for row in rows}


# --- drawdown ---------------------------------------------------------------------------------------


def _view(state: GrantState) -> GrantView:
    g = state.grant
    return GrantView(id=g.id, name=g.name, unit_type=g.credit_unit_type, currency=g.currency, metric_id=g.metric_id,
                     balance=state.balance, effective_date=g.effective_date or g.created_at.date(),
                     expiry_date=g.expiry_date, created_at=g.created_at)


async def _charges(session: AsyncSession, account_id: str, invoice_id: str, currency: str) -> list[Charge]:
    lines = list(await session.scalars(select(InvoiceLineItem).where(InvoiceLineItem.invoice_id == invoice_id)
                                       .order_by(InvoiceLineItem.index)))
    price_ids = sorted({line.price_id for line in lines if line.price_id})
    metrics: dict[str, str] = {}
    if price_ids:
        for price_id, structure in await session.execute(
                select(Price.id, Price.structure).where(Price.account_id == account_id, Price.id.in_(price_ids))):
            metric = (structure or {}).get("usageMetricId")
            if metric:
                metrics[price_id] = metric
    return [Charge(line_id=line.id, quantity=line.quantity, rate=line.rate, tax_rate=line.tax_rate,
                   net=from_minor(line.net_total_minor, currency), tax=from_minor(line.total_tax_minor, currency),
                   metric_id=metrics.get(line.price_id or ""))
            for line in lines]


async def apply_drawdown(
    session: AsyncSession, account_id: str, invoice_id: str, customer_id: str, on_date: date,
    billing_run_id: str | None = None,
) -> list[CreditTransaction]:
    """Draw the customer's credits on an editable (DRAFT or IN_PROGRESS) invoice whose charges are written:
    the plan of ``drawdown.plan_drawdown`` for ``on_date`` (the invoice date) becomes credit lines (title =
    the grant's name, ``revenueClassification`` BURNDOWN, ``creditGrantId``) and one DEBIT per grant, in the
    caller's transaction. Once per invoice: an invoice that already has debits is left as it is (answers
    ``[]``). The invoice row, then the customer's grants, are locked first (two drawdowns at once cannot
    both spend one balance)."""
    invoice = await core_lines.editable(session, KIND, account_id, invoice_id)
    if invoice.customer_id != customer_id:
        raise ValidationFailed(f"Invoice {invoice_id!r} is not an invoice of customer {customer_id!r}",
                               field="customerId")
    drawn = await session.scalar(select(CreditTransaction.id).where(
        CreditTransaction.account_id == account_id, CreditTransaction.invoice_id == invoice_id,
        CreditTransaction.type == DEBIT).limit(1))
    if drawn is not None:
        return []
    grants = await _customer_grants(session, account_id, customer_id, lock=True)
    if not grants:
        return []
    states = await _states(session, grants, on_date)
    charges = await _charges(session, account_id, invoice_id, invoice.currency)
    draws = plan_drawdown([_view(s) for s in states], charges, currency=invoice.currency, on_date=on_date)
    spent: dict[str, Decimal] = {}
    for draw in draws:
        await invoice_lines.add_line(session, account_id, invoice_id, LineItemWrite(
            title=draw.title, quantity=draw.quantity, rate=draw.rate, tax_rate=draw.tax_rate, external_ids=[],
            revenue_classification="BURNDOWN", credit_grant_id=draw.grant_id,
        ))
        spent[draw.grant_id] = spent.get(draw.grant_id, Decimal(0)) + draw.amount
    now = clock.now()
    debits = [CreditTransaction(id=uuid7(), account_id=account_id, grant_id=grant_id, type=DEBIT, amount=amount,
                                reason="Drawn on invoice", invoice_id=invoice_id, billing_run_id=billing_run_id,
                                date=on_date, created_at=now)
              for grant_id, amount in spent.items()]
    session.add_all(debits)
    await session.flush()
    return debits


async def restore(session: AsyncSession, account_id: str, invoice_id: str, reason: str) -> list[CreditTransaction]:
    """A CREDIT for each DEBIT the invoice drew that is not restored yet (once: the ledger's unique key)."""
    rows = list(await session.scalars(select(CreditTransaction).where(
        CreditTransaction.account_id == account_id, CreditTransaction.invoice_id == invoice_id)
        .order_by(CreditTransaction.id)))
    restored = {t.grant_id for t in rows if t.type == CREDIT}
    now = clock.now()
    credits = [CreditTransaction(id=uuid7(), account_id=account_id, grant_id=t.grant_id, type=CREDIT, amount=t.amount,
                                 reason=reason, invoice_id=invoice_id, billing_run_id=t.billing_run_id,
                                 date=now.date(), created_at=now)
               for t in rows if t.type == DEBIT and t.grant_id not in restored]
    if credits:
        session.add_all(credits)
        await session.flush()
    return credits
