"""The queries of a document's parts (its lines or its groups: ``kind.line``, ``kind.group``), for any kind,
scoped through a document already loaded for its account."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Float, Select, case, cast, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents.kind import Kind
from quire.core.ids import is_uuid

P = TypeVar("P")


def parts_stmt(model: type[P], document_id: str) -> Select[tuple[P]]:
    return select(model).where(model.document_id == document_id)  # type: ignore[attr-defined]


async def parts_of(session: AsyncSession, model: type[P], document_id: str) -> list[P]:
    """The document's lines (or groups), in their order."""
    stmt = parts_stmt(model, document_id).order_by(model.index)  # type: ignore[attr-defined]
    return list((await session.scalars(stmt)).all())


async def part_of(session: AsyncSession, model: type[P], document_id: str, part_id: str) -> P | None:
    if not is_uuid(part_id):
        return None
    return (await session.scalars(parts_stmt(model, document_id).where(model.id == part_id))).one_or_none()  # type: ignore[attr-defined]


async def count_parts(session: AsyncSession, model: type[Any], document_id: str) -> int:
    return int(await session.scalar(select(func.count()).where(model.document_id == document_id)) or 0)


async def line_sums_by_group(
    session: AsyncSession, kind: Kind[Any, Any, Any], document_id: str
) -> dict[str | None, tuple[int, int, int, int]]:
    """Per group (None = ungrouped): sums of the lines' net, tax and gross minor units, and (for a kind
    that ``counts_quantity``, else 0) how many lines have a non-zero quantity."""
    line = kind.line
    sums = [func.sum(line.net_total_minor), func.sum(line.total_tax_minor), func.sum(line.gross_total_minor)]
    if kind.counts_quantity:
        sums.append(func.sum(case((cast(line.quantity, Float) != 0, 1), else_=0)))
    stmt = select(line.group_id, *sums).where(line.document_id == document_id).group_by(line.group_id)
    rows = (await session.execute(stmt)).all()
    return {row[0]: (int(row[1]), int(row[2]), int(row[3]), int(row[4]) if len(row) > 4 else 0) for row in rows}


async def ungroup_lines(session: AsyncSession, kind: Kind[Any, Any, Any], group_id: str) -> None:
    await session.execute(update(kind.line).where(kind.line.group_id == group_id).values(group_id=None))


async def delete_lines_and_groups(session: AsyncSession, kind: Kind[Any, Any, Any], document_id: str) -> None:
    await session.execute(delete(kind.line).where(kind.line.document_id == document_id))
    await session.execute(delete(kind.group).where(kind.group.document_id == document_id))
