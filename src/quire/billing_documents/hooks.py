"""What other domains do when a billing document leaves the books: a small registry.

A kind calls ``voided``/``deleted`` inside the transaction that voids or deletes a document, after the
change is applied and flushed; every registered function runs there too, so its writes commit or roll
back with the change. The domains that react import this module and register themselves (credits:
restoring the credit an invoice drew, docs/credits.md); the documents never import them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Hook = Callable[[AsyncSession, Any], Awaitable[None]]

#: Run with (session, document) when a document has been voided.
on_voided: list[Hook] = []
#: Run with (session, document) when a draft has been deleted (its row is gone; its id remains).
on_deleted: list[Hook] = []
#: Run with (session, document) when a document's lines changed and its totals were recalculated.
on_changed: list[Hook] = []


def document_events(document: type, resource_type: str, prefix: str,
                    present: Callable[[Any], Any]) -> Callable[..., Awaitable[None]]:
    """A kind's event recorder, ``(session, doc, notification_type, deleted=False)``
    (``quire.notifications.events``), with its lines' changes recorded as ``<prefix>_UPDATED``
    (docs/webhooks.md#types). ``deleted``: a draft deleted in this transaction, whose resource is the document
    as the DELETE answered it plus ``deletedAt``."""
    from quire.core import clock
    from quire.notifications.events import as_json, record_event

    async def event(session: AsyncSession, doc: Any, notification_type: str, *, deleted: bool = False) -> None:
        async def gone() -> dict[str, Any]:
            return {**await as_json(present(doc)), "deletedAt": clock.isoformat_z(clock.now())}

        await record_event(session, doc.account_id, notification_type, resource_type, doc.id,
                           gone if deleted else lambda: present(doc))

    async def lines_changed(session: AsyncSession, doc: Any) -> None:
        if isinstance(doc, document):
            await event(session, doc, f"{prefix}_UPDATED")

    register(on_changed, lines_changed)
    return event


def register(hooks: list[Hook], hook: Hook) -> Hook:
    """Add ``hook`` once (importing a module twice does not run it twice)."""
    if hook not in hooks:
        hooks.append(hook)
    return hook


async def _run(hooks: list[Hook], session: AsyncSession, document: Any) -> None:
    for hook in list(hooks):
        await hook(session, document)


async def voided(session: AsyncSession, document: Any) -> None:
    await _run(on_voided, session, document)


async def deleted(session: AsyncSession, document: Any) -> None:
    await _run(on_deleted, session, document)


async def changed(session: AsyncSession, document: Any) -> None:
    await _run(on_changed, session, document)
