"""The queries of a document's lines and groups, for any kind (scoped through a document already
loaded for its account)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Select, case, cast, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents.kind import Kind
from quire.core.ids import is_uuid

AnyKind = Kind[Any, Any, Any]


def lines_stmt(kind: AnyKind, document_id: str) -> Select[Any]:
    return select(kind.line).where(kind.line.document_id == document_id)


def groups_stmt(kind: AnyKind, document_id: str) -> Select[Any]:
    return select(kind.group).where(kind.group.document_id == document_id)


async def lines_of(session: AsyncSession, kind: AnyKind, document_id: str) -> list[Any]:
    return list((await session.scalars(lines_stmt(kind, document_id).order_by(kind.line.index))).all())


async def groups_of(session: AsyncSession, kind: AnyKind, document_id: str) -> list[Any]:
    return list((await session.scalars(groups_stmt(kind, document_id).order_by(kind.group.index))).all())


async def get_line(session: AsyncSession, kind: AnyKind, document_id: str, line_id: str) -> Any | None:
    if not is_uuid(line_id):
        return None
    return (await session.scalars(lines_stmt(kind, document_id).where(kind.line.id == line_id))).one_or_none()


async def get_group(session: AsyncSession, kind: AnyKind, document_id: str, group_id: str) -> Any | None:
    if not is_uuid(group_id):
        return None
    return (await session.scalars(groups_stmt(kind, document_id).where(kind.group.id == group_id))).one_or_none()


async def count_lines(session: AsyncSession, kind: AnyKind, document_id: str) -> int:
    return int(await session.scalar(select(func.count()).where(kind.line.document_id == document_id)) or 0)


async def count_groups(session: AsyncSession, kind: AnyKind, document_id: str) -> int:
    return int(await session.scalar(select(func.count()).where(kind.group.document_id == document_id)) or 0)


async def line_sums_by_group(
    session: AsyncSession, kind: AnyKind, document_id: str
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


async def ungroup_lines(session: AsyncSession, kind: AnyKind, group_id: str) -> None:
    await session.execute(update(kind.line).where(kind.line.group_id == group_id).values(group_id=None))


async def delete_lines_and_groups(session: AsyncSession, kind: AnyKind, document_id: str) -> None:
    await session.execute(delete(kind.line).where(kind.line.document_id == document_id))
    await session.execute(delete(kind.group).where(kind.group.document_id == document_id))
