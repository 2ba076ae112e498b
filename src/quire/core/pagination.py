"""Cursor pages: keyset on (sort key, id), never OFFSET, so pages stay stable while rows arrive.

A cursor is urlsafe base64 of a small JSON document (the list that issued it, sort name and order,
sort key value, id) followed by an HMAC, so a cursor that was edited, or issued by another list or
for another sort, is refused with 400 before any of it reaches a query. See docs/pagination.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic_core import to_json
from sqlalchemy import ARRAY, Select, func, literal, literal_column, select, true, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from quire.config import get_settings
from quire.core.errors import ValidationFailed
from quire.core.schemas import ApiModel

T = TypeVar("T")
P = TypeVar("P")

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
    #: The list this page belongs to, ``"GET /invoices/{concrete id}/line-items"``: signed into every cursor
    #: the page issues and compared on every cursor it is given (a cursor is valid on its own list only).
    issuer: str = ""


# The dependencies below are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in a worker
# thread, a hop that cost more than the work itself on every list request.


def count_cap() -> int:
    """Lists report ``totalResultSize`` (on their first page) exactly up to this many matching rows, and
    omit it above: ``Settings.list_count_cap`` (``QUIRE_LIST_COUNT_CAP``, default 10,000)."""
    return get_settings().list_count_cap


def issuer_of(request: Request) -> str:
    """The list a request reads: its method and concrete path (not the route template, so a cursor of
    ``/invoices/A/line-items`` is refused on ``/invoices/B/line-items``)."""
    return f"{request.method} {request.url.path}"


def _page(request: Request, limit: int, after: str | None, before: str | None, sort_order: SortOrder) -> PageParams:
    if after is not None and before is not None:
        raise ValidationFailed("Pass either 'after' or 'before', not both", field="after")
    return PageParams(limit=limit, after=after, before=before, sort_order=sort_order, issuer=issuer_of(request))


async def page_params(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Maximum number of objects to return per-page.")] = DEFAULT_LIMIT,
    after: Annotated[str | None, Query(max_length=2048)] = None,
    before: Annotated[str | None, Query(max_length=2048)] = None,
    sort_order: Annotated[SortOrder, Query(alias="sortOrder")] = SortOrder.DESC,
) -> PageParams:
    return _page(request, limit, after, before, sort_order)


async def unsorted_page_params(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    after: Annotated[str | None, Query(max_length=2048)] = None,
    before: Annotated[str | None, Query(max_length=2048)] = None,
) -> PageParams:
    """For lists whose contract has no ``sortOrder`` parameter (newest first)."""
    return _page(request, limit, after, before, SortOrder.DESC)


async def ascending_page_params(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    after: Annotated[str | None, Query(max_length=2048)] = None,
    before: Annotated[str | None, Query(max_length=2048)] = None,
    sort_order: Annotated[SortOrder, Query(alias="sortOrder")] = SortOrder.ASC,
) -> PageParams:
    """For the lines of one document, which read top to bottom: ``index`` ascending by default."""
    return _page(request, limit, after, before, sort_order)


#: Endpoint parameter types of a list's query: ``params: PageQuery`` (with ``sortOrder``), ``UnsortedPageQuery``.
PageQuery = Annotated[PageParams, Depends(page_params)]
UnsortedPageQuery = Annotated[PageParams, Depends(unsorted_page_params)]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload: bytes) -> bytes:
    return hmac.new(get_settings().secret_key.encode(), payload, hashlib.sha256).digest()[:12]


#: The type tag a cursor carries for each sort column's Python type (``datetime`` before its base ``date``).
_TAGS: tuple[tuple[type, str], ...] = ((datetime, "t"), (date, "d"), (int, "i"), (str, "s"))
_INT_RANGE = range(-(2**63), 2**63)  # a BIGINT; a larger integer would fail in the database, not here
MAX_IDENT = 64


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


def _decode_value(tagged: Any) -> Any:
    """The sort key of a cursor; ``ValueError`` for anything a query could not take as it is."""
    if not isinstance(tagged, list) or len(tagged) != 2 or not isinstance(tagged[0], str):
        raise ValueError("tagged value")
    tag, raw = tagged
    if tag == "i":
        if isinstance(raw, bool) or not isinstance(raw, int) or raw not in _INT_RANGE:
            raise ValueError("integer sort key")
        return raw
    if not isinstance(raw, str) or "\x00" in raw:
        raise ValueError("text sort key")
    if tag == "t":
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise ValueError("naive timestamp")
        return value
    if tag == "d":
        return date.fromisoformat(raw)
    if tag == "s":
        return raw
    raise ValueError(tag)


def tag_of_column(column_type: Any) -> str | None:
    """The cursor tag a column's values have, or ``None`` when its Python type is not one of ours."""
    for candidate in (column_type, getattr(column_type, "impl", None)):
        try:
            python_type = candidate.python_type
        except (AttributeError, NotImplementedError):
            continue
        for kind, tag in _TAGS:
            if issubclass(python_type, kind):
                return tag
    return None


