"""Which reminders are due, and sending one (docs/accounts.md#payment-reminders).

An unpaid (``UNPAID``, ``PARTIALLY_PAID`` or ``FAILED``) ``SENT`` invoice with a due date gets at most
two reminders: ``BEFORE_DUE`` from ``daysBeforeDue`` days before its due date, and ``ON_DUE`` from the due
date, each at most once (the unique (invoice, kind) row of ``invoice_reminders``, inserted in the same
transaction as the queued email). A daily run that was missed catches up: ``BEFORE_DUE`` until the day
before the due date, ``ON_DUE`` until ``ON_DUE_GRACE_DAYS`` after it. A reminder that would arrive no
earlier than the invoice itself is skipped (an invoice sent within ``daysBeforeDue`` of its due date
gets no ``BEFORE_DUE``; one sent on its due date no ``ON_DUE``), and so is an invoice with no
``customerEmails`` (nobody to remind).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts.merchant import PaymentReminders
from quire.accounts.models import Account
from quire.billing_documents.formatting import format_date, format_money
from quire.core import clock
from quire.core.ids import uuid7
from quire.core.runtime import settings_of
from quire.invoices.delivery import hosted
from quire.invoices.delivery.emails import SUBJECT_TYPE, document_email
from quire.invoices.delivery.models import DocumentKind
from quire.invoices.document import store_pdf
from quire.invoices.lifecycle import InvoiceStatus, PaymentStatus
from quire.invoices.models import Invoice
from quire.invoices.present import invoice as present_invoice
from quire.outbox import service as outbox
from quire.outbox.models import OutboxEmail
from quire.reminders.models import InvoiceReminder

class ReminderKind(StrEnum):
    BEFORE_DUE = "BEFORE_DUE"  # daysBeforeDue days before the due date
    ON_DUE = "ON_DUE"  # on the due date


BEFORE_DUE, ON_DUE = ReminderKind.BEFORE_DUE.value, ReminderKind.ON_DUE.value
#: A missed daily run still sends the due-date reminder up to this many days late.
ON_DUE_GRACE_DAYS = 3
UNPAID = (PaymentStatus.UNPAID.value, PaymentStatus.PARTIALLY_PAID.value, PaymentStatus.FAILED.value)
#: ``daysBeforeDue``'s largest value: how far ahead of a due date the run looks.
MAX_DAYS_BEFORE = 60


@dataclass(frozen=True)
class Due:
    invoice_id: str
    account_id: str
    kind: str


def reminder_kind(today: date, due_date: date, sent_date: date | None, days_before: int) -> str | None:
    """The reminder an invoice due on ``due_date`` and sent on ``sent_date`` should get on ``today``."""
    if due_date <= today <= due_date + timedelta(days=ON_DUE_GRACE_DAYS):
        return ON_DUE if sent_date is None or sent_date < due_date else None
    first = due_date - timedelta(days=days_before)
    if first <= today < due_date:
        return BEFORE_DUE if sent_date is None or sent_date < first else None
    return None


def reminder_settings(merchant_settings: dict[str, Any] | None) -> PaymentReminders:
    """The account's ``paymentReminders`` (docs/accounts.md), the defaults if unset or unreadable."""
    raw = (merchant_settings or {}).get("paymentReminders")
    try:
        return PaymentReminders.model_validate(raw or {})
    except ValidationError:
        return PaymentReminders()


async def due_reminders(session: AsyncSession, today: date, account_id: str | None = None) -> list[Due]:
    """The reminders to send on ``today``: of accounts that email their customers and have reminders on,
    not sent yet. One query per account, on its (account, due date) index."""
    accounts = select(Account.id, Account.merchant_settings).where(Account.send_customer_notifications.is_(True))
    if account_id is not None:
        accounts = accounts.where(Account.id == account_id)
    found: list[Due] = []
    for account, merchant_settings in (await session.execute(accounts.order_by(Account.id))).all():
        settings = reminder_settings(merchant_settings)
        if not settings.enabled:
            continue
        rows = (await session.execute(
            select(Invoice.id, Invoice.due_date, Invoice.sent_date).where(
                Invoice.account_id == account, Invoice.status == InvoiceStatus.SENT.value,
                Invoice.payment_status.in_(UNPAID),
                Invoice.due_date.between(today - timedelta(days=ON_DUE_GRACE_DAYS),
                                         today + timedelta(days=settings.days_before_due)),
            ).order_by(Invoice.due_date, Invoice.id))).all()
        if not rows:
            continue
        done = set((await session.execute(select(InvoiceReminder.invoice_id, InvoiceReminder.kind).where(
            InvoiceReminder.account_id == account, InvoiceReminder.invoice_id.in_([r.id for r in rows])))).all())
        for row in rows:
            kind = reminder_kind(today, row.due_date, row.sent_date, settings.days_before_due)
            if kind is not None and (row.id, kind) not in done:
                found.append(Due(row.id, account, kind))
    return found


async def send_reminder(session: AsyncSession, due: Due, today: date) -> OutboxEmail | None:
    """Record the reminder and queue its email in the caller's transaction, after checking again under the
    invoice's lock that it is still due (paid, voided or switched off meanwhile: nothing). Two runs at once:
    the second's insert of the same (invoice, kind) fails on the unique constraint and its transaction
    rolls back (the caller skips it)."""
    invoice = (await session.scalars(
        select(Invoice).where(Invoice.id == due.invoice_id, Invoice.account_id == due.account_id).with_for_update()
    )).one_or_none()
    account = await session.get(Account, due.account_id)
    if invoice is None or account is None or not account.send_customer_notifications:
        return None
    settings = reminder_settings(account.merchant_settings)
    if (not settings.enabled or invoice.status != InvoiceStatus.SENT.value or invoice.payment_status not in UNPAID
            or invoice.due_date is None or not invoice.customer_emails
            or reminder_kind(today, invoice.due_date, invoice.sent_date, settings.days_before_due) != due.kind):
        return None
    if await session.scalar(select(InvoiceReminder.id).where(InvoiceReminder.invoice_id == invoice.id,
                                                             InvoiceReminder.kind == due.kind)) is not None:
        return None
    reminder = InvoiceReminder(id=uuid7(), account_id=invoice.account_id, invoice_id=invoice.id, kind=due.kind,
                               due_date=invoice.due_date, created_at=clock.now())
    session.add(reminder)
    await session.flush()  # the unique (invoice, kind) decides here, before anything is composed
    document = await store_pdf(session, invoice, DocumentKind.ISSUED)
    link = await hosted.issue(session, invoice)
    server = settings_of(session)
    amount = format_money(present_invoice(invoice).gross_total, invoice.currency)
    number = invoice.invoice_number or invoice.id
    due_on = format_date(invoice.due_date.isoformat())
    email = document_email(
        invoice, document, template="invoice_reminder", reply_to=server.mail_reply_to,
        subject=f"Reminder: invoice {number} for {amount} is due {'today' if due.kind == ON_DUE else 'on ' + due_on}",
        noun="invoice", number=number, amount=amount, hosted_url=hosted.url_of(server, link.token),
        due_date=due_on, on_due_date=due.kind == ON_DUE,
        days_left=(invoice.due_date - today).days,
    )
    if not settings.cc_merchant:
        email = dataclasses.replace(email, cc=[])
    queued = await outbox.enqueue(session, account_id=invoice.account_id, subject_type=SUBJECT_TYPE,
                                  subject_id=invoice.id, email=email, to_customer=True)
    reminder.email_id = queued.id
    await session.flush()
    return queued
