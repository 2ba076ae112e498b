"""Delivery of issued credit notes, as for invoices (docs/delivery.md): the stored PDF
(``document.STORE``) and the email sent on ``send``/``finalize-and-send`` through the outbox
(``subject_type = "credit_note"``). Credit notes have no hosted page.

``after_transition`` is called by every lifecycle action inside its transaction, after the status
change, so the document and the queued email commit (or roll back) with it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.stored_documents import DocumentKind
from quire.core.runtime import settings_of
from quire.creditnotes.document import STORE
from quire.creditnotes.lifecycle import Action, CreditNoteStatus
from quire.creditnotes.models import CreditNote, CreditNoteDocument
from quire.creditnotes.present import credit_note as present_credit_note
from quire.invoices.delivery.emails import document_email
from quire.billing_documents.formatting import format_money
from quire.outbox import service as outbox
from quire.outbox.compose import Email
from quire.outbox.models import OutboxEmail

SUBJECT_TYPE = "credit_note"


async def after_transition(session: AsyncSession, note: CreditNote, action: Action) -> None:
    """
    * finalize: the ISSUED PDF is rendered and stored by a job after commit, off the numbering lock (or
      by the first download, whichever comes first);
    * finalize-and-send, send: store the ISSUED PDF now (kept if stored already) and queue the email
      with it attached; one more email per send;
    * void: the VOIDED PDF after commit, as for finalize (a draft voided in one step gets only that
      one; the ISSUED one is kept).
    """
    if note.status == CreditNoteStatus.VOIDED.value:
        await STORE.store_later(session, note, DocumentKind.VOIDED)
    elif action is Action.FINALIZE:
        await STORE.store_later(session, note, DocumentKind.ISSUED)
    elif note.status == CreditNoteStatus.SENT.value:
        await enqueue(session, note, await STORE.store(session, note, DocumentKind.ISSUED))


def compose(note: CreditNote, document: CreditNoteDocument, *, reply_to: str | None) -> Email:
    """To the credit note's ``customerEmails`` (copied from the invoice it credits, or the customer's
    billing emails, when it was created), CC the merchant, the stored PDF attached."""
    amount = format_money(present_credit_note(note).gross_total, note.currency)
    number = note.credit_note_number or note.id
    invoice_number = note.invoice_number or ""
    subject = f"Credit note {number} for {amount}" + (f" (invoice {invoice_number})" if invoice_number else "")
    return document_email(
        note, document, template="credit_note_email", subject=subject, reply_to=reply_to,
        noun="credit note", number=number, amount=amount, invoice_number=invoice_number,
    )


async def enqueue(session: AsyncSession, note: CreditNote, document: CreditNoteDocument) -> OutboxEmail:
    """Queue the credit note email in the caller's transaction (sent after it commits)."""
    email = compose(note, document, reply_to=settings_of(session).mail_reply_to)
    return await outbox.enqueue(session, account_id=note.account_id, subject_type=SUBJECT_TYPE, subject_id=note.id,
                                email=email, to_customer=True)
