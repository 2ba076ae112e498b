"""HTTP routes of the Invoices and Invoice Line Items tags (2024-01-01). Thin by design."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from fastapi.responses import Response

from quire.billing_documents.routes import (
    CustomerFilter, SentAfter, SentBefore, Wire, add_document_routes, add_line_routes, listed
)
from quire.billing_documents.schemas import GroupWrite
from quire.core.contract_enums import CURRENCY, INVOICE_PAYMENT_STATUS, INVOICE_STATUS
from quire.core.http import Account, Session, api_router
from quire.core.pagination import PageQuery, page_response
from quire.core.schemas import IsoDate
from quire.invoices import actions, lines, present, service, settings
from quire.invoices.document import invoice_download
from quire.invoices.lifecycle import Action
from quire.invoices.models import KIND
from quire.invoices.repository import InvoiceFilters
from quire.invoices.schemas import (
    GroupPage, GroupRead, InvoiceCreate, InvoicePage, InvoiceRead, InvoiceSettingsCreate,
    InvoiceSettingsRead, InvoiceSettingsUpdate, InvoiceSortBy, InvoiceUpdate, LineItemPage, LineItemRead,
    LineItemWrite, PaymentStatusUpdate
)

router = api_router()
INV = ["Invoices"]
WIRE = Wire(create=InvoiceCreate, update=InvoiceUpdate, read=InvoiceRead, present=present.invoice,
            line_create=LineItemWrite, line_update=LineItemWrite, line_read=LineItemRead, line_page=LineItemPage,
            group_create=GroupWrite, group_update=GroupWrite, group_read=GroupRead, group_page=GroupPage,
            present_line=present.line, present_group=present.group)


@router.get("/invoices", response_model=InvoicePage, operation_id="getInvoices", tags=INV)
async def get_invoices(
    session: Session,
    account: Account,
    params: PageQuery,
    sort_by: Annotated[InvoiceSortBy, Query(alias="sortBy")] = InvoiceSortBy.CREATED_AT,
    invoice_status: Annotated[str | None, Query(alias="invoiceStatus", max_length=200)] = None,
    invoice_payment_status: Annotated[str | None, Query(alias="invoicePaymentStatus", max_length=200)] = None,
    customer_id: CustomerFilter = None,
    billing_schedule_id: Annotated[str | None, Query(alias="billingScheduleId", max_length=64)] = None,
    due_before: Annotated[IsoDate | None, Query(alias="dueBefore")] = None,
    due_after: Annotated[IsoDate | None, Query(alias="dueAfter")] = None,
    sent_before: SentBefore = None,
    sent_after: SentAfter = None,
    invoice_before: Annotated[IsoDate | None, Query(alias="invoiceBefore")] = None,
    invoice_after: Annotated[IsoDate | None, Query(alias="invoiceAfter")] = None,
    exclude_zero_quantity: Annotated[bool, Query(alias="excludeZeroQuantity")] = False,
    invoice_currency: Annotated[str | None, Query(alias="invoiceCurrency", max_length=200)] = None,
) -> Response:
    filters = InvoiceFilters(
        statuses=listed(invoice_status, INVOICE_STATUS, "invoiceStatus"),
        payment_statuses=listed(invoice_payment_status, INVOICE_PAYMENT_STATUS, "invoicePaymentStatus"),
        customer_id=customer_id,
        billing_schedule_id=billing_schedule_id,
        due_before=due_before, due_after=due_after,
        sent_before=sent_before, sent_after=sent_after,
        invoice_before=invoice_before, invoice_after=invoice_after,
        currencies=listed(invoice_currency, CURRENCY, "invoiceCurrency"),
        exclude_zero_quantity=exclude_zero_quantity,
    )
    page = await service.list_invoices(session, account, params=params, sort_by=sort_by, filters=filters)
    return page_response(page, present.invoice_item)


add_document_routes(
    router, WIRE, path="/invoices", operation="Invoices", names=("invoice", "invoices"), tags=INV,
    create=service.create_invoice, get=service.get_invoice, update=service.update_invoice, delete=service.delete_invoice,
    download=invoice_download, download_help="Quire extension: pdf (default), ubl (Peppol BIS 3) or facturx",
    transition=actions.transition, actions=(Action.FINALIZE, Action.SEND, Action.FINALIZE_AND_SEND, Action.VOID),
    patch=True,
)


@router.put("/invoices/{id}/payment-status", response_model=InvoiceRead, operation_id="putInvoicesByIdPaymentStatus", tags=INV)
async def payment_status(id: str, body: PaymentStatusUpdate, session: Session, account: Account) -> InvoiceRead:
    return present.invoice(await actions.set_payment_status(session, account, id, body.payment_status))


# --- line items and groups (quire.billing_documents.routes) ---------------------------------------

add_line_routes(
    router, KIND, WIRE, path="/invoices/{invoice}", param="invoice", operation="InvoicesByInvoice", tags=["Invoice Line Items"],
    add_line=lines.add_line, update_line=lines.update_line,
)


# --- invoice payment settings ---------------------------------------------------------------------


@router.post("/invoice-settings", status_code=201, response_model=InvoiceSettingsRead, operation_id="postInvoiceSettings", tags=INV)
async def post_settings(body: InvoiceSettingsCreate, session: Session, account: Account) -> InvoiceSettingsRead:
    return present.settings(await settings.create(session, account, body))


@router.get("/invoice-settings/for-invoice/{id}", response_model=InvoiceSettingsRead, operation_id="getInvoiceSettingsForInvoiceById", tags=INV)
async def get_settings_for_invoice(id: str, session: Session, account: Account) -> InvoiceSettingsRead:
    return present.settings(await settings.for_invoice(session, account, id))


@router.get("/invoice-settings/{id}", response_model=InvoiceSettingsRead, operation_id="getInvoiceSettingsById", tags=INV)
async def get_settings(id: str, session: Session, account: Account) -> InvoiceSettingsRead:
    return present.settings(await settings.get(session, account, id))


@router.put("/invoice-settings/{id}", response_model=InvoiceSettingsRead, operation_id="putInvoiceSettingsById", tags=INV)
async def put_settings(id: str, body: InvoiceSettingsUpdate, session: Session, account: Account) -> InvoiceSettingsRead:
    return present.settings(await settings.update(session, account, id, body))


@router.delete("/invoice-settings/{id}", response_model=InvoiceSettingsRead, operation_id="deleteInvoiceSettingsById", tags=INV)
async def delete_settings(id: str, session: Session, account: Account) -> InvoiceSettingsRead:
    return present.settings(await settings.delete(session, account, id))
