"""HTTP routes of the Credits tag (2024-01-01). Thin by design.

``/credits/{id}`` (a grant) and ``/credits/{customerId}/grants`` / ``.../balances`` (a customer's) share
their first two segments; a path parameter never spans a ``/``, so each request has one match.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from quire.core.http import Account, Session, api_router, json_numbers
from quire.core.money import decimal_str, format_amount
from quire.core.pagination import UnsortedPageQuery, present_page
from quire.credits import service
from quire.credits.models import CreditGrant, CreditTransaction
from quire.credits.schemas import (
    DECODER, BalanceGrantRead, CreditBalanceRead, CreditBalances, CreditGrantCreate, CreditGrantPage, CreditGrantRead,
    CreditTransactionRead, CustomerGrantRead, CustomerGrants
)
from quire.credits.service import GrantState

router = api_router()
TAGS = ["Credits"]


def present_grant(grant: CreditGrant) -> CreditGrantRead:
    return CreditGrantRead.of_row(grant, cost_of_credit=grant.cost_of_credit or Decimal(0))


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


@router.post("/credits", status_code=201, response_model=CreditGrantRead, operation_id="postCredits", tags=TAGS)
@json_numbers(DECODER)
async def post_credit(body: CreditGrantCreate, session: Session, account: Account) -> CreditGrantRead:
    return present_grant(await service.create_grant(session, account, body))


@router.get("/credits", response_model=CreditGrantPage, operation_id="getCredits", tags=TAGS)
async def get_credits(session: Session, account: Account, params: UnsortedPageQuery) -> CreditGrantPage:
    return present_page(CreditGrantPage, await service.list_grants(session, account, params), present_grant)


@router.get("/credits/{id}", response_model=CreditGrantRead, operation_id="getCreditsById", tags=TAGS)
async def get_credit(id: str, session: Session, account: Account) -> CreditGrantRead:
    return present_grant(await service.get_grant(session, account, id))


@router.get("/credits/{customerId}/grants", response_model=CustomerGrants, operation_id="getCreditsByCustomerIdGrants",
            tags=TAGS)
async def get_customer_grants(customerId: str, session: Session, account: Account) -> CustomerGrants:  # noqa: N803
    """The customer's grants with a balance other than zero (an expired grant's is zero)."""
    states = await service.grant_states(session, account, customerId)
    return CustomerGrants(items=[
        CustomerGrantRead(id=s.grant.id, name=s.grant.name, grant_amount=s.grant.amount, balance=s.balance,
                          issue_date=s.grant.created_at.date(), expiry_date=s.grant.expiry_date)
        for s in states if s.balance != 0
    ])


@router.get("/credits/{customerId}/balances", response_model=CreditBalances,
            operation_id="getCreditsByCustomerIdBalances", tags=TAGS)
async def get_customer_balances(customerId: str, session: Session, account: Account) -> CreditBalances:  # noqa: N803
    states = await service.grant_states(session, account, customerId)
    names = await service.metric_names(session, account, (s.grant.metric_id for s in states if s.grant.metric_id))
    return present_balances(states, names)
