"""ORM rows → wire models: the fields every document has (``quire.billing_documents.present``), then the
credit note's own (columns of the same name are copied: ``ApiModel.of_row``)."""

from __future__ import annotations

from quire.billing_documents.present import amounts, document_fields, line_fields
from quire.creditnotes.models import CreditNote, CreditNoteLineItem, CreditNoteLineItemGroup
from quire.creditnotes.schemas import CreditGroupRead, CreditLineRead, CreditNoteRead


def credit_note(note: CreditNote) -> CreditNoteRead:
    return CreditNoteRead.of_row(note, **document_fields(note))


def line(item: CreditNoteLineItem, currency: str) -> CreditLineRead:
    return CreditLineRead.of_row(item, **line_fields(item, currency), line_item_id=item.invoice_line_item_id)


def group(grp: CreditNoteLineItemGroup, currency: str) -> CreditGroupRead:
    return CreditGroupRead.of_row(grp, **amounts(grp, currency), line_item_group_id=grp.invoice_line_item_group_id)
