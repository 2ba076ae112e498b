"""Products, prices (variants) and list prices. Services flush, never commit. Plans: ``plans.py``.

Rules (docs/catalogue.md): every structure is validated on create; a price is immutable after creation
except its ``name``; DELETE /prices is a soft delete refused while a plan's latest version uses the price;
list prices are templates that can be replaced (PUT) until archived.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.catalogue import present
from quire.catalogue import repository as repo
from quire.catalogue.models import ListPrice, Price, Product
from quire.catalogue.schemas import ListPriceWrite, PriceCreate, PriceUpdate, ProductCreate, ProductUpdate
from quire.catalogue.structures import Flavour, Graduated, check_price_rules, invalid, parse_structure, to_wire
from quire.core import clock
from quire.core.errors import InvalidStateTransition, QuireError, ValidationFailed
from quire.core.ids import uuid7
from quire.core.pagination import Page, PageParams
from quire.core.references import resolve, unknown_reference
from quire.core.repository import contains, insert, list_page, loader, stamp_once


class ImmutableField(ValidationFailed):
    error_type = "ImmutableField"


class PriceInUse(QuireError):
    status_code = 400
    error_type = "PriceInUse"


#: Price fields fixed at creation. Sending one to PUT /prices/{id} is refused unless it repeats the value.
IMMUTABLE_PRICE_FIELDS = (
    "productId", "currency", "structure", "billingFrequency", "billingType", "externalIds", "parameters",
    "listPriceId", "usageCalculationPeriod",
)


# --- products -------------------------------------------------------------------------------------


async def create_product(session: AsyncSession, account_id: str, data: ProductCreate) -> Product:
    """``label`` (required in responses) defaults to the name."""
    now = clock.now()
    product = Product(id=uuid7(), account_id=account_id, name=data.name, label=data.label if data.label is not None
                      else data.name, created_at=now, updated_at=now)
    return await insert(session, product)


get_product = loader(Product)


async def update_product(session: AsyncSession, account_id: str, product_id: str, data: ProductUpdate) -> Product:
    product = await get_product(session, account_id, product_id, lock=True)
    product.name = data.name
    if data.label is not None:
        product.label = data.label
    product.updated_at = clock.now()
    await session.flush()
    return product


async def list_products(session: AsyncSession, account_id: str, *, params: PageParams, name: str | None) -> Page[Product]:
    return await list_page(session, Product, account_id, params, contains(Product.name, name))


async def list_billing_products(session: AsyncSession, account_id: str, *,
                                params: PageParams) -> tuple[Page[Product], dict[str, list[Price]]]:
    """A page of products and, for each, its prices that are not deleted (one query for the page)."""
    page = await list_page(session, Product, account_id, params)
    prices: dict[str, list[Price]] = {p.id: [] for p in page.items}
    for price in await repo.prices_of_products(session, account_id, list(prices)):
        prices[price.product_id].append(price)
    return page, prices


# --- prices ---------------------------------------------------------------------------------------


async def create_price(session: AsyncSession, account_id: str, data: PriceCreate) -> Price:
    """A new price variant; the product (and list price, if named) must be the caller's (400 naming it)."""
    await resolve("productId", get_product(session, account_id, data.product_id))
    structure = parse_structure(data.structure, Flavour.PRICE)
    check_price_rules(structure, billing_frequency=data.billing_frequency, billing_type=data.billing_type,
                      has_calculation_period=data.usage_calculation_period is not None)
    if data.list_price_id is not None:
        listed = await resolve("listPriceId", get_list_price(session, account_id, data.list_price_id))
        if listed.archived_at is not None:
            raise invalid("listPriceId", "names an archived list price")
        if listed.product_id != data.product_id:
            raise invalid("listPriceId", "names a list price of another product")
    now = clock.now()
    price = Price(
        id=uuid7(), account_id=account_id, product_id=data.product_id, list_price_id=data.list_price_id,
        name=data.name, currency=data.currency, pricing_type=structure.pricing_type,
        structure=to_wire(structure, Flavour.PRICE), billing_frequency=data.billing_frequency,
        billing_type=data.billing_type, external_ids=[x.model_dump(by_alias=True) for x in data.external_ids],
        parameters=[x.model_dump(by_alias=True) for x in data.parameters or []],
        usage_calculation_period=(data.usage_calculation_period.model_dump(by_alias=True)
                                  if data.usage_calculation_period else None),
        created_at=now, updated_at=now,
    )
    return await insert(session, price)


#: A price that is not deleted, or 404.
get_price = loader(Price, live=True)


async def check_price_reference(session: AsyncSession, account_id: str, price_id: str, *, field: str = "priceId") -> None:
    """A document line's ``priceId`` must be a price of the account (a deleted one too: a line may keep naming
    the price it was billed from); else 400 naming ``field`` (docs/errors.md#references)."""
    if price_id not in await repo.prices_by_id(session, account_id, [price_id]):
        raise unknown_reference(field, f"Price {price_id!r} was not found")


