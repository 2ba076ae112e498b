"""Signed webhook deliveries, as jobs of the queue (quire.jobs, docs/jobs.md; docs/webhooks.md).

One ``webhook_deliveries`` row per (event, policy, URL), written with the event. Its **endpoint** (policy,
URL) has one job name, ``webhooks.deliver(endpoint=…)``, deferred in the event's transaction with the
queueing lock ``webhook:<endpoint>`` (one waiting job per endpoint, however many events). The row is the
source of truth; the job only says "look at this endpoint now". A job:

1. claims a batch of due deliveries (one transaction): oldest event first, at most one per resource, and
   none of a resource whose older delivery to this endpoint is not finished (per-resource order);
   ``claimed_until`` keeps other jobs off them;
2. POSTs them, ``PARALLEL`` at a time (a batch has one delivery per resource, so this keeps the order),
   with no transaction open, each signed with the policy's secret of now;
3. records the outcomes (one transaction): ``DELIVERED`` on a 2xx, else attempts + 1 and the next attempt
   after an exponential backoff with jitter, or ``DEAD`` once the delivery is older than the retry window.

It stops after ``BUDGET_SECONDS`` and re-defers itself, so a slow endpoint holds a worker slot only that
long before the other endpoints' jobs get their turn. A failed delivery defers a wake-up for its next
attempt; ``webhooks.sweep`` (at every worker start and every minute) re-queues endpoints with due
deliveries that have no job (a wake-up lost to a waiting job, a worker killed mid-batch: its claims run out).
Delivery is therefore at least once; a repeat carries the same ``Sequence-Event-Id``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quire.config import Settings
from quire.core.clock import isoformat_z
from quire.core.ids import uuid7
from quire.jobs import JobContext, defer, job, periodic
from quire.jobs.api import at_worker_start
from quire.notifications.alerts import WEBHOOK_DEAD, WEBHOOK_QUIET, send_alert
from quire.notifications.models import DeliveryStatus, Event, NotificationPolicy, WebhookDelivery

log = logging.getLogger("quire.webhooks")

DELIVER = "webhooks.deliver"
SWEEP = "webhooks.sweep"
QUEUE = "webhooks"
BATCH = 20
PARALLEL = 4  # requests at once to one endpoint
MAX_CLIENTS = 256  # receivers' origins with an HTTP client kept
CANDIDATES = 200  # due deliveries of an endpoint considered per claim (the oldest)
BUDGET_SECONDS = 15.0
USER_AGENT = "Quire-Webhooks/1"
_DEFERRED = "quire.webhooks.deferred"


def wall_now() -> datetime:
    """Delivery times are wall-clock times, as the queue's (docs/jobs.md): tests move Quire's clock."""
    return datetime.now(UTC)


def endpoint_key(policy_id: str, url: str) -> str:
    return hashlib.sha256(f"{policy_id}\n{url}".encode()).hexdigest()[:40]


def signature(secret: str, timestamp_ms: int, body: bytes) -> str:
    """``Sequence-Signature``'s value: ``t=<unix ms>,s=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp_ms},s={digest}"


def envelope(event: Event) -> bytes:
    """The body as sent, byte for byte (what the signature covers)."""
    return json.dumps({
        "notificationType": event.notification_type, "sequenceAccountId": event.account_id,
        "resourceType": event.resource_type, "resourceId": event.resource_id, "resource": event.resource,
        "eventId": event.id, "createdAt": isoformat_z(event.created_at),
    }, separators=(",", ":"), ensure_ascii=False).encode()


#: The jitter's own generator: the module-level ``random`` functions share one state with the whole process
#: (a test process driving Hypothesis beside an in-process server, for one, sees it change under it).
_JITTER = random.Random()


def backoff(attempt: int, settings: Settings) -> float:
    """Seconds before the attempt after failed attempt number ``attempt`` (1, 2, …): base · 2^(attempt-1),
    capped, times a random factor in [0.75, 1.25] (jitter: receivers that failed together do not all come
    back together)."""
    delay = min(settings.webhook_retry_base_seconds * 2 ** min(max(attempt - 1, 0), 40), settings.webhook_retry_max_seconds)
    return delay * _JITTER.uniform(0.75, 1.25)


# --- writing deliveries with the event ------------------------------------------------------------------


