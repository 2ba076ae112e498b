"""Cursor pages: keyset on (sort key, id), never OFFSET, so pages stay stable while rows arrive.

A cursor is urlsafe base64 of a small JSON document (sort key value, id, sort order) followed by
an HMAC, so a cursor that was edited or belongs to another sort is refused with 400. See
docs/pagination.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from quire.config import get_settings
from quire.core.errors import ValidationFailed
from quire.core.schemas import ApiModel

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class SortOrder(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


class PaginationMeta(ApiModel):
    after: str | None = None
    before: str | None = None
    total_result_size: int | None = None


@dataclass(frozen=True)
class PageParams:
    limit: int
    after: str | None
    before: str | None
    sort_order: SortOrder


# The dependencies below are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in a worker
# thread, a hop that cost more than the work itself on every list request.


#: Lists report ``totalResultSize`` exactly up to this many matching rows, and omit it above.
MAX_COUNTED = 10_000


def _page(limit: int, after: str | None, before: str | None, sort_order: SortOrder) -> PageParams:
    if after is not None and before is not None:
        raise ValidationFailed("Pass either 'after' or 'before', not both", field="after")
    return PageParams(limit=limit, after=after, before=before, sort_order=sort_order)


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Maximum number of objects to return per-page.")] = DEFAULT_LIMIT,
    after: Annotated[str | None, Query(max_length=2048)] = None,
    before: Annotated[str | None, Query(max_length=2048)] = None,
    sort_order: Annotated[SortOrder, Query(alias="sortOrder")] = SortOrder.DESC,
) -> PageParams:
    return _page(limit, after, before, sort_order)


async def unsorted_page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    after: Annotated[str | None, Query(max_length=2048)] = None,
    before: Annotated[str | None, Query(max_length=2048)] = None,
) -> PageParams:
    """For lists whose contract has no ``sortOrder`` parameter (newest first)."""
    return _page(limit, after, before, SortOrder.DESC)


async def ascending_page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    after: Annotated[str | None, Query(max_length=2048)] = None,
    before: Annotated[str | None, Query(max_length=2048)] = None,
    sort_order: Annotated[SortOrder, Query(alias="sortOrder")] = SortOrder.ASC,
) -> PageParams:
    """For the lines of one document, which read top to bottom: ``index`` ascending by default."""
    return _page(limit, after, before, sort_order)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload: bytes) -> bytes:
    return hmac.new(get_settings().secret_key.encode(), payload, hashlib.sha256).digest()[:12]


def _encode_value(value: Any) -> list[Any]:
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if isinstance(value, bool) or value is None:
        raise TypeError("sort keys must not be booleans or null")
    if isinstance(value, int):
        return ["i", value]
    return ["s", str(value)]


def _decode_value(tagged: list[Any]) -> Any:
    tag, raw = tagged
    if tag == "t":
        return datetime.fromisoformat(raw)
    if tag == "d":
        return date.fromisoformat(raw)
    if tag == "i":
        return int(raw)
    if tag == "s":
        return str(raw)
    raise ValueError(tag)


def encode_cursor(sort_name: str, order: SortOrder, value: Any, ident: str) -> str:
    payload = json.dumps([sort_name, order.value, _encode_value(value), ident], separators=(",", ":")).encode()
    return _b64(payload + _mac(payload))


def decode_cursor(cursor: str, sort_name: str, order: SortOrder, param: str) -> tuple[Any, str]:
    invalid = ValidationFailed(f"'{param}' is not a valid pagination cursor for this list", field=param)
    try:
        raw = _unb64(cursor)
    except (ValueError, TypeError):
        raise invalid from None
    payload, mac = raw[:-12], raw[-12:]
    if len(raw) <= 12 or not hmac.compare_digest(mac, _mac(payload)):
        raise invalid
    try:
        name, order_value, tagged, ident = json.loads(payload)
        value = _decode_value(tagged)
    except (ValueError, TypeError):
        raise invalid from None
    if name != sort_name or order_value != order.value:
        raise ValidationFailed(
            f"'{param}' was issued for another sortBy/sortOrder; start again from the first page", field=param
        )
    return value, str(ident)


@dataclass
class Page(Generic[T]):
    items: list[T]
    meta: PaginationMeta


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    params: PageParams,
    sort_column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    sort_name: str = "createdAt",
    sort_value: Any = None,
    with_total: bool = True,
    offset: int = 0,
) -> Page[Any]:
    """Fetch one page of ``stmt`` (a select of one entity with its filters applied).

    ``sort_value(row)`` returns the row's sort key (defaults to the attribute named like the column).
    ``offset`` skips that many rows past the cursor (``GET /usage-events`` has an ``offset`` parameter).
    """
    key = tuple_(sort_column, id_column)
    descending = params.sort_order is SortOrder.DESC
    going_back = params.before is not None
    cursor = params.before if going_back else params.after
    page_stmt = stmt
    if cursor is not None:
        value, ident = decode_cursor(cursor, sort_name, params.sort_order, "before" if going_back else "after")
        bound = tuple_(literal(value, sort_column.type), literal(ident, id_column.type))
        # Going forward in DESC order, or back in ASC order, means "smaller keys".
        page_stmt = page_stmt.where(key < bound if descending != going_back else key > bound)
    # Walk backwards by reversing the order, then flip the fetched rows.
    reverse = descending != going_back
    order = (sort_column.desc(), id_column.desc()) if reverse else (sort_column.asc(), id_column.asc())
    rows = list((await session.scalars(page_stmt.order_by(*order).offset(offset or None).limit(params.limit + 1))).all())
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    if going_back:
        rows.reverse()

    get_value = sort_value or (lambda row: getattr(row, sort_column.key))

    def cursor_of(row: Any) -> str:
        return encode_cursor(sort_name, params.sort_order, get_value(row), str(getattr(row, id_column.key)))

    after = before = None
    if rows:
        more_after = has_more if not going_back else True
        more_before = (cursor is not None or offset > 0) if not going_back else has_more
        if more_after:
            after = cursor_of(rows[-1])
        if more_before:
            before = cursor_of(rows[0])
    total = None
    if with_total:
        # Count at most MAX_COUNTED + 1 rows: an exact COUNT over a million invoices took 300 ms per
        # page (docs/performance.md). Beyond the cap the field is left out (the contract makes it optional).
        # Only the id is selected, so PostgreSQL can count from an index alone instead of reading up to
        # 10,001 table rows per page.
        capped = stmt.with_only_columns(id_column, maintain_column_froms=True).order_by(None).limit(MAX_COUNTED + 1).subquery()
        counted = int(await session.scalar(select(func.count()).select_from(capped)) or 0)
        total = counted if counted <= MAX_COUNTED else None
    return Page(items=rows, meta=PaginationMeta(after=after, before=before, total_result_size=total))
