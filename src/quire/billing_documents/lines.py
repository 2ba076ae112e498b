"""Line items and line item groups of an editable document, and the totals they imply: the rules every
kind follows.

- Every write locks the document row (``editable``) and checks its kind allows editing.
- A line's ``index`` (and a group's) is the document's counter of those ever added: lines keep the order
  they were written in, and a deletion leaves no index reused.
- A document holds at most ``MAX_LINE_ITEMS`` lines and ``MAX_GROUPS`` groups; the counters spare the
  count below the limits. A line's ``groupId`` must be a group of the same document.
- Totals are derived, never trusted: a line's from its quantity, rate and tax rate
  (``calculation.line_totals``), then every group's and the document's as exact integer sums of their
  lines (``recalculate``); no amount at or past ``MAX_AMOUNT_MINOR`` is stored.
- Deleting a group keeps its lines, ungrouped.

A kind's own ``add_line``/``update_line`` validate what only it knows (prices, the credited invoice line,
its tax rule) and build the line with ``new_line``, ``fill`` and ``line_minor`` (``editable_part`` and
``written`` around); delete, list and every group write are here whole.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents import hooks
from quire.billing_documents import repository as repo
from quire.billing_documents.calculation import line_totals
from quire.billing_documents.kind import Kind
from quire.billing_documents.models import Amounts, DocumentColumns, GroupColumns, LineColumns
from quire.core import clock
from quire.core.errors import NotFound, ValidationFailed
from quire.core.ids import uuid7
from quire.core.money import from_minor, to_minor
from quire.core.pagination import Page, PageParams, paginate
from quire.core.repository import get_owned

D = TypeVar("D", bound=DocumentColumns)
L = TypeVar("L", bound=LineColumns)
G = TypeVar("G", bound=GroupColumns)
P = TypeVar("P")

MAX_LINE_ITEMS = 5_000
MAX_GROUPS = 500
#: Largest absolute amount Quire stores, in minor units (amounts are BIGINT minor units; 10^17 leaves
#: headroom below 2^63 for sums). For two-decimal currencies that is 10^15 (a quadrillion) major units.
MAX_AMOUNT_MINOR = 10**17

Minor = tuple[int, int, int]


def storable(minor: Minor, currency: str) -> Minor:
    """``minor`` (net, tax, gross), refused when any of them is too large to store."""
    for value in minor:
        if abs(value) >= MAX_AMOUNT_MINOR:
            raise ValidationFailed(
                f"Amount {from_minor(value, currency)} {currency} is larger than Quire can store (under 10^17 minor units)",
                field="quantity",
            )
    return minor


def line_minor(quantity: Decimal, rate: Decimal, tax_rate: Decimal, currency: str) -> Minor:
    """A line's net, tax and gross in minor units, checked storable."""
    totals = line_totals(quantity, rate, tax_rate, currency)
    return storable((to_minor(totals.net, currency), to_minor(totals.tax, currency), to_minor(totals.gross, currency)),
                    currency)


def store(row: Amounts, minor: Minor) -> None:
    row.net_total_minor, row.total_tax_minor, row.gross_total_minor = minor


def fill(item: LineColumns, data: Any, tax_rate: Decimal, minor: Minor) -> None:
    """Set what every line body gives (``schemas.LineFields``, rate display, external ids), the tax rate
    the line is stored with and its totals."""
    item.title = data.title
    item.description = data.description
    item.quantity = data.quantity
    item.rate = data.rate
    item.tax_rate = tax_rate
    item.rate_display = data.rate_display
    item.external_ids = [x.model_dump() for x in data.external_ids]
    store(item, minor)


async def document(session: AsyncSession, kind: Kind[D, Any, Any], account_id: str, document_id: str,
                   *, lock: bool = False) -> D:
    """The account's document, or 404 — also for another account's."""
    return await get_owned(session, kind.document, account_id, document_id, lock=lock)


async def editable(session: AsyncSession, kind: Kind[D, Any, Any], account_id: str, document_id: str) -> D:
    """The document, row-locked, if its kind allows editing it now."""
    doc = await document(session, kind, account_id, document_id, lock=True)
    kind.check_editable(doc)
    return doc


async def recalculate(session: AsyncSession, kind: Kind[D, Any, Any], doc: D) -> None:
    """After a line write (the line's own totals set): every group's and the document's totals as exact
    integer sums of their lines' totals, computed by the database.

    Equal by construction to ``calculation.document_totals`` over all lines (a unit test holds them
    together), without loading every line of a long document on each write.
    """
    await session.flush()
    currency = doc.currency
    sums = await repo.line_sums_by_group(session, kind, doc.id)
    # A document that never had a group (next_group_index counts the groups ever added) has none to read.
    for grp in await repo.parts_of(session, kind.group, doc.id) if doc.next_group_index else ():
        store(grp, storable(sums.get(grp.id, (0, 0, 0, 0))[:3], currency))
    totals = list(sums.values())
    store(doc, storable((sum(v[0] for v in totals), sum(v[1] for v in totals), sum(v[2] for v in totals)), currency))
    if kind.counts_quantity:
        doc.has_quantity = any(v[3] for v in totals)  # type: ignore[attr-defined]
    doc.updated_at = clock.now()
    await session.flush()
    await hooks.changed(session, doc)  # e.g. an INVOICE_UPDATED event (docs/webhooks.md)


