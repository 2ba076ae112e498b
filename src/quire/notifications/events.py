"""``record_event``: what the domains call, inside the transaction of the change that causes an event.

    await record_event(session, account_id, "INVOICE_ISSUED", "Invoice", invoice.id, lambda: present(invoice))

The event commits or rolls back with the change. Cost when nobody listens: the account's policies are
read once per transaction (one indexed query, kept in ``session.info``); when none wants the type, nothing
is written and the resource is never presented (``resource`` may be a callable, called only when needed).
When a policy wants it, one ``events`` row, one ``webhook_deliveries`` row per webhook URL (each endpoint's
delivery job deferred once per transaction) and one outbox email per ``EMAIL`` policy's address.

In one transaction, events of one resource are folded: a second event of the same type, or an
``*_UPDATED`` after the resource's ``*_CREATED``, updates the pending event's resource instead of adding
one (the billing engine creates an invoice and writes its lines in one transaction: one
``INVOICE_CREATED``, with the lines' totals). This module imports no domain: callers hand it the resource
as the API presents it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core import clock
from quire.core.ids import uuid7
from quire.notifications.models import Event, NotificationPolicy

#: ``resource``: the presented object (a pydantic model or a JSON dict), or a callable returning one.
Resource = (BaseModel | dict[str, Any] | Callable[[], BaseModel | dict[str, Any]]
            | Callable[[], Awaitable[BaseModel | dict[str, Any]]])

_STATE = "quire.notifications"


@dataclass(frozen=True)
class _Policy:
    id: str
    channel: str
    types: frozenset[str] | None
    recipients: tuple[str, ...]

    def wants(self, notification_type: str) -> bool:
        return self.types is None or notification_type in self.types


@dataclass
class _State:
    transaction: Any
    account_id: str
    policies: list[_Policy]
    pending: dict[tuple[str, str], Event] = field(default_factory=dict)


#: Built once: what an event needs to know of the account's policies.
_POLICIES = select(NotificationPolicy.id, NotificationPolicy.channel, NotificationPolicy.notification_types,
                   NotificationPolicy.recipients).where(NotificationPolicy.account_id == bindparam("account_id"))


async def _state(session: AsyncSession, account_id: str) -> _State:
    transaction = session.sync_session.get_transaction()
    state: _State | None = session.info.get(_STATE)
    if state is None or state.transaction is not transaction or state.account_id != account_id:
        rows = (await session.execute(_POLICIES, {"account_id": account_id})).all()
        policies = [_Policy(r.id, r.channel, None if r.notification_types is None else frozenset(r.notification_types),
                            tuple(r.recipients)) for r in rows]
        state = _State(transaction, account_id, policies)
        session.info[_STATE] = state
    return state


def forget_policies(session: AsyncSession) -> None:
    """The account's policies changed in this transaction: read them again at the next event."""
    session.info.pop(_STATE, None)


async def as_json(resource: Resource) -> dict[str, Any]:
    value = resource() if callable(resource) else resource
    if inspect.isawaitable(value):
        value = await value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return value


def _family(notification_type: str) -> str:
    """``INVOICE_UPDATED`` folds into a pending ``INVOICE_CREATED`` of the same resource."""
    return notification_type.removesuffix("_UPDATED") + "_CREATED" if notification_type.endswith("_UPDATED") else notification_type


async def record_event(session: AsyncSession, account_id: str, notification_type: str, resource_type: str,
                       resource_id: str, resource: Resource) -> Event | None:
    """Record ``notification_type`` about the resource (its state now) if a policy of the account wants it;
    the event (new or folded into a pending one), or None when no policy wants it."""
    state = await _state(session, account_id)
    wanting = [p for p in state.policies if p.wants(notification_type)]
    if not wanting:
        return None
    body = await as_json(resource)
    for key in ((notification_type, resource_id), (_family(notification_type), resource_id)):
        pending = state.pending.get(key)
        if pending is not None:
            pending.resource = body  # folded: the event carries the resource as the transaction leaves it
            return pending
    event = Event(id=uuid7(), account_id=account_id, notification_type=notification_type, resource_type=resource_type,
                  resource_id=resource_id, resource=body, created_at=clock.now())
    session.add(event)
    state.pending[(notification_type, resource_id)] = event
    from quire.notifications import delivery, emails  # the channels (they import this module's callers' data only)

    await delivery.queue(session, event, [p for p in wanting if p.channel == "WEBHOOK"])
    await emails.queue(session, event, [p for p in wanting if p.channel == "EMAIL"])
    return event
