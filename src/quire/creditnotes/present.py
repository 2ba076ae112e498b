"""ORM rows → wire models: the fields every document has (``quire.billing_documents.present``) and the
credit note's own."""

from __future__ import annotations

from quire.billing_documents.present import document_fields, group_fields, line_fields
from quire.creditnotes.models import CreditNote, CreditNoteLineItem, CreditNoteLineItemGroup
from quire.creditnotes.schemas import CreditGroupRead, CreditLineRead, CreditNoteRead


def credit_note(note: CreditNote) -> CreditNoteRead:
    return CreditNoteRead(
        **document_fields(note),
        invoice_id=note.invoice_id,
        invoice_number=note.invoice_number,
        billing_period_start=note.billing_period_start,
        billing_period_end=note.billing_period_end,
        credit_note_number=note.credit_note_number,
    )


def line(item: CreditNoteLineItem, currency: str) -> CreditLineRead:
    return CreditLineRead(**line_fields(item, currency), credit_note_id=item.credit_note_id,
                          line_item_id=item.invoice_line_item_id)


def group(grp: CreditNoteLineItemGroup, currency: str) -> CreditGroupRead:
    return CreditGroupRead(**group_fields(grp, currency), credit_note_id=grp.credit_note_id,
                           line_item_group_id=grp.invoice_line_item_group_id)
