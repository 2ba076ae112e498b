"""Credit note tables: the billing-document columns (``quire.billing_documents.models``) and what only a
credit note has (docs/credit-notes.md).

Totals are integer minor units; quantities and rates exact decimals. A credit note may be linked to one
invoice (``invoice_id``) and its lines to the invoice lines they credit (``invoice_line_item_id``): the
sums of those links are what the creditable-amount rule checks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.billing_documents.kind import Kind
from quire.billing_documents.models import DocumentColumns, GroupColumns, LineColumns
from quire.core.db import Base, UTCDateTime
from quire.core.tables import created_index
from quire.creditnotes.lifecycle import Action, check
from quire.core.stored_documents import StoredDocument


class CreditNote(DocumentColumns, Base):
    __tablename__ = "credit_notes"
    __table_args__ = (
        created_index("credit_notes"),
        Index("ix_credit_notes_account_status", "account_id", "status", "id"),
        Index("ix_credit_notes_account_customer_created", "account_id", "customer_id", "created_at", "id"),
        Index("ix_credit_notes_account_gross", "account_id", "gross_total_minor", "id"),
        Index("ix_credit_notes_account_number_seq", "account_id", "number_seq", "id"),
        Index("ix_credit_notes_invoice", "invoice_id"),
        UniqueConstraint("account_id", "credit_note_number", name="uq_credit_notes_account_number"),
    )

    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"), nullable=True)
    invoice_number: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the invoice's, at creation
    credit_note_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The counter value behind credit_note_number (0 until numbered): sortBy=CREDIT_NOTE_NUMBER.
    number_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    billing_period_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    billing_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CreditNoteLineItemGroup(GroupColumns, Base):
    __tablename__ = "credit_note_line_item_groups"
    __table_args__ = (Index("ix_credit_note_groups_note_index", "credit_note_id", "index"),)
    __document_key__ = "credit_note_id"

    credit_note_id: Mapped[str] = mapped_column(ForeignKey("credit_notes.id", ondelete="CASCADE"))
    invoice_line_item_group_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class CreditNoteLineItem(LineColumns, Base):
    __tablename__ = "credit_note_line_items"
    __table_args__ = (
        Index("ix_credit_note_lines_note_index", "credit_note_id", "index"),
        Index("ix_credit_note_lines_invoice_line", "invoice_line_item_id"),
    )
    __document_key__ = "credit_note_id"

    credit_note_id: Mapped[str] = mapped_column(ForeignKey("credit_notes.id", ondelete="CASCADE"))
    group_id: Mapped[str | None] = mapped_column(ForeignKey("credit_note_line_item_groups.id"), nullable=True, index=True)
    invoice_line_item_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class CreditNoteDocument(StoredDocument, Base):
    """A credit note's stored PDF (``quire.core.stored_documents``, as for invoices): ISSUED when it is
    numbered, VOIDED when it is voided; one per credit note and kind."""

    __tablename__ = "credit_note_documents"
    __table_args__ = (
        UniqueConstraint("credit_note_id", "kind", name="uq_credit_note_documents_note_kind"),
        Index("ix_credit_note_documents_account_note", "account_id", "credit_note_id"),
    )

    credit_note_id: Mapped[str] = mapped_column(ForeignKey("credit_notes.id", ondelete="CASCADE"))


def _check_editable(note: CreditNote) -> None:
    check(Action.EDIT, note.status)


#: The credit note as a kind of billing document (``quire.billing_documents``).
KIND: Kind[CreditNote, CreditNoteLineItem, CreditNoteLineItemGroup] = Kind(
    document=CreditNote, line=CreditNoteLineItem, group=CreditNoteLineItemGroup, a_noun="a credit note",
    line_name="CreditNoteLineItem", group_name="CreditNoteLineItemGroup", check_editable=_check_editable,
    sorts={"createdAt": CreditNote.created_at, "GROSS_TOTAL": CreditNote.gross_total_minor,
           "CREDIT_NOTE_NUMBER": CreditNote.number_seq, "STATUS": CreditNote.status},
)
