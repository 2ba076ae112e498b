"""The console's catalogue forms (docs/console.md): products (list, page, create, edit), a price of a product
in any of the seven structures, a plan with prices, and a billing schedule for a customer from a plan.

Each form is a GET page and a CSRF-checked POST that validates with the API's request model and calls the
API's service (``quire.catalogue.service``, ``quire.catalogue.plans``, ``quire.schedules.service``): a 303 to
the created object on success; on failure the same form again, 400, with the API's messages (the summary
verbatim, each next to its field), and nothing written (``web._serve`` rolls back every answer >= 400).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.responses import Response

from quire.catalogue import plans
from quire.catalogue import service as catalogue
from quire.catalogue.enums import (
    BILLING_FREQUENCY,
    BILLING_TYPE,
    PRICING_TYPE,
    SEAT_CHARGE_METHOD,
    SEAT_PRORATION_STRATEGY,
    USAGE_CALCULATION_FREQUENCY,
    USAGE_CALCULATION_MODE,
)
from quire.catalogue.schemas import PlanCreate, PlanSortBy, PriceCreate, ProductCreate, ProductUpdate
from quire.console.forms import FormErrors, from_error, many, text, validate
from quire.console.pages import _params, routes
from quire.console.web import Ctx
from quire.core import clock
from quire.core.contract_enums import CURRENCY
from quire.core.errors import NotFound, QuireError
from quire.core.pagination import PageParams, SortOrder
from quire.customers import service as customers
from quire.schedules import service as schedules
from quire.schedules.schemas import ScheduleCreate

#: How many prices a plan form offers, and plans a schedule form (the newest; a plan has at most 100 prices).
CHOICES = 100
NO_ERRORS = FormErrors("", {})


def _failed(exc: Exception, fields: dict[str, str] | None = None) -> FormErrors:
    """The API's answer to a bad form: its summary as is, each field's message on the form field that
    holds it (``structure.tiers[1].upperBound`` is the ``tiers`` box, ``phases[0].priceIds`` the plan)."""
    errors = exc if isinstance(exc, FormErrors) else from_error(exc)  # type: ignore[arg-type]
    placed: dict[str, str] = {}
    for path, message in errors.fields.items():
        message = message.removeprefix(f"{path}: ")  # some services' field messages repeat the field
        inner = path.removeprefix("structure.")
        head = re.match(r"[A-Za-z]*", inner).group(0)  # type: ignore[union-attr]
        name = (fields or {}).get(head, head) or "body"
        note = message if inner == head else f"{inner}: {message}"
        placed.setdefault(name, note)
    return FormErrors(errors.summary, placed)


def _choices(limit: int = CHOICES) -> PageParams:
    return PageParams(limit=limit, after=None, before=None, sort_order=SortOrder.DESC, issuer="console")


# --- products -------------------------------------------------------------------------------------------


@routes.get("/a/{account}/products")
async def product_list(ctx: Ctx) -> Response:
    kept = {"name": ctx.query.get("name", "")}
    page = await catalogue.list_products(ctx.session, ctx.account_id, params=_params(ctx), name=text(kept, "name"))
    return ctx.page("products.html", "Products", page=page, kept=kept)


def _product_form(ctx: Ctx, product: Any, form: dict[str, str], errors: FormErrors = NO_ERRORS) -> Response:
    title = f"Edit {product.name}" if product else "New product"
    action = ctx.url(f"/products/{product.id}" if product else "/products")
    return ctx.page("product_form.html", title, 400 if errors.summary else 200, form=form, errors=errors,
                    action=action, product=product)


def _product_body(form: dict[str, str]) -> dict[str, Any]:
    """``label`` left blank is left out: the API then uses the name (create) or keeps it (edit)."""
    return {"name": form.get("name", ""), **({"label": text(form, "label")} if text(form, "label") else {})}


@routes.get("/a/{account}/products/new")
async def product_new(ctx: Ctx) -> Response:
    return _product_form(ctx, None, {})


async def _save_product(ctx: Ctx, product: Any) -> Response:
    """``POST /products`` (no ``product``) or ``PUT /products/{id}``, from the form."""
    body = _product_body(ctx.form)
    try:
        if product is None:
            saved = await catalogue.create_product(ctx.session, ctx.account_id, validate(ProductCreate, body))
        else:
            saved = await catalogue.update_product(ctx.session, ctx.account_id, product.id, validate(ProductUpdate, body))
    except (FormErrors, QuireError) as exc:
        return _product_form(ctx, product, ctx.form, _failed(exc))
    return ctx.redirect(f"/products/{saved.id}")


@routes.post("/a/{account}/products")
async def product_create(ctx: Ctx) -> Response:
    return await _save_product(ctx, None)


@routes.get("/a/{account}/products/{id}")
async def product_detail(ctx: Ctx) -> Response:
    product = await catalogue.get_product(ctx.session, ctx.account_id, ctx.params["id"])
    prices = await catalogue.list_prices(ctx.session, ctx.account_id, params=_params(ctx), currency=None, name=None,
                                         billing_frequency=None, product_id=product.id)
    return ctx.page("product.html", product.name, product=product, prices=prices, kept={})


@routes.get("/a/{account}/products/{id}/edit")
async def product_edit(ctx: Ctx) -> Response:
    product = await catalogue.get_product(ctx.session, ctx.account_id, ctx.params["id"])
    return _product_form(ctx, product, {"name": product.name, "label": product.label})


@routes.post("/a/{account}/products/{id}")
async def product_update(ctx: Ctx) -> Response:
    return await _save_product(ctx, await catalogue.get_product(ctx.session, ctx.account_id, ctx.params["id"]))


# --- prices: the seven structures from one form --------------------------------------------------------

#: The form fields of each structure (besides ``pricingType``), as the API names them.
STRUCTURE_FIELDS: dict[str, tuple[str, ...]] = {
    "ONE_TIME": ("price",),
    "FIXED": ("price",),
    "LINEAR": ("pricePerUnit", "usageMetricId", "isPricePercentage"),
    "PACKAGE": ("packageSize", "pricePerPackage", "usageMetricId"),
    "VOLUME": ("tiers", "usageMetricId", "isPricePercentage"),
    "GRADUATED": ("tiers", "usageMetricId", "isPricePercentage", "usageCalculationMode"),
    "SEAT_BASED": ("seatTypeId", "pricePerSeat", "prorationStrategy", "includedSeats", "chargeMethod",
                   "overagesBillingFrequency", "tiers"),
}
CHOICES_OF = {"billingFrequency": BILLING_FREQUENCY, "billingType": BILLING_TYPE, "pricingType": PRICING_TYPE,
              "usageCalculationMode": USAGE_CALCULATION_MODE, "prorationStrategy": SEAT_PRORATION_STRATEGY,
              "chargeMethod": SEAT_CHARGE_METHOD, "usageCalculationFrequency": USAGE_CALCULATION_FREQUENCY,
              "overagesBillingFrequency": BILLING_FREQUENCY, "currency": CURRENCY}
#: Where the structure's fields show: which structures each one belongs to (the form hides the others).
SHOWN_FOR = {name: " ".join(k for k, names in STRUCTURE_FIELDS.items() if name in names)
             for name in {n for names in STRUCTURE_FIELDS.values() for n in names}}
SHOWN_FOR["usageCalculationPeriod"] = "GRADUATED"
UNBOUNDED = ("", "*", "-", "∞", "inf")


def _tier_rows(raw: str, *, percentage: bool) -> list[dict[str, Any]] | str:
    """The tiers box: one tier a line, ``upper bound, price[, fee]``, the last one's bound ``*`` (unbounded).
    Each value is passed on as typed, so the API's structure check judges it and names the tier."""
    rows: list[dict[str, Any]] = []
    for n, line in enumerate((ln for ln in raw.splitlines() if ln.strip()), start=1):
        cells = [c.strip() for c in line.split(",")]
        if len(cells) not in (2, 3):
            return f"line {n}: write 'upper bound, price' or 'upper bound, price, fee' (the last bound: *)"
        row: dict[str, Any] = {"price": cells[1], "isPricePercentage": percentage}
        if cells[0] not in UNBOUNDED:
            row["upperBound"] = cells[0]
        if len(cells) == 3 and cells[2]:
            row["fee"] = cells[2]
        rows.append(row)
    return rows


