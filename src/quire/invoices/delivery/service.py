"""Delivery use-cases of invoices. ``after_transition`` runs inside every lifecycle action's
transaction, after the status change, so the document, the hosted link and the queued email commit
(or roll back) together with it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from quire.invoices.delivery import emails, hosted
from quire.invoices.delivery.models import DocumentKind
from quire.invoices.document import store_pdf, store_pdf_later
from quire.invoices.lifecycle import Action, InvoiceStatus
from quire.invoices.models import Invoice


async def after_transition(session: AsyncSession, invoice: Invoice, action: Action) -> None:
    """
    * finalize: issue the hosted link; the ISSUED PDF is rendered and stored by a job after commit (or
      by the first download, whichever comes first), off the numbering lock;
    * finalize-and-send: store the ISSUED PDF now (the email attaches it), issue the hosted link;
    * voided: the VOIDED PDF likewise after commit (a draft voided in one step gets only that one), and
      a hosted link;
    * sent (send, finalize-and-send): queue the email with the ISSUED PDF attached, rendered now if its
      job has not stored it yet.
    """
    status = invoice.status
    if status == InvoiceStatus.VOIDED.value:
        await store_pdf_later(session, invoice, DocumentKind.VOIDED)
        await hosted.issue(session, invoice)
        return
    if action is Action.FINALIZE:
        await hosted.issue(session, invoice)
        await store_pdf_later(session, invoice, DocumentKind.ISSUED)
        return
    if action in (Action.FINALIZE_AND_SEND, Action.SEND):
        document = await store_pdf(session, invoice, DocumentKind.ISSUED)
        link = await hosted.issue(session, invoice)
        if status == InvoiceStatus.SENT.value:
            await emails.enqueue(session, invoice, document, link)