def encode_cursor(sort_name: str, order: SortOrder, value: Any, ident: str, *, issuer: str = "") -> str:
    """A signed cursor for the row (``value``, ``ident``) of the list ``issuer`` sorted by ``sort_name``/``order``."""
    payload = json.dumps(
        [issuer, sort_name, order.value, _encode_value(value), ident], separators=(",", ":")
    ).encode()
    return _b64(payload + _mac(payload))


def decode_cursor(
    cursor: str, sort_name: str, order: SortOrder, param: str, *, issuer: str = "", tag: str | None = None
) -> tuple[Any, str]:
    """The (sort key, id) of a cursor issued by the list ``issuer`` for this sort; 400 naming ``param`` for
    anything else: not ours (MAC), another list, another sort, or a key that does not fit the sort column
    (``tag``). Never raises anything but ``ValidationFailed``."""
    invalid = ValidationFailed(f"'{param}' is not a valid pagination cursor for this list", field=param)
    try:
        raw = _unb64(cursor)
    except (ValueError, TypeError):
        raise invalid from None
    payload, mac = raw[:-12], raw[-12:]
    if len(raw) <= 12 or not hmac.compare_digest(mac, _mac(payload)):
        raise invalid
    try:
        document = json.loads(payload)
        if not isinstance(document, list) or len(document) != 5:
            raise ValueError("arity")
        cursor_issuer, name, order_value, tagged, ident = document
        value = _decode_value(tagged)
    except (ValueError, TypeError, RecursionError):
        raise invalid from None
    if cursor_issuer != issuer:
        raise ValidationFailed(
            f"'{param}' was issued by another list; a cursor is only valid on the list that returned it", field=param
        )
    if name != sort_name or order_value != order.value:
        raise ValidationFailed(
            f"'{param}' was issued for another sortBy/sortOrder; start again from the first page", field=param
        )
    if (tag is not None and tagged[0] != tag) or not isinstance(ident, str) or not 0 < len(ident) <= MAX_IDENT \
            or "\x00" in ident:
        raise invalid
    return value, ident


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
    as_rows: bool = False,
    split: tuple[Any, Sequence[Any]] | None = None,
) -> Page[Any]:
    """Fetch one page of ``stmt`` (a select of one entity with its filters applied); with ``with_total``,
    its first page (no cursor) also carries ``totalResultSize`` up to ``count_cap()`` rows.

    ``as_rows``: ``stmt`` selects columns (Core rows, read by column name), not an entity: for a list
    that prints only some columns and presents them without the ORM (``GET /invoices``).

    ``sort_value(row)`` returns the row's sort key (defaults to the attribute named like the column).
    ``offset`` skips that many rows past the cursor (``GET /usage-events`` has an ``offset`` parameter).
    ``split``: ``(column, values)`` that cut the matching rows into disjoint parts ``column = value``, each
    read in the list's order by an index of its own (one per day of a date filter), merged: ``_merged_parts``.
    ``column IN values`` is part of the list's criteria then, and ``stmt`` need not hold it.
    """
    key = tuple_(sort_column, id_column)
    descending = params.sort_order is SortOrder.DESC
    going_back = params.before is not None
    cursor = params.before if going_back else params.after
    page_stmt = stmt
    if cursor is not None:
        value, ident = decode_cursor(cursor, sort_name, params.sort_order, "before" if going_back else "after",
                                     issuer=params.issuer, tag=tag_of_column(sort_column.type))
        bound = tuple_(literal(value, sort_column.type), literal(ident, id_column.type))
        # Going forward in DESC order, or back in ASC order, means "smaller keys".
        page_stmt = page_stmt.where(key < bound if descending != going_back else key > bound)
    # Walk backwards by reversing the order, then flip the fetched rows.
    reverse = descending != going_back
    order = (sort_column.desc(), id_column.desc()) if reverse else (sort_column.asc(), id_column.asc())
    if split is not None and split[1]:
        page_stmt = _merged_parts(stmt, page_stmt, split, sort_column, id_column, reverse, offset + params.limit + 1,
                                  offset, session.get_bind().dialect.name)
    else:
        page_stmt = page_stmt.order_by(*order).offset(offset or None).limit(params.limit + 1)
    # Core rows are read through the connection: the session's ORM layer costs more than the query itself.
    result = await (await session.connection()).execute(page_stmt) if as_rows else await session.scalars(page_stmt)
    rows = list(result.all())
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    if going_back:
        rows.reverse()

    get_value = sort_value or (lambda row: getattr(row, sort_column.key))

    def cursor_of(row: Any) -> str:
        return encode_cursor(sort_name, params.sort_order, get_value(row), str(getattr(row, id_column.key)),
                             issuer=params.issuer)

    after = before = None
    if rows:
        more_after = has_more if not going_back else True
        more_before = (cursor is not None or offset > 0) if not going_back else has_more
        if more_after:
            after = cursor_of(rows[-1])
        if more_before:
            before = cursor_of(rows[0])
    total = None
    if with_total and cursor is None:
        # Counted on the first page only, and exactly only up to the cap (docs/pagination.md): beyond it, and
        # on every cursor page, the field is left out (the contract makes it optional). A first page that
        # holds every matching row is its own count.
        cap = count_cap()
        if not has_more and offset == 0:
            total = len(rows) if len(rows) <= cap else None
        else:
            counted = stmt if split is None else stmt.where(split[0].in_(split[1]))
            total = await capped_count(session, counted, id_column, cap)
    return Page(items=rows, meta=PaginationMeta(after=after, before=before, total_result_size=total))


