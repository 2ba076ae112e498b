"""Routes of the delivery extension (tag "Delivery (Quire extension)") and the public hosted page.

``router`` is authenticated and transactional like every API route. ``public_router`` serves
``/i/{token}`` with no authentication: the unguessable token is the credential (docs/delivery.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.public_pages import TOKEN_PAGE_HEADERS
from quire.core.http import account_of, api_router, error_response, session_of
from quire.core.runtime import settings_of
from quire.core.templates import render
from quire.invoices.delivery import emails, hosted
from quire.invoices.delivery.models import InvoiceHostedLink
from quire.invoices.delivery.schemas import EmailPage, EmailRead, HostedLinkRead, email_read
from quire.invoices.document import current_pdf
from quire.invoices.models import Invoice
from quire.invoices.service import get_invoice
from quire.outbox.routes import add_email_routes

router = api_router()
public_router = APIRouter()
Session = Annotated[AsyncSession, Depends(session_of)]
Account = Annotated[str, Depends(account_of)]
DELIVERY = ["Delivery (Quire extension)"]
HOSTED = ["Hosted invoice page (Quire extension)"]

# The hosted page holds a bearer token in its URL (core/public_pages.py); no scripts at all.
PAGE_HEADERS = {
    **TOKEN_PAGE_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


add_email_routes(
    router, path="/invoices/{id}", operation="InvoicesById", noun="an invoice", subject_type=emails.SUBJECT_TYPE,
    get=get_invoice, read=email_read, read_model=EmailRead, page_model=EmailPage, tags=DELIVERY,
)


@router.get("/invoices/{id}/hosted-link", response_model=HostedLinkRead, operation_id="getInvoicesByIdHostedLink",
            tags=DELIVERY, summary="The public URL of the invoice's hosted page")
async def get_hosted_link(id: str, session: Session, account: Account) -> HostedLinkRead:
    return _link_read(session, await hosted.current(session, account, id))


@router.post("/invoices/{id}/hosted-link/rotate", response_model=HostedLinkRead,
             operation_id="postInvoicesByIdHostedLinkRotate", tags=DELIVERY,
             summary="Replace the hosted page's token; the previous URL stops working")
async def rotate_hosted_link(id: str, session: Session, account: Account) -> HostedLinkRead:
    return _link_read(session, await hosted.rotate(session, account, id))


def _link_read(session: AsyncSession, link: InvoiceHostedLink) -> HostedLinkRead:
    return HostedLinkRead(invoice_id=link.invoice_id, url=hosted.url_of(settings_of(session), link.token),
                          created_at=link.created_at, rotated_at=link.rotated_at)


def _not_found(request: Request) -> Response:
    """Browsers get a page; API clients get the usual JSON error body."""
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(render("hosted_not_found.html.j2"), status_code=404, headers=PAGE_HEADERS)
    response = error_response(404, "NotFound", "No invoice at this address")
    response.headers.update(PAGE_HEADERS)
    return response


@public_router.get("/i/{token}", response_class=HTMLResponse, tags=HOSTED, operation_id="getHostedInvoicePage",
                   summary="The hosted invoice page (no authentication: the token is the credential)")
async def hosted_page(token: str, request: Request) -> Response:
    async def answer(session: AsyncSession, invoice: Invoice) -> Response:
        context = await hosted.page(session, invoice, token)
        return HTMLResponse(render("hosted_invoice.html.j2", **context), headers=PAGE_HEADERS)

    return await _hosted(request, token, answer)


@public_router.get("/i/{token}/pdf", response_class=Response, tags=HOSTED, operation_id="getHostedInvoicePdf",
                   responses={200: {"content": {"application/pdf": {}}}},
                   summary="The invoice's PDF, as stored when it was issued (or voided)")
async def hosted_pdf(token: str, request: Request) -> Response:
    async def answer(session: AsyncSession, invoice: Invoice) -> Response:
        filename, content = await current_pdf(session, invoice)
        headers = {**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
        return Response(content, media_type="application/pdf", headers=headers)

    return await _hosted(request, token, answer)


async def _hosted(request: Request, token: str, answer: Callable[[AsyncSession, Invoice], Awaitable[Response]]) -> Response:
    """``answer`` for the invoice behind ``token``, in a session of its own; 404 if there is none."""
    async with request.app.state.sessionmaker() as session:
        invoice = await hosted.resolve(session, token)
        if invoice is None:
            return _not_found(request)
        return await answer(session, invoice)
