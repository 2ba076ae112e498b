"""Alert emails to the account's own people: its ``alertEmailAddresses`` (docs/webhooks.md#alert-emails).

Three operational failures alert them, each from the transaction of the state change that causes it:

- a webhook delivery becomes ``DEAD`` (``quire.notifications.delivery``): one email per endpoint per
  batch of deaths, at most one per endpoint per hour (``WEBHOOK_QUIET``), counting every DEAD delivery of
  that URL;
- a billing run ends ``FAILED`` (errors > 0; ``quire.billing.run``): one email per run;
- the outbox gives up on an email (``FAILED`` after its attempts, or refused for good;
  ``quire.outbox.dispatcher.on_given_up``, registered below: the outbox imports no domain): one email per
  email, an alert's own failure excepted (no loops).

An alert is an outbox email of ``subject_type`` ``alert.<kind>`` whose ``subject_id`` is the cause (the
run's or email's id; the webhook endpoint's key): an alert already queued for that cause makes a second one
a no-op, so a job run twice (at least once) alerts once. Alerts go to the merchant's staff, not its
customers: ``sendCustomerNotifications`` does not silence them. No address, no alert.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts.models import Account
from quire.core import clock
from quire.outbox import dispatcher
from quire.outbox.compose import Email
from quire.outbox.models import OutboxEmail
from quire.outbox.service import enqueue

WEBHOOK_DEAD = "alert.webhook_dead"
BILLING_RUN = "alert.billing_run"
EMAIL_FAILED = "alert.email_failed"
KINDS = (WEBHOOK_DEAD, BILLING_RUN, EMAIL_FAILED)
#: At most one webhook alert per endpoint in this long (a receiver down for a day kills deliveries all day).
WEBHOOK_QUIET = timedelta(hours=1)
FOOTER = ("You receive this because this address is one of the account's alertEmailAddresses "
          "(PUT /sequence-accounts/{id}).")


def is_alert(subject_type: str) -> bool:
    return subject_type in KINDS


async def send_alert(session: AsyncSession, account_id: str, *, kind: str, cause: str, subject: str,
                     lines: list[str], quiet: timedelta | None = None) -> OutboxEmail | None:
    """Queue one alert about ``cause`` to the account's alert addresses, in ``session``'s transaction;
    None when the account has none, or ``cause`` was alerted already (within ``quiet``, when given)."""
    addresses = await session.scalar(select(Account.alert_email_addresses).where(Account.id == account_id))
    if not addresses:
        return None
    earlier = select(OutboxEmail.id).where(OutboxEmail.account_id == account_id, OutboxEmail.subject_id == cause,
                                           OutboxEmail.subject_type == kind)
    if quiet is not None:
        earlier = earlier.where(OutboxEmail.created_at > clock.now() - quiet)
    if await session.scalar(earlier.limit(1)) is not None:
        return None
    text = "\n".join([*lines, "", f"Account {account_id}.", FOOTER]) + "\n"
    return await enqueue(session, account_id=account_id, subject_type=kind, subject_id=cause,
                         email=Email(to=list(addresses), subject=f"Quire alert: {subject}", text=text))


async def email_given_up(session: AsyncSession, row: OutboxEmail) -> None:
    """The outbox gave up on ``row`` (FAILED for good): tell the account's alert addresses, unless it was an
    alert itself (its addresses may be what fails: no loop)."""
    if is_alert(row.subject_type):
        return
    recipients = ", ".join([*row.to_addresses, *row.cc_addresses]) or "nobody"
    await send_alert(session, row.account_id, kind=EMAIL_FAILED, cause=row.id,
                     subject=f"an email could not be delivered to {recipients}"[:200], lines=[
        f"Quire gave up on the email \"{row.subject}\" to {recipients} after {row.attempts} attempt(s).",
        f"Last error: {row.last_error or 'none recorded'}",
        f"It was about {row.subject_type.replace('_', ' ')} {row.subject_id} (email {row.id}).", "",
        ("Check the address, then send it again: POST /invoices/{id}/emails/{emailId}/retry "
         "(or /credit-notes/…), or send the document again."),
    ])


dispatcher.on_given_up.append(email_given_up)  # once: a module runs once per process
