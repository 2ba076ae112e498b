"""How a customer's credit balances are presented: ``GET /credits/{customerId}/balances`` and the customer
portal (docs/portal.md) show the same figures."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.money import decimal_str, format_amount
from quire.credits import service
from quire.credits.models import CreditTransaction
from quire.credits.schemas import BalanceGrantRead, CreditBalanceRead, CreditBalances, CreditTransactionRead
from quire.credits.service import GrantState


def _amount(value: object, state: GrantState) -> str:
    """Money in the currency's minor units ("50.00"); a metric's units canonical ("2.5")."""
    grant = state.grant
    return format_amount(value, grant.currency) if grant.credit_unit_type == "CURRENCY" else decimal_str(value)  # type: ignore[arg-type]


def _balance_grant(state: GrantState) -> BalanceGrantRead:
    g = state.grant
    return BalanceGrantRead.of_row(
        g, type="CASH" if g.credit_unit_type == "CURRENCY" else "USAGE", original_amount=_amount(g.amount, state),
        current_balance=_amount(state.balance, state),
        cost_of_credit=format_amount(g.cost_of_credit or Decimal(0), g.currency),
    )


def _transaction(t: CreditTransaction, state: GrantState) -> CreditTransactionRead:
    return CreditTransactionRead.of_row(t, amount=_amount(t.amount, state))


def present_balances(states: Sequence[GrantState], names: dict[str, str]) -> CreditBalances:
    """One balance per currency (CASH) and per metric (USAGE), in the order of their first grant."""
    targets: dict[tuple[str, str], list[GrantState]] = {}
    for state in states:
        g = state.grant
        key = ("CASH", g.currency) if g.credit_unit_type == "CURRENCY" else ("USAGE", g.metric_id or "")
        targets.setdefault(key, []).append(state)
    items = []
    for (kind, ident), members in targets.items():
        total = sum((s.balance for s in members), start=Decimal(0))
        transactions = sorted(((t, s) for s in members for t in s.transactions),
                              key=lambda pair: (pair[0].date, pair[0].created_at, pair[0].id))
        items.append(CreditBalanceRead(
            id=ident, type=kind, name=ident if kind == "CASH" else names.get(ident, ident),  # type: ignore[arg-type]
            balance=_amount(total, members[0]), grants=[_balance_grant(s) for s in members],
            transactions=[_transaction(t, s) for t, s in transactions],
        ))
    return CreditBalances(items=items)


async def customer_balances(session: AsyncSession, account_id: str, customer_id: str) -> CreditBalances:
    """The customer's balances (404 for a customer not of the account)."""
    states = await service.grant_states(session, account_id, customer_id)
    names = await service.metric_names(session, account_id, (s.grant.metric_id for s in states if s.grant.metric_id))
    return present_balances(states, names)
