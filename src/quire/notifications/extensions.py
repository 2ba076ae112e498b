"""Quire's notification extensions (not in Sequence's public API; docs/webhooks.md#extensions), served in
``/openapi.json`` under the tag "Notifications (Quire extension)":

- ``GET /notifications/deliveries``: the account's webhook deliveries, newest first, with status and
  attempts (filters ``policyId``, ``eventId``, ``status``);
- ``POST /notifications/deliveries/{id}/redeliver``: send one again, now (whatever its status);
- ``POST /notifications/policies/{id}/replay``: every recorded event of a time range that the policy
  wants, delivered again to its URLs (``{"from", "to"}``, at most ``MAX_REPLAY`` events);
- ``POST /notifications/policies/{id}/test``: a ``TEST`` event to the policy's recipients only.

A redelivered or replayed delivery is ``PENDING`` again with a new retry window (``retry_since``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import Field, create_model
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core import clock
from quire.core.errors import ValidationFailed
from quire.core.http import Account, Session, api_router
from quire.core.ids import uuid7
from quire.core.pages import ListPage
from quire.core.pagination import Page, PageParams, UnsortedPageQuery, present_page
from quire.core.repository import equal, list_page, loader
from quire.core.schemas import AccountObject, ApiModel, AwareDateTime, RequestModel, Timestamp
from quire.notifications import delivery, emails
from quire.notifications.models import DeliveryStatus, Event, NotificationPolicy, WebhookDelivery
from quire.notifications.policies import get_policy

router = api_router(tags=["Notifications (Quire extension)"])
get_delivery = loader(WebhookDelivery, kind="WebhookDelivery")
MAX_REPLAY = 10_000
TEST_TYPE = "TEST"


#: When the last attempt was made, the receiver's HTTP status (none: no answer) and what failed.
LastAttempt = create_model("LastAttempt", __base__=ApiModel, at=(Timestamp, ...), status_code=(int | None, None),
                           error=(str | None, None))
#: The event delivered: its id (``Sequence-Event-Id``), type and resource.
DeliveredEvent = create_model("DeliveredEvent", __base__=ApiModel, id=(str, ...), notification_type=(str, ...),
                              resource_id=(str, ...))


class DeliveryRead(AccountObject):
    """One event to one URL of one policy."""

    event: DeliveredEvent
    policy_id: str
    url: str
    status: Literal["PENDING", "DELIVERED", "DEAD", "CANCELLED"]
    attempts: int
    created_at: Timestamp
    next_attempt_at: Timestamp | None = None  # PENDING only
    delivered_at: Timestamp | None = None
    last_attempt: LastAttempt | None = None


class DeliveryPage(ListPage[DeliveryRead]):
    pass


class ReplayRequest(RequestModel):
    """Events recorded at or after ``from`` and before ``to``."""

    from_: AwareDateTime = Field(alias="from")
    to: AwareDateTime


class ReplayRead(AccountObject):
    """``id``: the policy's. ``events``: the events replayed; ``deliveries``: the deliveries made pending."""

    events: int
    deliveries: int


class TestRead(AccountObject):
    """``id``: the test event's id (``Sequence-Event-Id``)."""

    notification_type: str
    deliveries: int


def present_delivery(row: WebhookDelivery) -> DeliveryRead:
    last = None if row.last_attempt_at is None else LastAttempt(
        at=row.last_attempt_at, status_code=row.last_status_code, error=row.last_error)
    event = DeliveredEvent(id=row.event_id, notification_type=row.notification_type, resource_id=row.resource_id)
    return DeliveryRead.of_row(row, next_attempt_at=row.next_attempt_at if row.status == "PENDING" else None,
                               last_attempt=last, event=event)


def _pending_again(row: WebhookDelivery, now: datetime) -> None:
    row.status = DeliveryStatus.PENDING.value
    row.next_attempt_at = row.retry_since = row.updated_at = now
    row.claimed_until = None


async def list_deliveries(session: AsyncSession, account_id: str, params: PageParams, *, policy_id: str | None,
                          event_id: str | None, status: str | None) -> Page[WebhookDelivery]:
    return await list_page(session, WebhookDelivery, account_id, params, equal(WebhookDelivery.policy_id, policy_id),
                           equal(WebhookDelivery.event_id, event_id), equal(WebhookDelivery.status, status))


async def redeliver(session: AsyncSession, account_id: str, delivery_id: str) -> WebhookDelivery:
    row = await get_delivery(session, account_id, delivery_id, lock=True)
    _pending_again(row, delivery.wall_now())
    await session.flush()
    await delivery.schedule(session, row.endpoint)
    return row


