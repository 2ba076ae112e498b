"""Notification policy use-cases: the 8 operations of the contract's "Notification Policies" tag.

Decisions (docs/webhooks.md#policies): absent ``notificationTypes`` means every type; an empty list is
refused (omit it for all types). Removing a type from an all-types policy leaves every other type listed.
A policy keeps at least one type and one recipient (delete the policy instead), and removing a type or
recipient the policy does not have is a 400 naming it: a typo must not look like a removal. Duplicates
are dropped, first occurrence kept. A ``WEBHOOK`` policy without ``webhookSecret`` gets one
(``whsec_`` + 32 random URL-safe characters); an ``EMAIL`` policy takes none.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core import clock
from quire.core.contract_enums import NOTIFICATION_TYPE
from quire.core.errors import ValidationFailed
from quire.core.ids import uuid7
from quire.core.pagination import Page, PageParams
from quire.core.repository import insert, list_page, loader, remove
from quire.notifications.events import forget_policies
from quire.notifications.models import NotificationPolicy
from quire.notifications.schemas import MAX_RECIPIENTS, PolicyCreate, RecipientsAdd, TypesAdd, recipient_problem

get_policy = loader(NotificationPolicy, kind="NotificationPolicy")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _recipients(channel: str, values: Iterable[str], field: str) -> list[str]:
    found = _unique(values)
    for index, recipient in enumerate(found):
        problem = recipient_problem(channel, recipient)
        if problem is not None:
            raise ValidationFailed(problem, field=f"{field}[{index}]" if field == "recipients" else field)
    if len(found) > MAX_RECIPIENTS:
        raise ValidationFailed(f"A policy has at most {MAX_RECIPIENTS} recipients", field=field)
    return found


async def _changed(session: AsyncSession, policy: NotificationPolicy) -> NotificationPolicy:
    policy.updated_at = clock.now()
    await session.flush()
    forget_policies(session)
    return policy


async def create_policy(session: AsyncSession, account_id: str, data: PolicyCreate) -> NotificationPolicy:
    if data.notification_types is not None and not data.notification_types:
        raise ValidationFailed("notificationTypes must not be empty: omit it for every notification type",
                               field="notificationTypes")
    if data.channel == "EMAIL" and data.webhook_secret is not None:
        raise ValidationFailed("webhookSecret is only for WEBHOOK policies", field="webhookSecret")
    secret = (data.webhook_secret or new_secret()) if data.channel == "WEBHOOK" else None
    now = clock.now()
    policy = NotificationPolicy(
        id=uuid7(), account_id=account_id, created_at=now, updated_at=now, name=data.name, channel=data.channel,
        notification_types=None if data.notification_types is None else _unique(data.notification_types),
        recipients=_recipients(data.channel, data.recipients, "recipients"), webhook_secret=secret,
    )
    await insert(session, policy)
    forget_policies(session)
    return policy


async def list_policies(session: AsyncSession, account_id: str, params: PageParams) -> Page[NotificationPolicy]:
    return await list_page(session, NotificationPolicy, account_id, params)


async def delete_policy(session: AsyncSession, account_id: str, policy_id: str) -> NotificationPolicy:
    """Deliveries not yet made to its URLs are cancelled by the worker (docs/webhooks.md#policies)."""
    policy = await remove(session, await get_policy(session, account_id, policy_id, lock=True))
    forget_policies(session)
    return policy


async def add_types(session: AsyncSession, account_id: str, policy_id: str, data: TypesAdd) -> NotificationPolicy:
    policy = await get_policy(session, account_id, policy_id, lock=True)
    if policy.notification_types is not None:  # else it has every type already
        policy.notification_types = _unique([*policy.notification_types, *data.notification_types])
    return await _changed(session, policy)


async def remove_type(session: AsyncSession, account_id: str, policy_id: str, kind: str) -> NotificationPolicy:
    policy = await get_policy(session, account_id, policy_id, lock=True)
    if kind not in NOTIFICATION_TYPE:
        raise ValidationFailed(f"{kind!r} is not a notification type", field="type")
    current = list(NOTIFICATION_TYPE) if policy.notification_types is None else policy.notification_types
    if kind not in current:
        raise ValidationFailed(f"The policy does not have the notification type {kind!r}", field="type")
    if current == [kind]:
        raise ValidationFailed("A policy keeps at least one notification type: delete the policy instead", field="type")
    policy.notification_types = [t for t in current if t != kind]
    return await _changed(session, policy)


async def add_recipients(session: AsyncSession, account_id: str, policy_id: str, data: RecipientsAdd) -> NotificationPolicy:
    policy = await get_policy(session, account_id, policy_id, lock=True)
    added = _recipients(policy.channel, data.recipients, "recipients")
    policy.recipients = _recipients(policy.channel, [*policy.recipients, *added], "recipients")
    return await _changed(session, policy)


async def remove_recipient(session: AsyncSession, account_id: str, policy_id: str, recipient: str) -> NotificationPolicy:
    policy = await get_policy(session, account_id, policy_id, lock=True)
    if recipient not in policy.recipients:
        raise ValidationFailed(f"The policy has no recipient {recipient!r}", field="recipient")
    if policy.recipients == [recipient]:
        raise ValidationFailed("A policy keeps at least one recipient: delete the policy instead", field="recipient")
    policy.recipients = [r for r in policy.recipients if r != recipient]
    return await _changed(session, policy)
