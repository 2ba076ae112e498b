"""HTTP routes of the Tax Rates and Tax Registrations tags (2024-01-01). Thin by design."""

from __future__ import annotations

from quire.core.http import api_router
from quire.core.pagination import whole_list_meta
from quire.core.routing import ObjectRoutes
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


rate = ObjectRoutes(router, RATES, TaxRateRead, present_rate)
rate.list("/tax-rates", "getTaxRates", "get_tax_rates", TaxRatePage, rates.list_rates)
rate.create("/tax-rates", "postTaxRates", "post_tax_rate", TaxRateCreate, rates.create_rate)
rate.get("/tax-rates/{id}", "getTaxRatesById", "get_tax_rate", rates.get_rate)
rate.update("/tax-rates/{id}", "putTaxRatesById", "put_tax_rate", TaxRateUpdate, rates.update_rate)
rate.delete("/tax-rates/{id}", "deleteTaxRatesById", "delete_tax_rate", rates.delete_rate)
rate.on_id("PUT", "/tax-rates/{id}/archive", "putTaxRatesByIdArchive", "archive_tax_rate", rates.archive_rate)


# --- tax registrations ----------------------------------------------------------------------------


def _all(items: list[TaxRegistration]) -> TaxRegistrationPage:
    """The for-customer/for-merchant lists: every registration on one page (they take no cursor)."""
    return TaxRegistrationPage(items=[present_registration(r) for r in items],
                               pagination=whole_list_meta(len(items)))


registration = ObjectRoutes(router, REGS, TaxRegistrationRead, present_registration)
registration.list("/tax-registrations", "getTaxRegistrations", "get_tax_registrations", TaxRegistrationPage,
                  registrations.list_registrations)
registration.create("/tax-registrations", "postTaxRegistrations", "post_tax_registration", TaxRegistrationWrite,
                    registrations.create_registration)
registration.on_id("GET", "/tax-registrations/for-merchant/{id}", "getTaxRegistrationsForMerchantById",
                   "get_for_merchant", registrations.for_merchant, present=_all, response_model=TaxRegistrationPage)
registration.on_id("GET", "/tax-registrations/for-customer/{id}", "getTaxRegistrationsForCustomerById",
                   "get_for_customer", registrations.for_customer, present=_all, response_model=TaxRegistrationPage)
registration.get("/tax-registrations/{id}", "getTaxRegistrationsById", "get_tax_registration",
                 registrations.get_registration)
registration.update("/tax-registrations/{id}", "putTaxRegistrationsById", "put_tax_registration",
                    TaxRegistrationWrite, registrations.update_registration)
registration.delete("/tax-registrations/{id}", "deleteTaxRegistrationsById", "delete_tax_registration",
                    registrations.delete_registration)