async def check_group(session: AsyncSession, kind: Kind[D, Any, Any], doc: D, group_id: str | None) -> None:
    if group_id is not None and await repo.part_of(session, kind.group, doc.id, group_id) is None:
        raise ValidationFailed(f"groupId {group_id!r} is not a line item group of this {kind.noun}", field="groupId")


async def check_room_for_line(session: AsyncSession, kind: Kind[D, Any, Any], doc: D) -> None:
    # next_line_index counts the lines ever added, so below the limit there is no need to count them.
    if doc.next_line_index >= MAX_LINE_ITEMS and await repo.count_parts(session, kind.line, doc.id) >= MAX_LINE_ITEMS:
        raise ValidationFailed(f"{kind.a_noun.capitalize()} holds at most {MAX_LINE_ITEMS} line items")


def new_line(session: AsyncSession, kind: Kind[D, L, Any], doc: D, **columns: Any) -> L:
    """A new line at the end of ``doc`` (added to the session); the kind fills its values and totals."""
    item = kind.line(id=uuid7(), account_id=doc.account_id, document_id=doc.id, index=doc.next_line_index,
                     created_at=clock.now(), **columns)
    doc.next_line_index += 1
    session.add(item)
    return item


async def editable_part(session: AsyncSession, kind: Kind[D, Any, Any], account_id: str, document_id: str,
                        part_id: str, *, group: bool = False) -> tuple[D, Any]:
    """The editable document and one of its lines (or groups): 404 naming the kind's line (or group)."""
    doc = await editable(session, kind, account_id, document_id)
    model, name = (kind.group, kind.group_name) if group else (kind.line, kind.line_name)
    part = await repo.part_of(session, model, doc.id, part_id)
    if part is None:
        raise NotFound.of(name, part_id)
    return doc, part


async def written(session: AsyncSession, kind: Kind[D, Any, Any], doc: D, part: P) -> tuple[D, P]:
    """After a write of a line or group: the totals (``recalculate``), and what the write answers."""
    await recalculate(session, kind, doc)
    return doc, part


async def delete_line(session: AsyncSession, kind: Kind[D, L, Any], account_id: str, document_id: str,
                      line_id: str) -> tuple[D, L]:
    doc, item = await editable_part(session, kind, account_id, document_id, line_id)
    await session.delete(item)
    return await written(session, kind, doc, item)


async def list_parts(session: AsyncSession, kind: Kind[D, Any, Any], account_id: str, document_id: str,
                     params: PageParams, *, group: bool = False) -> tuple[D, Page[Any]]:
    """A page of the document's lines (or groups), in their order."""
    doc = await document(session, kind, account_id, document_id)
    model = kind.group if group else kind.line
    page = await paginate(session, repo.parts_stmt(model, doc.id), params=params, sort_column=model.index,
                          id_column=model.id, sort_name="index")
    return doc, page


# --- groups ---------------------------------------------------------------------------------------


async def new_group(session: AsyncSession, kind: Kind[D, Any, G], doc: D, *, title: str, description: str | None,
                    **columns: Any) -> G:
    """A new group at the end of the editable ``doc``, with zero totals."""
    # next_group_index counts the groups ever added, so below the limit there is no need to count them.
    if doc.next_group_index >= MAX_GROUPS and await repo.count_parts(session, kind.group, doc.id) >= MAX_GROUPS:
        raise ValidationFailed(f"{kind.a_noun.capitalize()} holds at most {MAX_GROUPS} line item groups")
    group = kind.group(
        id=uuid7(), account_id=doc.account_id, document_id=doc.id, index=doc.next_group_index, title=title,
        description=description, net_total_minor=0, total_tax_minor=0, gross_total_minor=0, created_at=clock.now(),
        **columns,
    )
    doc.next_group_index += 1
    doc.updated_at = clock.now()
    session.add(group)
    await session.flush()
    return group


async def add_group(session: AsyncSession, kind: Kind[D, Any, G], account_id: str, document_id: str, *, title: str,
                    description: str | None) -> tuple[D, G]:
    doc = await editable(session, kind, account_id, document_id)
    return doc, await new_group(session, kind, doc, title=title, description=description)


async def update_group(session: AsyncSession, kind: Kind[D, Any, G], account_id: str, document_id: str, group_id: str,
                       *, title: str, description: str | None) -> tuple[D, G]:
    doc, group = await editable_part(session, kind, account_id, document_id, group_id, group=True)
    group.title = title
    group.description = description
    doc.updated_at = clock.now()
    await session.flush()
    return doc, group


async def delete_group(session: AsyncSession, kind: Kind[D, Any, G], account_id: str, document_id: str,
                       group_id: str) -> tuple[D, G]:
    """Delete the group but keep its lines, ungrouped (nothing is silently lost)."""
    doc, group = await editable_part(session, kind, account_id, document_id, group_id, group=True)
    await repo.ungroup_lines(session, kind, group.id)  # also updates the line objects in this session
    await session.delete(group)
    return await written(session, kind, doc, group)