async def queue(session: AsyncSession, event: Event, policies: list[Any]) -> None:
    """One delivery per URL of each WEBHOOK policy; each endpoint's job deferred once per transaction."""
    if not policies:
        return
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_DEFERRED)
    if held is None or held[0] is not transaction:
        held = session.info[_DEFERRED] = (transaction, set())
    now = wall_now()
    for policy in policies:
        for url in policy.recipients:
            key = endpoint_key(policy.id, url)
            session.add(WebhookDelivery(
                id=uuid7(), account_id=event.account_id, event_id=event.id, event_created_at=event.created_at,
                resource_id=event.resource_id, notification_type=event.notification_type, policy_id=policy.id,
                url=url, endpoint=key, status=DeliveryStatus.PENDING.value, attempts=0, next_attempt_at=now,
                retry_since=now, created_at=now, updated_at=now,
            ))
            if key not in held[1]:
                held[1].add(key)
                await schedule(session, key)


async def schedule(session: AsyncSession, endpoint: str, *, run_at: datetime | None = None) -> None:
    """Look at ``endpoint`` after ``session`` commits (now, or at ``run_at``: a retry's wake-up)."""
    lock = f"webhook-retry:{endpoint}" if run_at is not None else f"webhook:{endpoint}"
    await defer(session, DELIVER, endpoint=endpoint, queueing_lock=lock, run_at=run_at)


# --- the job ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Send:
    delivery_id: str
    event_id: str
    url: str
    secret: str
    attempt: int
    body: bytes


@dataclass(frozen=True)
class _Outcome:
    delivery_id: str
    ok: bool = False
    status_code: int | None = None
    error: str | None = None


@job(DELIVER, queue=QUEUE)
async def deliver(ctx: JobContext, endpoint: str) -> None:
    settings = ctx.settings
    started = time.monotonic()
    gate = asyncio.Semaphore(PARALLEL)

    async def post(item: _Send) -> _Outcome:
        async with gate:
            return await _post(_client(item.url), item, settings)

    first = True
    while True:
        if not first:
            await ctx.give_way()  # in the app's process: requests in flight go before the next batch
        first = False
        batch = await _claim(ctx, endpoint)
        if not batch:
            break
        # A batch holds at most one delivery per resource, so its deliveries may go at once without
        # breaking the per-resource order; PARALLEL at most to one endpoint.
        await _record(ctx, list(await asyncio.gather(*(post(item) for item in batch))))
        if time.monotonic() - started > BUDGET_SECONDS:
            async with ctx.write() as session:  # give the worker slot to other endpoints' jobs
                await schedule(session, endpoint)
            return
    await _wake_later(ctx, endpoint)


async def _claim(ctx: JobContext, endpoint: str) -> list[_Send]:
    settings = ctx.settings
    async with ctx.write() as session:
        now = wall_now()
        pending = (WebhookDelivery.endpoint == endpoint) & (WebhookDelivery.status == DeliveryStatus.PENDING.value)
        # Due and unclaimed, oldest event first. FOR UPDATE (PostgreSQL): a second job of the endpoint waits
        # for this claim, then sees it.
        # The endpoint's index (endpoint, status, event_created_at, id) gives the order, so the scan stops
        # after CANDIDATES rows; SQLite's planner preferred (status, next_attempt_at), which reads every
        # pending delivery of every endpoint and sorts them (14-35 ms a claim at 30,000 pending, under the
        # one write lock): a unary + keeps next_attempt_at off an index there (SQLite's documented way).
        due = (_unindexed(WebhookDelivery.next_attempt_at) if session.get_bind().dialect.name == "sqlite"
               else WebhookDelivery.next_attempt_at)
        # Candidates as plain tuples (ids, resource, age): most are not chosen, so none is loaded as a row.
        candidates = (await session.execute(
            select(WebhookDelivery.id, WebhookDelivery.resource_id, WebhookDelivery.event_created_at)
            .where(pending, due <= now,
                   WebhookDelivery.claimed_until.is_(None) | (WebhookDelivery.claimed_until <= now))
            .order_by(WebhookDelivery.event_created_at, WebhookDelivery.id).limit(CANDIDATES).with_for_update()
        )).all()
        if not candidates:
            return []
        head = await session.get(WebhookDelivery, candidates[0].id)
        policy = head and await session.get(NotificationPolicy, head.policy_id)
        if head is None or policy is None or head.url not in policy.recipients or policy.channel != "WEBHOOK":
            await session.execute(update(WebhookDelivery).where(pending).values(
                status=DeliveryStatus.CANCELLED.value, claimed_until=None, updated_at=now,
                last_error="The policy or this URL was removed"))
            return []
        # Per-resource order: a delivery goes only when no older one of its resource is still pending here.
        # The oldest pending delivery of a candidate's resource is no newer than the candidate, so only rows
        # up to the last candidate are read (an index range, not every pending delivery of the endpoint).
        first: dict[str, tuple[datetime, str]] = {}
        for resource_id, created, ident in (await session.execute(
                select(WebhookDelivery.resource_id, WebhookDelivery.event_created_at, WebhookDelivery.id)
                .where(pending, WebhookDelivery.event_created_at <= candidates[-1].event_created_at,
                       WebhookDelivery.resource_id.in_({row.resource_id for row in candidates})))).all():
            if resource_id not in first or (created, ident) < first[resource_id]:
                first[resource_id] = (created, ident)
        picked = [row.id for row in candidates if first.get(row.resource_id, (None, row.id))[1] == row.id][:BATCH]
        if not picked:
            return []
        chosen = sorted((await session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(picked)))).all(),
                        key=lambda row: (row.event_created_at, row.id))
        events = {e.id: e for e in (await session.scalars(
            select(Event).where(Event.id.in_([row.event_id for row in chosen])))).all()}
        lease = now + timedelta(seconds=_lease(settings))
        sends = []
        for row in chosen:
            row.claimed_until = lease
            event = events.get(row.event_id)
            if event is None:  # deleted with its account
                row.status = DeliveryStatus.CANCELLED.value
                continue
            sends.append(_Send(row.id, event.id, row.url, policy.webhook_secret or "", row.attempts + 1, envelope(event)))
        return sends