async def replay(session: AsyncSession, account_id: str, policy_id: str, data: ReplayRequest) -> tuple[NotificationPolicy, int, int]:
    policy = await get_policy(session, account_id, policy_id, lock=True)
    if policy.channel != "WEBHOOK":
        raise ValidationFailed("Only a WEBHOOK policy's deliveries can be replayed", field="id")
    if data.to <= data.from_:
        raise ValidationFailed("to must be after from", field="to")
    stmt = select(Event).where(Event.account_id == account_id, Event.created_at >= data.from_,
                               Event.created_at < data.to).order_by(Event.created_at, Event.id).limit(MAX_REPLAY + 1)
    if policy.notification_types is not None:
        stmt = stmt.where(Event.notification_type.in_(policy.notification_types))
    events = list((await session.scalars(stmt)).all())
    if len(events) > MAX_REPLAY:
        raise ValidationFailed(f"More than {MAX_REPLAY} events in that range: replay a shorter one", field="to")
    existing = {(row.event_id, row.url): row for row in (await session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.policy_id == policy.id, WebhookDelivery.event_id.in_([e.id for e in events])))).all()} \
        if events else {}
    now, count = delivery.wall_now(), 0
    fresh: dict[str, list[str]] = {}
    for event in events:
        for url in policy.recipients:
            row = existing.get((event.id, url))
            if row is None:
                fresh.setdefault(event.id, []).append(url)
            else:
                _pending_again(row, now)
            count += 1
    await session.flush()
    for event in events:
        if event.id in fresh:
            await delivery.queue(session, event, [_Only(policy.id, tuple(fresh[event.id]))])
    for url in policy.recipients:
        await delivery.schedule(session, delivery.endpoint_key(policy.id, url))
    return policy, len(events), count


class _Only:
    """A policy narrowed to some of its URLs (what ``delivery.queue`` reads of a policy)."""

    def __init__(self, policy_id: str, recipients: tuple[str, ...]) -> None:
        self.id, self.recipients = policy_id, recipients


async def send_test(session: AsyncSession, account_id: str, policy_id: str) -> tuple[Event, int]:
    policy = await get_policy(session, account_id, policy_id)
    event_id = uuid7()
    event = Event(id=event_id, account_id=account_id, notification_type=TEST_TYPE, resource_type="Test",
                  resource_id=event_id, created_at=clock.now(),
                  resource={"message": "A test event from Quire", "policyId": policy.id, "policyName": policy.name})
    session.add(event)
    await session.flush()
    if policy.channel == "WEBHOOK":
        await delivery.queue(session, event, [policy])
    else:
        await emails.queue(session, event, [policy])
    return event, len(policy.recipients)


@router.get("/notifications/deliveries", response_model=DeliveryPage, operation_id="getNotificationsDeliveries")
async def get_deliveries(session: Session, account: Account, params: UnsortedPageQuery, policy_id: Annotated[
        str | None, Query(alias="policyId")] = None, event_id: Annotated[str | None, Query(alias="eventId")] = None,
        status: Literal["PENDING", "DELIVERED", "DEAD", "CANCELLED"] | None = None) -> Any:
    """The account's webhook deliveries, newest first."""
    page = await list_deliveries(session, account, params, policy_id=policy_id, event_id=event_id, status=status)
    return present_page(DeliveryPage, page, present_delivery)


@router.post("/notifications/deliveries/{id}/redeliver", response_model=DeliveryRead,
             operation_id="postNotificationsDeliveriesByIdRedeliver")
async def post_redeliver(id: str, session: Session, account: Account) -> Any:
    return present_delivery(await redeliver(session, account, id))


@router.post("/notifications/policies/{id}/replay", response_model=ReplayRead,
             operation_id="postNotificationsPoliciesByIdReplay")
async def post_replay(id: str, body: ReplayRequest, session: Session, account: Account) -> Any:
    policy, events, deliveries = await replay(session, account, id, body)
    return ReplayRead(id=policy.id, sequence_account_id=account, events=events, deliveries=deliveries)


@router.post("/notifications/policies/{id}/test", response_model=TestRead, operation_id="postNotificationsPoliciesByIdTest")
async def post_test(id: str, session: Session, account: Account) -> Any:
    event, deliveries = await send_test(session, account, id)
    return TestRead(id=event.id, sequence_account_id=account, notification_type=event.notification_type,
                    deliveries=deliveries)