def _price_body(product_id: str, form: dict[str, str]) -> dict[str, Any]:
    """The ``POST /prices`` body the form stands for: the common fields and the chosen structure's own."""
    kind = form.get("pricingType", "")
    structure: dict[str, Any] = {"pricingType": kind}
    for name in STRUCTURE_FIELDS.get(kind, ()):
        value = form.get(name, "").strip()
        if name == "isPricePercentage":
            structure[name] = bool(value)
        elif name == "tiers":
            rows = _tier_rows(form.get("tiers", ""), percentage=kind != "SEAT_BASED" and bool(form.get("isPricePercentage")))
            if isinstance(rows, str):
                raise FormErrors(f"structure.tiers: {rows}", {"tiers": rows})
            structure[name] = rows
        elif name == "includedSeats":  # a JSON integer in the API: a whole number is sent as one
            structure[name] = int(value) if value.isdigit() and len(value) < 12 else value or None
        elif value:
            structure[name] = value
    body: dict[str, Any] = {"productId": product_id, "name": form.get("name", ""), "currency": form.get("currency", ""),
                            "structure": structure, "billingFrequency": form.get("billingFrequency", ""),
                            "billingType": form.get("billingType", ""), "externalIds": []}
    if kind == "GRADUATED" and form.get("usageCalculationMode") == "PERIODIC":
        interval = form.get("usageCalculationInterval", "").strip()
        body["usageCalculationPeriod"] = {"frequency": form.get("usageCalculationFrequency", ""),
                                          "interval": int(interval) if interval.isdigit() and len(interval) < 6 else interval}
    return body