async def rename_price(session: AsyncSession, account_id: str, price_id: str, data: PriceUpdate) -> Price:
    """Only ``name`` changes. Any other price field that is sent must repeat the stored value (so a client
    may PUT back what it read), otherwise 400 ``ImmutableField``."""
    price = await get_price(session, account_id, price_id, lock=True)
    stored = present.price(price).model_dump(mode="json", by_alias=True, exclude_none=True)
    for key, sent in (data.model_extra or {}).items():
        if key in IMMUTABLE_PRICE_FIELDS and not _same(key, sent, stored.get(key)):
            message = "cannot change after a price is created (only name can); create a new price instead"
            raise ImmutableField(f"{key}: {message}", fields=[{"field": key, "message": message}])
    price.name = data.name
    price.updated_at = clock.now()
    await session.flush()
    return price


def _same(key: str, sent: Any, stored: Any) -> bool:
    if sent is None:
        return stored is None or stored == []
    if key == "structure":
        try:
            return to_wire(parse_structure(sent, Flavour.PRICE), Flavour.PRICE) == stored
        except ValidationFailed:
            return False
    return bool(sent == stored)


async def delete_price(session: AsyncSession, account_id: str, price_id: str) -> Price:
    """Soft delete: gone from reads and lists, still shown (with ``deletedAt``) by the plan versions that
    contained it. Refused while the latest version of a plan contains the price."""
    price = await get_price(session, account_id, price_id, lock=True)
    plans = await repo.plans_currently_using(session, account_id, price.id)
    if plans:
        raise PriceInUse(
            f"Price {price.id!r} is in the current version of plan(s) {', '.join(plans)}; "
            "publish plan versions without it first", planIds=plans,
        )
    return await stamp_once(session, price, "deleted_at")


async def list_prices(session: AsyncSession, account_id: str, *, params: PageParams, currency: str | None,
                      name: str | None, billing_frequency: str | None, product_id: str | None) -> Page[Price]:
    filters = repo.price_filters(currency=currency, name=name, billing_frequency=billing_frequency, product_id=product_id)
    return await list_page(session, Price, account_id, params, *filters)


# --- list prices ----------------------------------------------------------------------------------


def _list_price_fields(data: ListPriceWrite) -> dict[str, Any]:
    structure = parse_structure(data.structure, Flavour.LIST_PRICE)
    check_price_rules(structure, billing_frequency=data.billing_frequency, billing_type=data.billing_type,
                      has_calculation_period=data.usage_calculation_period is not None)
    # The contract: usageCalculationPeriod "will be ignored for all non-graduated prices".
    period = data.usage_calculation_period if isinstance(structure, Graduated) else None
    return {
        "name": data.name, "currency": data.currency, "pricing_type": structure.pricing_type,
        "structure": to_wire(structure, Flavour.LIST_PRICE), "billing_frequency": data.billing_frequency,
        "billing_type": data.billing_type,
        "integration_ids": [x.model_dump(by_alias=True) for x in data.integration_ids],
        "custom_metric_parameters": [x.model_dump(by_alias=True) for x in data.custom_metric_parameters],
        "usage_calculation_period": period.model_dump(by_alias=True) if period else None,
    }


async def create_list_price(session: AsyncSession, account_id: str, data: ListPriceWrite) -> ListPrice:
    await resolve("productId", get_product(session, account_id, data.product_id))
    fields = _list_price_fields(data)
    now = clock.now()
    listed = ListPrice(id=uuid7(), account_id=account_id, product_id=data.product_id, created_at=now, updated_at=now,
                       **fields)
    return await insert(session, listed)


get_list_price = loader(ListPrice)


async def replace_list_price(session: AsyncSession, account_id: str, list_price_id: str,
                             data: ListPriceWrite) -> ListPrice:
    """PUT replaces every field, validated as on create. Variants made from it keep their own copy.
    The product is fixed, and an archived list price cannot be edited."""
    listed = await get_list_price(session, account_id, list_price_id, lock=True)
    if listed.archived_at is not None:
        raise InvalidStateTransition("An archived list price cannot be edited", action="edit", currentStatus="ARCHIVED")
    if data.product_id != listed.product_id:
        message = "the product of a list price cannot change; create a new list price"
        raise ImmutableField(f"productId: {message}", fields=[{"field": "productId", "message": message}])
    for key, value in _list_price_fields(data).items():
        setattr(listed, key, value)
    listed.updated_at = clock.now()
    await session.flush()
    return listed


async def archive_list_price(session: AsyncSession, account_id: str, list_price_id: str) -> ListPrice:
    """Idempotent: archiving again keeps the first archive time. Archived list prices stay readable but
    cannot be used for new price variants."""
    return await stamp_once(session, await get_list_price(session, account_id, list_price_id, lock=True), "archived_at")


async def list_list_prices(session: AsyncSession, account_id: str, *, params: PageParams, currency: str | None,
                           product_id: str | None, billing_frequency: str | None,
                           include_archived: bool) -> Page[ListPrice]:
    filters = repo.list_price_filters(currency=currency, product_id=product_id, billing_frequency=billing_frequency,
                                      include_archived=include_archived)
    return await list_page(session, ListPrice, account_id, params, *filters)
