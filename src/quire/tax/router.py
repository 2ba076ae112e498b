"""HTTP routes of the Tax Rates and Tax Registrations tags (2024-01-01). Thin by design."""

from __future__ import annotations

from quire.core.http import Account, Session, api_router
from quire.core.pagination import PaginationMeta, UnsortedPageQuery as Params, present_page
from quire.tax import rates, registrations
from quire.tax.models import TaxRegistration
from quire.tax.schemas import (
    TaxRateCreate,
    TaxRatePage,
    TaxRateRead,
    TaxRateUpdate,
    TaxRegistrationPage,
    TaxRegistrationRead,
    TaxRegistrationWrite,
    present_rate,
    present_registration,
)

router = api_router()
RATES = ["Tax Rates"]
REGS = ["Tax Registrations"]


@router.get("/tax-rates", response_model=TaxRatePage, operation_id="getTaxRates", tags=RATES)
async def get_tax_rates(session: Session, account: Account, params: Params) -> TaxRatePage:
    return present_page(TaxRatePage, await rates.list_rates(session, account, params), present_rate)


@router.post("/tax-rates", status_code=201, response_model=TaxRateRead, operation_id="postTaxRates", tags=RATES)
async def post_tax_rate(body: TaxRateCreate, session: Session, account: Account) -> TaxRateRead:
    return present_rate(await rates.create_rate(session, account, body))


@router.get("/tax-rates/{id}", response_model=TaxRateRead, operation_id="getTaxRatesById", tags=RATES)
async def get_tax_rate(id: str, session: Session, account: Account) -> TaxRateRead:
    return present_rate(await rates.get_rate(session, account, id))


@router.put("/tax-rates/{id}", response_model=TaxRateRead, operation_id="putTaxRatesById", tags=RATES)
async def put_tax_rate(id: str, body: TaxRateUpdate, session: Session, account: Account) -> TaxRateRead:
    return present_rate(await rates.update_rate(session, account, id, body))


@router.delete("/tax-rates/{id}", response_model=TaxRateRead, operation_id="deleteTaxRatesById", tags=RATES)
async def delete_tax_rate(id: str, session: Session, account: Account) -> TaxRateRead:
    return present_rate(await rates.delete_rate(session, account, id))


@router.put("/tax-rates/{id}/archive", response_model=TaxRateRead, operation_id="putTaxRatesByIdArchive", tags=RATES)
async def archive_tax_rate(id: str, session: Session, account: Account) -> TaxRateRead:
    return present_rate(await rates.archive_rate(session, account, id))


# --- tax registrations ----------------------------------------------------------------------------


def _all(items: list[TaxRegistration]) -> TaxRegistrationPage:
    """The for-customer/for-merchant lists: every registration on one page (they take no cursor)."""
    return TaxRegistrationPage(items=[present_registration(r) for r in items],
                               pagination=PaginationMeta(total_result_size=len(items)))


@router.get("/tax-registrations", response_model=TaxRegistrationPage, operation_id="getTaxRegistrations", tags=REGS)
async def get_tax_registrations(session: Session, account: Account, params: Params) -> TaxRegistrationPage:
    return present_page(TaxRegistrationPage, await registrations.list_registrations(session, account, params),
                        present_registration)


@router.post("/tax-registrations", status_code=201, response_model=TaxRegistrationRead,
             operation_id="postTaxRegistrations", tags=REGS)
async def post_tax_registration(body: TaxRegistrationWrite, session: Session, account: Account) -> TaxRegistrationRead:
    return present_registration(await registrations.create_registration(session, account, body))


@router.get("/tax-registrations/for-merchant/{id}", response_model=TaxRegistrationPage,
            operation_id="getTaxRegistrationsForMerchantById", tags=REGS)
async def get_for_merchant(id: str, session: Session, account: Account) -> TaxRegistrationPage:
    return _all(await registrations.for_merchant(session, account, id))


@router.get("/tax-registrations/for-customer/{id}", response_model=TaxRegistrationPage,
            operation_id="getTaxRegistrationsForCustomerById", tags=REGS)
async def get_for_customer(id: str, session: Session, account: Account) -> TaxRegistrationPage:
    return _all(await registrations.for_customer(session, account, id))


@router.get("/tax-registrations/{id}", response_model=TaxRegistrationRead, operation_id="getTaxRegistrationsById", tags=REGS)
async def get_tax_registration(id: str, session: Session, account: Account) -> TaxRegistrationRead:
    return present_registration(await registrations.get_registration(session, account, id))


@router.put("/tax-registrations/{id}", response_model=TaxRegistrationRead, operation_id="putTaxRegistrationsById", tags=REGS)
async def put_tax_registration(
    id: str, body: TaxRegistrationWrite, session: Session, account: Account
) -> TaxRegistrationRead:
    return present_registration(await registrations.update_registration(session, account, id, body))


@router.delete("/tax-registrations/{id}", response_model=TaxRegistrationRead, operation_id="deleteTaxRegistrationsById",
               tags=REGS)
async def delete_tax_registration(id: str, session: Session, account: Account) -> TaxRegistrationRead:
    return present_registration(await registrations.delete_registration(session, account, id))