PRICE_DEFAULTS = {"currency": "GBP", "billingFrequency": "MONTHLY", "billingType": "IN_ARREARS", "pricingType": "FIXED",
                  "usageCalculationMode": "BILLING_PERIOD", "prorationStrategy": "USE_MAXIMUM",
                  "chargeMethod": "CHARGE_CONSUMED", "includedSeats": "0", "usageCalculationFrequency": "MONTHLY",
                  "usageCalculationInterval": "1"}


def _price_form(ctx: Ctx, product: Any, form: dict[str, str], errors: FormErrors = NO_ERRORS) -> Response:
    return ctx.page("price_form.html", f"New price of {product.name}", 400 if errors.summary else 200, form=form,
                    errors=errors, product=product, choices=CHOICES_OF, shown_for=SHOWN_FOR,
                    action=ctx.url(f"/products/{product.id}/prices"))


@routes.get("/a/{account}/products/{id}/prices/new")
async def price_new(ctx: Ctx) -> Response:
    product = await catalogue.get_product(ctx.session, ctx.account_id, ctx.params["id"])
    return _price_form(ctx, product, {**PRICE_DEFAULTS, **ctx.query})


@routes.post("/a/{account}/products/{id}/prices")
async def price_create(ctx: Ctx) -> Response:
    product = await catalogue.get_product(ctx.session, ctx.account_id, ctx.params["id"])
    try:
        data = validate(PriceCreate, _price_body(product.id, ctx.form))
        price = await catalogue.create_price(ctx.session, ctx.account_id, data)
    except (FormErrors, QuireError) as exc:
        errors = _failed(exc, {"usageCalculationPeriod": "usageCalculationInterval"})
        return _price_form(ctx, product, ctx.form, errors)
    return ctx.redirect(f"/prices/{price.id}")


# --- plans: a first version with prices ----------------------------------------------------------------------


async def _plan_form(ctx: Ctx, form: dict[str, str], errors: FormErrors = NO_ERRORS) -> Response:
    offered = await catalogue.list_prices(ctx.session, ctx.account_id, params=_choices(), currency=None, name=None,
                                          billing_frequency=None, product_id=None)
    chosen = set(many(form, "priceIds[]"))
    return ctx.page("plan_form.html", "New plan", 400 if errors.summary else 200, form=form, errors=errors,
                    prices=offered.items, chosen=chosen, currencies=CURRENCY, action=ctx.url("/plans"))