def _unindexed(column: Any) -> Any:
    """``+table.column``: the same value, but SQLite will not use an index for a term on it."""
    return literal_column(f"+{column.table.name}.{column.name}", type_=column.type)


_CLIENTS: dict[tuple[int, str], httpx.AsyncClient] = {}
_TLS: list[ssl.SSLContext] = []


def _client(url: str) -> httpx.AsyncClient:
    """The process's HTTP client for ``url``'s origin on this event loop: connections to a receiver are kept
    alive between deliveries, and each origin has a small pool of its own (httpcore scans a pool's
    connections on every request: one shared pool of many connections cost more CPU than the requests).
    One TLS context for all (building one costs ~10 ms)."""
    parts = urlsplit(url)
    key = (id(asyncio.get_running_loop()), f"{parts.scheme}://{parts.netloc}")
    client = _CLIENTS.get(key)
    if client is None or client.is_closed:
        if not _TLS:
            _TLS.append(ssl.create_default_context())
        if len(_CLIENTS) >= MAX_CLIENTS:  # forget the oldest (it closes with the process)
            _CLIENTS.pop(next(iter(_CLIENTS)))
        client = _CLIENTS[key] = httpx.AsyncClient(
            verify=_TLS[0], follow_redirects=False, headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=PARALLEL, max_keepalive_connections=PARALLEL))
    return client