def _merged_parts(
    stmt: Select[Any], page_stmt: Select[Any], split: tuple[Any, Sequence[Any]], sort_column: Any, id_column: Any,
    reverse: bool, each: int, offset: int, dialect: str,
) -> Select[Any]:
    """The page as a merge of the parts ``column = value`` of ``split = (column, values)``: the first
    ``each`` (sort key, id) of every part, each read in order from an index that starts with the part's
    equality (``(account_id, due_date, created_at, id)``), the first page's worth of their union, then
    those rows by id.

    Why: a 30-day ``dueAfter``/``dueBefore`` window over a million invoices holds ~40,000 rows in no useful
    order for ``createdAt``; the database either sorts them all or walks the creation index until it finds
    the window (680 ms on PostgreSQL, 750 ms on SQLite). Read one day at a time, a page reads at most
    ``each`` index entries per day, whatever the depth of the cursor (docs/performance.md).

    PostgreSQL: one ``LATERAL`` subquery over ``unnest(values)``, a statement of the same shape (and
    prepared plan) for any number of parts; planning one subquery per part cost 7-20 ms. SQLite, which has
    no ``LATERAL``: a ``UNION ALL`` of one subquery per part (its planner takes them in microseconds).
    """
    column, values = split
    direction = (lambda c: c.desc()) if reverse else (lambda c: c.asc())
    keyed = page_stmt.with_only_columns(id_column, sort_column, maintain_column_froms=True)
    if dialect == "postgresql":
        days = func.unnest(literal(list(values), ARRAY(column.type))).table_valued("value").render_derived()
        part = keyed.where(column == days.c.value).order_by(direction(sort_column), direction(id_column)) \
            .limit(each).lateral()
        merged = select(part.c[0], part.c[1]).select_from(days).join(part, true()).subquery()
    else:
        # Built as lean as SQLAlchemy allows (the filters as one clause, each part but the first selecting its
        # columns by name): building 30 parts the obvious way cost ~5 ms of CPU per page.
        where = keyed.whereclause
        order = (direction(sort_column), direction(id_column))
        subs = [select(id_column, sort_column).where(where, column == value).order_by(*order).limit(each).subquery()
                for value in values]
        names = [literal_column(c.name) for c in subs[0].c]
        merged = union_all(select(*subs[0].c), *(select(*names).select_from(sub) for sub in subs[1:])).subquery()
    top = select(merged.c[0], merged.c[1]).order_by(direction(merged.c[1]), direction(merged.c[0])) \
        .offset(offset or None).limit(each - offset).subquery()
    # Then those rows by id, in the order of the page's keys: ordered by the table's own columns, SQLite's
    # planner walked the creation index of the whole account to avoid a sort of 51 rows.
    entity = stmt.column_descriptions[0]["entity"] if len(stmt.column_descriptions) == 1 else None
    outer = select(entity) if entity is not None else select(*stmt.selected_columns)
    return outer.join(top, id_column == top.c[0]).order_by(direction(top.c[1]), direction(top.c[0]))


