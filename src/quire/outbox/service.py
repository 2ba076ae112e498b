"""Outbox use-cases: enqueue (inside the caller's transaction), list, and retry."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts.customer_emails import customer_notifications_on
from quire.config import Settings
from quire.core import clock
from quire.core.errors import NotFound, QuireError
from quire.core.ids import uuid7
from quire.core.pagination import Page, PageParams, paginate
from quire.core.runtime import settings_of
from quire.outbox import repository as repo
from quire.outbox.compose import Email, build, readdress, sender_header
from quire.outbox.dispatcher import schedule
from quire.outbox.models import EmailStatus, OutboxEmail

class EmailNotRetryable(QuireError, status=400):
    """A retry of an email that is already sent or being sent, or was suppressed."""


SUPPRESSED_REASON = "Not sent: the account's sendCustomerNotifications is false"


class MailNotConfigured(QuireError, status=400):
    """A retry while no SMTP server is configured."""


async def enqueue(session: AsyncSession, *, account_id: str, subject_type: str, subject_id: str, email: Email,
                  to_customer: bool = False) -> OutboxEmail:
    """Store the composed message in the caller's transaction. It is sent only after that transaction
    commits: ``PENDING`` when SMTP is configured, else ``NOT_CONFIGURED`` (kept, never dropped);
    ``FAILED`` at once when it has no recipient at all. ``to_customer``: an email to the account's
    customer (a document, a reminder), ``SUPPRESSED`` (kept, never sent) while the account's
    ``sendCustomerNotifications`` is false (docs/accounts.md)."""
    settings = settings_of(session)
    now = clock.now()
    from_header, envelope = sender_header(settings.mail_from, email.sender_name)
    message_id, mime = build(email, from_header=from_header, sent_at=now)
    if to_customer and not await customer_notifications_on(session, account_id):
        status, error = EmailStatus.SUPPRESSED, SUPPRESSED_REASON
    elif not email.to and not email.cc:
        status, error = EmailStatus.FAILED, "The message has no recipient"
    elif settings.smtp_url is None:
        status, error = EmailStatus.NOT_CONFIGURED, "No SMTP server is configured (QUIRE_SMTP_URL)"
    else:
        status, error = EmailStatus.PENDING, None
    row = OutboxEmail(
        id=uuid7(),
        account_id=account_id,
        subject_type=subject_type,
        subject_id=subject_id,
        status=status.value,
        message_id=message_id,
        from_address=envelope,
        sender_name=email.sender_name,
        reply_to=email.reply_to,
        to_addresses=list(email.to),
        cc_addresses=list(email.cc),
        subject=email.subject,
        attachments=[
            {"filename": a.filename, "contentType": a.content_type, "size": len(a.content)} for a in email.attachments
        ],
        mime=mime,
        attempts=0,
        max_attempts=settings.mail_max_attempts,
        next_attempt_at=now if status is EmailStatus.PENDING else None,
        last_error=error,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    if status is EmailStatus.PENDING:
        await schedule(session, row.id)
    return row


async def list_emails(
    session: AsyncSession, account_id: str, *, subject_type: str, subject_id: str, params: PageParams
) -> Page[Any]:
    return await paginate(
        session, repo.list_stmt(account_id, subject_type, subject_id), params=params,
        sort_column=OutboxEmail.created_at, id_column=OutboxEmail.id,
    )


async def retry(session: AsyncSession, account_id: str, *, subject_type: str, subject_id: str, email_id: str) -> OutboxEmail:
    """FAILED, NOT_CONFIGURED or PENDING → PENDING, due now, with a fresh allowance of attempts.
    A SENT message is not sent twice (send the document again instead); a SENDING one is in flight."""
    row = await repo.get(session, account_id, subject_type, subject_id, email_id, lock=True)
    if row is None:
        raise NotFound.of("Email", email_id)
    if row.status in (EmailStatus.SENT.value, EmailStatus.SENDING.value, EmailStatus.SUPPRESSED.value):
        raise EmailNotRetryable(f"Email {email_id!r} is {row.status} and cannot be retried", currentStatus=row.status)
    settings = settings_of(session)
    if settings.smtp_url is None:
        raise MailNotConfigured("No SMTP server is configured (set QUIRE_SMTP_URL)", currentStatus=row.status)
    _readdress(row, settings)
    now = clock.now()
    row.status = EmailStatus.PENDING.value
    row.next_attempt_at = now
    row.lease_until = None
    row.max_attempts = row.attempts + settings.mail_max_attempts
    row.updated_at = now
    await session.flush()
    await schedule(session, row.id)
    return row


def _readdress(row: OutboxEmail, settings: Settings) -> None:
    """Use the sender configured now: a message queued before SMTP was set up carries the default."""
    _, current = parseaddr(settings.mail_from)
    if current and current != row.from_address:
        from_header, envelope = sender_header(settings.mail_from, row.sender_name)
        row.mime = readdress(row.mime, from_header)
        row.from_address = envelope
