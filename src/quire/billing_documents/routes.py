"""The line item and line item group endpoints of a kind, added to its router by ``add_line_routes``.

Each kind keeps its contract to the letter: its paths (``/invoices/{invoice}/line-items``), path
parameter name, operation ids, tags and wire models are given here; the endpoints behind them are the
same. (No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations, which
name the kind's models.)
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents import lines
from quire.billing_documents.kind import Kind
from quire.core.http import Account, Session
from quire.core.pagination import PageParams, ascending_page_params, present_page

#: (session, account id, document id, body) → (document, line or group): a kind's own write.
Write = Callable[[AsyncSession, str, str, Any], Awaitable[tuple[Any, Any]]]
#: (session, account id, document id, line id, body) → (document, line).
Rewrite = Callable[[AsyncSession, str, str, str, Any], Awaitable[tuple[Any, Any]]]


@dataclass(frozen=True)
class LineWire:
    """A kind's wire models of lines and groups, and how a row is presented in them."""

    line_create: type[BaseModel]
    line_update: type[BaseModel]
    line_read: type[BaseModel]
    line_page: type[BaseModel]
    group_create: type[BaseModel]
    group_update: type[BaseModel]
    group_read: type[BaseModel]
    group_page: type[BaseModel]
    present_line: Callable[[Any, str], BaseModel]
    present_group: Callable[[Any, str], BaseModel]


def add_line_routes(
    router: APIRouter, kind: Kind[Any, Any, Any], wire: LineWire, *, path: str, param: str, operation: str,
    tags: list[str], add_line: Write, update_line: Rewrite, add_group: Write,
) -> None:
    """``path`` is the document's route with its parameter (``/invoices/{invoice}``), ``param`` that
    parameter's name, ``operation`` its part of the operation ids (``InvoicesByInvoice``)."""
    Document = Annotated[str, Path(alias=param)]
    Params = Annotated[PageParams, Depends(ascending_page_params)]
    w = wire

    async def get_lines(document: Document, session: Session, account: Account, params: Params) -> Any:
        doc, page = await lines.list_lines(session, kind, account, document, params)
        return present_page(w.line_page, page, lambda item: w.present_line(item, doc.currency))

    async def post_line(document: Document, body: w.line_create, session: Session, account: Account) -> Any:  # type: ignore[name-defined]
        doc, item = await add_line(session, account, document, body)
        return w.present_line(item, doc.currency)

    async def put_line(document: Document, id: str, body: w.line_update, session: Session, account: Account) -> Any:  # type: ignore[name-defined]
        doc, item = await update_line(session, account, document, id, body)
        return w.present_line(item, doc.currency)

    async def delete_line(document: Document, id: str, session: Session, account: Account) -> Any:
        doc, item = await lines.delete_line(session, kind, account, document, id)
        return w.present_line(item, doc.currency)

    async def get_groups(document: Document, session: Session, account: Account, params: Params) -> Any:
        doc, page = await lines.list_groups(session, kind, account, document, params)
        return present_page(w.group_page, page, lambda group: w.present_group(group, doc.currency))

    async def post_group(document: Document, body: w.group_create, session: Session, account: Account) -> Any:  # type: ignore[name-defined]
        doc, group = await add_group(session, account, document, body)
        return w.present_group(group, doc.currency)

    async def put_group(document: Document, id: str, body: w.group_update, session: Session, account: Account) -> Any:  # type: ignore[name-defined]
        doc, group = await lines.update_group(session, kind, account, document, id, title=body.title,
                                              description=body.description)
        return w.present_group(group, doc.currency)

    async def delete_group(document: Document, id: str, session: Session, account: Account) -> Any:
        doc, group = await lines.delete_group(session, kind, account, document, id)
        return w.present_group(group, doc.currency)

    for endpoint, method, suffix, status, model, name in (
        (get_lines, "GET", "/line-items", 200, w.line_page, "LineItems"),
        (post_line, "POST", "/line-items", 201, w.line_read, "LineItems"),
        (put_line, "PUT", "/line-items/{id}", 200, w.line_read, "LineItemsById"),
        (delete_line, "DELETE", "/line-items/{id}", 200, w.line_read, "LineItemsById"),
        (get_groups, "GET", "/line-item-groups", 200, w.group_page, "LineItemGroups"),
        (post_group, "POST", "/line-item-groups", 201, w.group_read, "LineItemGroups"),
        (put_group, "PUT", "/line-item-groups/{id}", 200, w.group_read, "LineItemGroupsById"),
        (delete_group, "DELETE", "/line-item-groups/{id}", 200, w.group_read, "LineItemGroupsById"),
    ):
        router.add_api_route(
            path + suffix, endpoint, methods=[method], status_code=status, response_model=model,
            operation_id=f"{method.lower()}{operation}{name}", tags=tags,
        )
