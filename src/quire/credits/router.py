"""HTTP routes of the Credits tag (2024-01-01). Thin by design.

``/credits/{id}`` (a grant) and ``/credits/{customerId}/grants`` / ``.../balances`` (a customer's) share
their first two segments; a path parameter never spans a ``/``, so each request has one match.
"""

from __future__ import annotations

from decimal import Decimal

from quire.core.http import Account, Session, api_router, json_numbers
from quire.core.pagination import UnsortedPageQuery, present_page
from quire.credits import service
from quire.credits.models import CreditGrant
from quire.credits.present import customer_balances
from quire.credits.schemas import (
    DECODER, CreditBalances, CreditGrantCreate, CreditGrantPage, CreditGrantRead, CustomerGrantRead, CustomerGrants
)

router = api_router()
TAGS = ["Credits"]


def present_grant(grant: CreditGrant) -> CreditGrantRead:
    return CreditGrantRead.of_row(grant, cost_of_credit=grant.cost_of_credit or Decimal(0))


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
    return await customer_balances(session, account, customerId)