def _lease(settings: Settings) -> float:
    """How long a claim keeps other jobs off a batch: long enough to send it (``PARALLEL`` at a time), short
    enough that a worker killed mid-batch holds its deliveries only this long (then the sweep or the retried
    job takes them)."""
    return -(-BATCH // PARALLEL) * (settings.webhook_timeout_seconds + 1) + 10


async def _post(client: httpx.AsyncClient, item: _Send, settings: Settings) -> _Outcome:
    stamp = int(time.time() * 1000)
    headers = {"Content-Type": "application/json", "Sequence-Signature": signature(item.secret, stamp, item.body),
               "Sequence-Event-Id": item.event_id, "Sequence-Delivery-Attempt": str(item.attempt)}
    try:
        async with asyncio.timeout(settings.webhook_timeout_seconds):
            response = await client.post(item.url, content=item.body, headers=headers,
                                         timeout=settings.webhook_timeout_seconds)
    except TimeoutError:
        return _Outcome(item.delivery_id, error=f"No answer within {settings.webhook_timeout_seconds:g} s")
    except httpx.HTTPError as exc:
        return _Outcome(item.delivery_id, error=f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return _Outcome(item.delivery_id, ok=True, status_code=response.status_code)
    return _Outcome(item.delivery_id, status_code=response.status_code,
                    error=f"HTTP {response.status_code}: {response.text[:200]}")


async def _record(ctx: JobContext, outcomes: list[_Outcome]) -> None:
    settings = ctx.settings
    async with ctx.write() as session:
        now = wall_now()
        rows = {r.id: r for r in (await session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.id.in_([o.delivery_id for o in outcomes])))).all()}
        dead: list[WebhookDelivery] = []
        for outcome in outcomes:
            row = rows.get(outcome.delivery_id)
            if row is None or row.status != DeliveryStatus.PENDING.value:
                continue
            row.claimed_until = None
            row.updated_at = now
            row.attempts += 1
            row.last_attempt_at = now
            row.last_status_code = outcome.status_code
            row.last_error = outcome.error
            if outcome.ok:
                row.status = DeliveryStatus.DELIVERED.value
                row.delivered_at = now
            elif (now - row.retry_since).total_seconds() >= settings.webhook_retry_window_seconds:
                row.status = DeliveryStatus.DEAD.value
                dead.append(row)
                log.warning("webhook delivery %s to %s is dead after %d attempts: %s", row.id, row.url, row.attempts,
                            outcome.error)
            else:
                row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts, settings))
        if dead:
            await _alert_dead(session, dead)


async def _alert_dead(session: AsyncSession, dead: list[WebhookDelivery]) -> None:
    """Tell the account's alert addresses that deliveries to this endpoint died (docs/webhooks.md#alert-emails)."""
    first = dead[0]
    total = await session.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.endpoint == first.endpoint, WebhookDelivery.status == DeliveryStatus.DEAD.value))
    lines = [f"{len(dead)} webhook deliveries to {first.url} failed for longer than the retry window and are DEAD "
             f"({total} DEAD to this URL in all). They will not be retried by themselves.",
             f"Last error: {first.last_error or 'none recorded'}", "",
             *(f"- {row.notification_type} {row.resource_id} (event {row.event_id}, delivery {row.id}, "
               f"{row.attempts} attempts)" for row in dead[:20]),
             "", f"Policy {first.policy_id}. List them: GET /notifications/deliveries?policyId={first.policy_id}&status=DEAD;",
             "send one again: POST /notifications/deliveries/{id}/redeliver; or replay a time range: "
             "POST /notifications/policies/{id}/replay."]
    await send_alert(session, first.account_id, kind=WEBHOOK_DEAD, cause=first.endpoint[:36],
                     subject=f"webhook deliveries to {first.url} are failing", lines=lines, quiet=WEBHOOK_QUIET)


async def _wake_later(ctx: JobContext, endpoint: str) -> None:
    """Defer the endpoint's next look at its earliest pending attempt. Deliveries another job of the endpoint
    holds (a live claim) are left to that job, which wakes the endpoint itself when it has recorded them:
    waiting for their claim to run out (as this did) let one job's retry wait out the other's lease, and the
    other's earlier wake-up was then a no-op behind it (the queueing lock). An expired claim is due now."""
    async with ctx.read() as session:  # a read: most passes end with nothing left to wait for
        now = wall_now()
        when = await session.scalar(
            select(func.min(WebhookDelivery.next_attempt_at)).where(
                WebhookDelivery.endpoint == endpoint, WebhookDelivery.status == DeliveryStatus.PENDING.value,
                WebhookDelivery.claimed_until.is_(None) | (WebhookDelivery.claimed_until <= now)))
    if when is None:
        return
    async with ctx.write() as session:
        await schedule(session, endpoint, run_at=max(when, wall_now()))


@job(SWEEP, queue=QUEUE)
async def sweep(ctx: JobContext, timestamp: int | None = None) -> None:
    """Re-queue every endpoint with due, unclaimed deliveries (a lost wake-up, an expired claim)."""
    async with ctx.write() as session:
        now = wall_now()
        due = (await session.scalars(
            select(WebhookDelivery.endpoint).distinct().where(
                WebhookDelivery.status == DeliveryStatus.PENDING.value, WebhookDelivery.next_attempt_at <= now,
                (WebhookDelivery.claimed_until.is_(None)) | (WebhookDelivery.claimed_until <= now)))).all()
        for endpoint in due:
            await schedule(session, endpoint)


periodic(SWEEP, cron="* * * * *")
at_worker_start(SWEEP)