@routes.get("/a/{account}/plans/new")
async def plan_new(ctx: Ctx) -> Response:
    return await _plan_form(ctx, {"currency": "GBP", "type": "REUSABLE", **ctx.query})


@routes.post("/a/{account}/plans")
async def plan_create(ctx: Ctx) -> Response:
    form = ctx.form
    body: dict[str, Any] = {"name": form.get("name", ""), "label": form.get("label", ""), "type": form.get("type", ""),
                            "currency": form.get("currency", ""), "priceIds": many(form, "priceIds[]"),
                            "eligibleCustomerIds": many(form, "eligibleCustomerIds")}
    if text(form, "minimum"):
        body["minimum"] = text(form, "minimum")
    try:
        view = await plans.create_plan(ctx.session, ctx.account_id, validate(PlanCreate, body))
    except (FormErrors, QuireError) as exc:
        return await _plan_form(ctx, form, _failed(exc))
    return ctx.redirect(f"/plans/{view.plan.id}")


# --- a billing schedule for a customer from a plan -----------------------------------------------------------


async def _schedule_form(ctx: Ctx, customer: Any, form: dict[str, str], errors: FormErrors = NO_ERRORS) -> Response:
    _, views = await plans.list_plans(ctx.session, ctx.account_id, params=_choices(), sort_by=PlanSortBy.CREATED_AT,
                                      name=None, plan_type=None, created_before=None, created_after=None)
    return ctx.page("schedule_form.html", f"New billing schedule for {customer.legal_name}", 400 if errors.summary else 200,
                    form=form, errors=errors, customer=customer, views=views,
                    action=ctx.url(f"/customers/{customer.id}/billing-schedules"))


def schedule_from_plan(customer_id: str, view: Any, form: dict[str, str]) -> dict[str, Any]:
    """The ``POST /billing-schedules`` body for the plan's latest version: ``type`` PLAN, one phase with the
    version's prices from the start date (to the end date, if any) and the version's minimum as the phase's
    minimum; created as a DRAFT, to be activated from its page."""
    phase: dict[str, Any] = {"priceIds": [p.id for p in view.prices], "startDate": form.get("startDate", "")}
    if text(form, "endDate"):
        phase["endDate"] = text(form, "endDate")
    if view.version.minimum is not None:
        phase["minimums"] = [{"amount": view.version.minimum, "restrictToPrices": []}]
    body: dict[str, Any] = {"customerId": customer_id, "type": "PLAN", "startDate": phase["startDate"],
                            "phases": [phase], "autoIssueInvoices": bool(form.get("autoIssueInvoices")),
                            "createAsDraft": True}
    for name in ("endDate", "purchaseOrderNumber"):
        if text(form, name):
            body[name] = text(form, name)
    return body


@routes.get("/a/{account}/customers/{id}/billing-schedules/new")
async def schedule_new(ctx: Ctx) -> Response:
    customer = await customers.get_customer(ctx.session, ctx.account_id, ctx.params["id"])
    return await _schedule_form(ctx, customer, {"startDate": clock.today().isoformat(), **ctx.query})


@routes.post("/a/{account}/customers/{id}/billing-schedules")
async def schedule_create(ctx: Ctx) -> Response:
    customer = await customers.get_customer(ctx.session, ctx.account_id, ctx.params["id"])
    form = ctx.form
    try:
        plan_id = text(form, "planId")
        if plan_id is None:
            raise FormErrors("planId: choose a plan", {"planId": "choose a plan"})
        try:
            view = await plans.get_plan(ctx.session, ctx.account_id, plan_id)
        except NotFound:
            raise FormErrors(f"planId: plan {plan_id!r} was not found", {"planId": "was not found"}) from None
        created = await schedules.create_schedule(ctx.session, ctx.account_id,
                                                  validate(ScheduleCreate, schedule_from_plan(customer.id, view, form)))
    except (FormErrors, QuireError) as exc:
        return await _schedule_form(ctx, customer, form, _failed(exc, {"phases": "planId", "customerId": "body"}))
    return ctx.redirect(f"/billing-schedules/{created.schedule.id}")
