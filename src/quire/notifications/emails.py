"""The EMAIL channel: one short message per event and EMAIL policy, to the policy's addresses, through the
outbox (queued in the event's transaction, sent after commit by the ``email`` queue: docs/delivery.md).

The message names what happened and to what (the type in words, the resource's own name or number, its
status and totals where it has them), with the ids a reader needs to find it in the API. It is composed
from the resource as the event first recorded it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.clock import isoformat_z
from quire.notifications.models import Event
from quire.outbox.compose import Email
from quire.outbox.service import enqueue

SUBJECT_TYPE = "event"
#: Fields of a resource worth a line in the email, in this order (whichever it has).
HIGHLIGHTS = ("invoiceNumber", "creditNoteNumber", "legalName", "legalCompanyName", "customerLegalCompanyName",
              "status", "paymentStatus", "currency", "netTotal", "totalTax", "grossTotal", "dueDate", "startDate")


def describe(event: Event) -> tuple[str, str]:
    """(subject, text) of the email about ``event``."""
    resource: dict[str, Any] = event.resource or {}
    what = event.notification_type.replace("_", " ").lower()
    name = next((str(resource[k]) for k in ("invoiceNumber", "creditNoteNumber", "legalName", "legalCompanyName",
                                            "customerLegalCompanyName") if resource.get(k)), event.resource_id)
    subject = f"Quire: {what[:1].upper()}{what[1:]}: {name}"
    lines = [f"{event.notification_type} ({event.resource_type} {event.resource_id})", ""]
    lines += [f"{key}: {resource[key]}" for key in HIGHLIGHTS if resource.get(key) not in (None, "", [])]
    lines += ["", f"Event {event.id} at {isoformat_z(event.created_at)}, account {event.account_id}.",
              "You receive this because a notification policy of this account sends it to you."]
    return subject, "\n".join(lines) + "\n"


async def queue(session: AsyncSession, event: Event, policies: list[Any]) -> None:
    if not policies:
        return
    subject, text = describe(event)
    for policy in policies:
        await enqueue(session, account_id=event.account_id, subject_type=SUBJECT_TYPE, subject_id=event.id,
                      email=Email(to=list(policy.recipients), subject=subject, text=text))
