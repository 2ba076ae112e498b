"""HTTP routes of the Credit Notes and Credit Note Line Items tags (2024-01-01). Thin by design."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from quire.billing_documents.routes import (
    CustomerFilter, SentAfter, SentBefore, Wire, add_document_routes, add_line_routes, listed
)
from quire.core.contract_enums import CREDIT_NOTE_STATUS
from quire.core.http import Account, Session, api_router
from quire.core.pagination import PageQuery, present_page
from quire.creditnotes import actions, delivery, lines, present, service
from quire.creditnotes.document import credit_note_download
from quire.creditnotes.lifecycle import Action
from quire.creditnotes.models import KIND
from quire.creditnotes.repository import CreditNoteFilters
from quire.creditnotes.schemas import (
    CreditGroupCreate, CreditGroupPage, CreditGroupRead, CreditGroupUpdate, CreditLineCreate, CreditLineFields,
    CreditLinePage, CreditLineRead, CreditNoteCreate, CreditNoteEmailPage, CreditNoteEmailRead, CreditNotePage,
    CreditNoteRead, CreditNoteSortBy, CreditNoteUpdate, email_read
)
from quire.outbox.routes import add_email_routes

router = api_router()
CN = ["Credit Notes"]
WIRE = Wire(create=CreditNoteCreate, update=CreditNoteUpdate, read=CreditNoteRead, present=present.credit_note,
            line_create=CreditLineCreate, line_update=CreditLineFields, line_read=CreditLineRead,
            line_page=CreditLinePage, present_line=present.line, group_create=CreditGroupCreate,
            group_update=CreditGroupUpdate, group_read=CreditGroupRead, group_page=CreditGroupPage,
            present_group=present.group)


@router.get("/credit-notes", response_model=CreditNotePage, operation_id="getCreditNotes", tags=CN)
async def get_credit_notes(
    session: Session,
    account: Account,
    sort_by: Annotated[CreditNoteSortBy, Query(alias="sortBy")] = CreditNoteSortBy.CREATED_AT,
    credit_note_status: Annotated[str | None, Query(alias="creditNoteStatus", max_length=200)] = None,
    customer_id: CustomerFilter = None,
    sent_before: SentBefore = None,
    sent_after: SentAfter = None,
    *,
    params: PageQuery,  # limit, after, before, sortOrder: served after the filters, as for every list
) -> CreditNotePage:
    statuses = listed(credit_note_status, CREDIT_NOTE_STATUS, "creditNoteStatus")
    filters = CreditNoteFilters(statuses=statuses, customer_id=customer_id, sent_before=sent_before, sent_after=sent_after)
    page = await service.list_credit_notes(session, account, params=params, sort_by=sort_by, filters=filters)
    return present_page(CreditNotePage, page, present.credit_note)


add_document_routes(
    router, WIRE, path="/credit-notes", operation="CreditNotes", names=("credit_note", "credit_notes"), tags=CN,
    create=service.create_credit_note, get=service.get_credit_note, update=service.update_credit_note,
    delete=service.delete_credit_note, download=credit_note_download,
    download_help="Quire extension: pdf (default), ubl or facturx",
    transition=actions.transition, actions=(Action.FINALIZE, Action.SEND, Action.FINALIZE_AND_SEND, Action.VOID),
)


# Delivery (Quire extension): GET /credit-notes/{id}/emails, POST /credit-notes/{id}/emails/{emailId}/retry.
add_email_routes(
    router, path="/credit-notes/{id}", operation="CreditNotesById", noun="a credit note",
    subject_type=delivery.SUBJECT_TYPE, get=service.get_credit_note, read=email_read, read_model=CreditNoteEmailRead,
    page_model=CreditNoteEmailPage, tags=["Delivery (Quire extension)"],
)


# --- line items and groups (quire.billing_documents.routes) ---------------------------------------

add_line_routes(
    router, KIND, WIRE, path="/credit-notes/{creditnote}", param="creditnote", operation="CreditNotesByCreditnote",
    tags=["Credit Note Line Items"], add_line=lines.add_line, update_line=lines.update_line, add_group=lines.add_group,
)
