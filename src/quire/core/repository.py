"""The two queries every domain has: "the account's X by id, or 404", and "a page of the account's X".

- ``get_owned(session, Model, account_id, id)``: the row, or ``NotFound.of("Model", id)`` (404 "Model 'id'
  was not found"; another account's row is not found either). ``find_owned`` is the same returning ``None``.
  Options: ``lock`` (FOR UPDATE), ``share`` (FOR SHARE), ``live`` (leave out soft-deleted rows, those with
  ``deleted_at``), ``options`` (eager loads), ``kind`` (the name in the 404 when it is not the class name).
  An id that is not a UUID answers without a query. The select is built once per model and choice of
  ``lock``/``share``/``live`` (``options`` are added per call).
- ``loader(Model, live=…, kind=…)``: ``get_owned`` for one model, what a domain exports as its loader:
  ``get_price = loader(Price, live=True)``, then ``await get_price(session, account_id, id, lock=True)``.
- ``list_page(session, Model, account_id, params, *criteria, sort=...)``: one keyset page
  (``core.pagination``) of the account's rows that meet every criterion, sorted by ``sort`` (``created_at``
  unless told) then ``id``. A criterion that is ``None`` was not asked for and is left out, so a
  repository writes its optional filters with ``equal``, ``one_of``, ``below``, ``above``, ``contains``.
- ``owned(Model, account_id, *criteria)``: the same rows as a select, for queries that are not pages.
- Writes every domain repeats: ``assign(row, data, *names)`` (copy a body's fields), ``insert(session, row)``
  (add and flush), ``stamp_once(session, row, "archived_at")`` (archive or soft delete, idempotent) and
  ``remove(session, row)`` (delete, answering the row as it was).

A model here has ``id`` and ``account_id`` columns (``created_at`` for the default sort).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from quire.core import clock
from quire.core.errors import NotFound
from quire.core.ids import is_uuid
from quire.core.pagination import Page, PageParams, paginate
from quire.core.textfold import casefold, fold

M = TypeVar("M")
M_co = TypeVar("M_co", covariant=True)

#: A filter of a list: a SQL condition, or ``None`` when the request did not ask for it.
Criterion = ColumnElement[bool] | None


@cache
def _by_id(model: type[Any], lock: bool, share: bool, live: bool) -> Select[Any]:
    """Built once per model and options (building a select cost more than running it on hot paths)."""
    stmt = select(model).where(model.account_id == bindparam("owned_account"), model.id == bindparam("owned_id"))
    if live:
        stmt = stmt.where(model.deleted_at.is_(None))
    if lock or share:
        stmt = stmt.with_for_update(read=share and not lock)
    return stmt


async def find_owned(
    session: AsyncSession, model: type[M], account_id: str, ident: str, *, lock: bool = False, share: bool = False,
    live: bool = False, options: Sequence[Any] = (),
) -> M | None:
    """The account's ``model`` row with id ``ident``, or ``None``. ``lock``: FOR UPDATE; ``share``: FOR SHARE
    (PostgreSQL); ``live``: not soft-deleted; ``options``: loader options (eager loads)."""
    if not is_uuid(ident):
        return None
    stmt = _by_id(model, lock, share, live)
    if options:
        stmt = stmt.options(*options)
    return (await session.scalars(stmt, {"owned_account": account_id, "owned_id": ident})).one_or_none()


async def get_owned(
    session: AsyncSession, model: type[M], account_id: str, ident: str, *, kind: str | None = None,
    lock: bool = False, share: bool = False, live: bool = False, options: Sequence[Any] = (),
) -> M:
    """``find_owned``, or 404 ``NotFound.of(kind, ident)`` (``kind`` defaults to the model's class name)."""
    row = await find_owned(session, model, account_id, ident, lock=lock, share=share, live=live, options=options)
    if row is None:
        raise NotFound.of(kind or model.__name__, ident)
    return row


class Loader(Protocol[M_co]):
    async def __call__(self, session: AsyncSession, account_id: str, ident: str, *, lock: bool = False,
                       share: bool = False, options: Sequence[Any] = ()) -> M_co: ...


def loader(model: type[M], *, kind: str | None = None, live: bool = False) -> Loader[M]:
    """``get_owned`` fixed to ``model`` (and ``kind``, ``live``): a domain's "its X by id, or 404"."""
    async def load(session: AsyncSession, account_id: str, ident: str, *, lock: bool = False, share: bool = False,
                   options: Sequence[Any] = ()) -> M:
        return await get_owned(session, model, account_id, ident, kind=kind, lock=lock, share=share, live=live,
                               options=options)
    return load


def owned(model: type[M], account_id: str, *criteria: Criterion) -> Select[tuple[M]]:
    """``SELECT model WHERE account_id = … AND`` every criterion that is not ``None``."""
    return select(model).where(model.account_id == account_id, *(c for c in criteria if c is not None))


async def list_page(
    session: AsyncSession, model: type[M], account_id: str, params: PageParams, *criteria: Criterion,
    sort: InstrumentedAttribute[Any] | None = None, sort_name: str = "createdAt", with_total: bool = True,
    offset: int = 0, columns: Sequence[Any] | None = None, split: tuple[Any, Sequence[Any]] | None = None,
) -> Page[Any]:
    """One page of the account's rows meeting every criterion, by ``sort`` (default ``created_at``) and id;
    ``columns``: only these (Core rows, read by column name) instead of ORM objects; ``split``: see
    ``core.pagination.paginate``."""
    stmt = owned(model, account_id, *criteria)
    if columns is not None:
        stmt = stmt.with_only_columns(*columns, maintain_column_froms=True)
    return await paginate(
        session, stmt, params=params,
        sort_column=sort if sort is not None else model.created_at,
        id_column=model.id, sort_name=sort_name, with_total=with_total, offset=offset, as_rows=columns is not None,
        split=split,
    )


# --- optional filters: each is None when its value is None (not asked for) ---------------------------


def equal(column: Any, value: Any) -> Criterion:
    return None if value is None else column == value


def below(column: Any, value: Any) -> Criterion:
    """Strictly below: "before 2024-02-01" leaves that day out."""
    return None if value is None else column < value


def above(column: Any, value: Any) -> Criterion:
    return None if value is None else column > value


def one_of(column: Any, values: Any) -> Criterion:
    """``column IN values`` (a list or a subquery); ``None`` for ``None`` or an empty list (no filter)."""
    if values is None or (isinstance(values, (list, tuple)) and not values):
        return None
    return column.in_(values)


def contains(column: Any, text: str | None) -> Criterion:
    """Case-insensitive substring match (``core.textfold``); ``None`` for no text or an empty one."""
    return casefold(column).contains(fold(text), autoescape=True) if text else None


# --- writes ----------------------------------------------------------------------------------------


def assign(row: Any, data: Any, *names: str) -> None:
    """Copy the attributes ``names`` of ``data`` (a request body) onto ``row`` (same names on both)."""
    for name in names:
        setattr(row, name, getattr(data, name))


async def insert(session: AsyncSession, row: M) -> M:
    """Add ``row`` and flush (so the database checks it now); services flush, the route commits."""
    session.add(row)
    await session.flush()
    return row


async def stamp_once(session: AsyncSession, row: M, field: str) -> M:
    """Archive or soft-delete ``row``: ``field`` (``archived_at``, ``deleted_at``) and ``updated_at`` become
    now, unless ``field`` is set already (idempotent: archiving again keeps the first time)."""
    if getattr(row, field) is None:
        now = clock.now()
        setattr(row, field, now)
        row.updated_at = now
        await session.flush()
    return row


async def remove(session: AsyncSession, row: M) -> M:
    """Delete ``row`` now (flushed) and return it as it was: what a DELETE answers."""
    await session.delete(row)
    await session.flush()
    return row