def whole_list_meta(count: int) -> PaginationMeta:
    """The pagination of a list answered whole on one page (no cursor parameters): its length, under the
    same cap as a counted first page."""
    return PaginationMeta(total_result_size=count if count <= count_cap() else None)


async def capped_count(session: AsyncSession, stmt: Select[Any], id_column: Any, cap: int) -> int | None:
    """How many rows ``stmt`` selects, or ``None`` when more than ``cap`` do. At most ``cap + 1`` rows are
    counted, and nothing of them is selected, so an index that holds the filters can answer alone (an
    exact COUNT over a million invoices took 300 ms, docs/performance.md)."""
    # A constant, not the id: SQLite reads only the index when the filters are in it (PostgreSQL dropped
    # the unused column by itself).
    capped = (stmt.with_only_columns(literal_column("1"), maintain_column_froms=True).order_by(None).limit(cap + 1)
              .subquery())
    counted = int(await session.scalar(select(func.count()).select_from(capped)) or 0)
    return counted if counted <= cap else None


def page_response(page: Page[T], present: Callable[[T], Any]) -> Response:
    """A list's answer written straight to JSON: ``present(item)`` gives each item as the JSON document
    its read model would (``None`` already left out). For the lists whose rows are presented without
    pydantic (``GET /invoices``); the others answer ``present_page``."""
    meta = page.meta
    pagination: dict[str, Any] = {}
    if meta.after is not None:
        pagination["after"] = meta.after
    if meta.before is not None:
        pagination["before"] = meta.before
    if meta.total_result_size is not None:
        pagination["totalResultSize"] = meta.total_result_size
    body = {"items": [present(item) for item in page.items], "pagination": pagination}
    # pydantic-core's encoder (what FastAPI writes response models with): a page of 50 invoices in 0.1 ms,
    # against 0.36 ms for json's C encoder.
    return Response(to_json(body), media_type="application/json")


def present_page(page_model: Callable[..., P], page: Page[T], present: Callable[[T], Any]) -> P:
    """A list endpoint's answer: ``page_model`` (``SeatTypePage``) of each item presented, and the page's meta."""
    return page_model(items=[present(item) for item in page.items], pagination=page.meta)
