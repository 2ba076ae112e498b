"""``/billing-runs``: a read-only Quire extension (not in Sequence's public API): the engine's runs of
this account, their status and counts (docs/billing-engine.md#runs)."""

from __future__ import annotations

from typing import Literal

from quire.billing import engine  # noqa: F401 - registers the engine's schedule-archive hook in the app
from quire.billing.models import BillingRun
from quire.core.http import Account, Session, api_router
from quire.core.pages import ListPage
from quire.core.pagination import UnsortedPageQuery, present_page
from quire.core.repository import list_page, loader
from quire.core.schemas import AccountObject, IsoDate, Timestamp

router = api_router(tags=["Billing runs (Quire extension)"])

get_run = loader(BillingRun)


class BillingRunRead(AccountObject):
    batch_id: str
    as_of: IsoDate
    status: Literal["IN_PROGRESS", "COMPLETED", "FAILED"]
    schedules_seen: int
    invoices_created: int
    invoices_updated: int
    invoices_unchanged: int
    errors: int
    last_error: str | None = None
    started_at: Timestamp
    finished_at: Timestamp | None = None
    created_at: Timestamp


class BillingRunPage(ListPage[BillingRunRead]):
    pass


def present_run(run: BillingRun) -> BillingRunRead:
    return BillingRunRead.of_row(run)


@router.get("/billing-runs", response_model=BillingRunPage, operation_id="getBillingRuns")
async def get_billing_runs(session: Session, account: Account, params: UnsortedPageQuery) -> BillingRunPage:
    """The account's billing runs, newest first."""
    return present_page(BillingRunPage, await list_page(session, BillingRun, account, params), present_run)


@router.get("/billing-runs/{id}", response_model=BillingRunRead, operation_id="getBillingRunsById")
async def get_billing_run(id: str, session: Session, account: Account) -> BillingRunRead:
    return present_run(await get_run(session, account, id))
