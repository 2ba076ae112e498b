"""What other packages are told when a schedule changes, without the schedules package importing them.

``on_schedule_archived(session, account_id, schedule_id)`` runs inside the archive's transaction after
the schedule is CANCELLED; the billing engine registers the function that deletes the schedule's
IN_PROGRESS invoices (``register_archive_hook``). With nothing registered it does nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

ArchiveHook = Callable[[AsyncSession, str, str], Awaitable[None]]

_archive_hooks: list[ArchiveHook] = []


def register_archive_hook(hook: ArchiveHook) -> ArchiveHook:
    """Register ``hook`` (once; usable as a decorator)."""
    if hook not in _archive_hooks:
        _archive_hooks.append(hook)
    return hook


def unregister_archive_hook(hook: ArchiveHook) -> None:
    if hook in _archive_hooks:
        _archive_hooks.remove(hook)


async def on_schedule_archived(session: AsyncSession, account_id: str, schedule_id: str) -> None:
    for hook in tuple(_archive_hooks):
        await hook(session, account_id, schedule_id)
