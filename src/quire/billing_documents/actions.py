"""A lifecycle action applied to a document already row-locked and checked against its kind's table.

Numbers come from ``quire.core.numbering`` in the request's transaction (one counter per account and
kind), so they are gap-free; the kind formats them and adds what else issuing sets (an invoice's due date).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents.lifecycle import numbers
from quire.core import clock
from quire.core.numbering import format_number, next_number


class Transitioned(Protocol):
    account_id: str
    status: str
    issue_date: date | None
    finalized_at: datetime | None
    sent_at: datetime | None
    sent_date: date | None
    voided_at: datetime | None
    updated_at: datetime


async def issue_number(session: AsyncSession, doc: Transitioned, *, counter: str, prefix: str, width: int) -> tuple[int, str]:
    """The next value of the account's ``counter`` and the number it makes; the issue date is today (UTC)."""
    value = await next_number(session, account_id=doc.account_id, kind=counter)
    doc.issue_date = clock.today()
    doc.finalized_at = clock.now()
    return value, format_number(prefix, value, width)


async def apply(
    session: AsyncSession, doc: Transitioned, action: StrEnum, target: StrEnum | None, *, numbered: bool,
    assign_number: Callable[[], Awaitable[None]],
) -> None:
    """Move ``doc`` to ``target``: numbered first when the action numbers it (``lifecycle.numbers``), then
    the send and void stamps, the status, and a flush."""
    assert target is not None
    now = clock.now()
    if numbers(action, numbered):
        await assign_number()
    if target == "SENT":
        doc.sent_at = now
        doc.sent_date = now.date()
    if target == "VOIDED":
        doc.voided_at = now
    doc.status = target.value
    doc.updated_at = now
    await session.flush()
