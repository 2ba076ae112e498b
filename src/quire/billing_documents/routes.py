"""The endpoints every kind has, added to its router: ``add_document_routes`` (create, read, update,
delete, download, the lifecycle actions) and ``add_line_routes`` (line items and line item groups).

Each kind keeps its contract to the letter: its paths, path parameter names, operation ids, summaries,
tags and wire models are given here; the endpoints behind them are the same. A kind's list endpoint (its
own filters) and its own operations stay in its router. (No ``from __future__ import annotations`` here:
FastAPI reads the endpoints' annotations, which name the kind's models.)
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents import lines
from quire.billing_documents.kind import Kind
from quire.core.errors import ValidationFailed
from quire.core.http import Account, Session
from quire.core.pagination import PageParams, ascending_page_params, present_page
from quire.core.schemas import IsoDate

#: (session, account id, document id) → the document (read or deleted).
OnDocument = Callable[[AsyncSession, str, str], Awaitable[Any]]
#: (session, account id, document id, format) → (filename, media type, bytes).
Download = Callable[[AsyncSession, str, str, str], Awaitable[tuple[str, str, bytes]]]
#: (session, account id, document id, body) → (document, line or group): a kind's own write.
Write = Callable[[AsyncSession, str, str, Any], Awaitable[tuple[Any, Any]]]
#: (session, account id, document id, line id, body) → (document, line).
Rewrite = Callable[[AsyncSession, str, str, str, Any], Awaitable[tuple[Any, Any]]]


# --- the list's filters every kind has ------------------------------------------------------------

CustomerFilter = Annotated[str | None, Query(alias="customerId", max_length=64)]
SentBefore = Annotated[IsoDate | None, Query(alias="sentBefore")]
SentAfter = Annotated[IsoDate | None, Query(alias="sentAfter")]


def listed(value: str | None, allowed: tuple[str, ...], name: str) -> list[str]:
    """``a,b`` in the query parameter ``name``: trimmed, empty items ignored, each one of ``allowed`` (else
    400 naming the parameter)."""
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    for item in items:
        if item not in allowed:
            raise ValidationFailed(f"{name}: {item!r} is not one of {', '.join(allowed)}", field=name)
    return items


@dataclass(frozen=True)
class Wire:
    """A kind's wire models (request bodies, responses, pages) and how its rows are presented in them."""

    create: type[BaseModel]
    update: type[BaseModel]
    read: type[BaseModel]
    present: Callable[[Any], BaseModel]
    line_create: type[BaseModel]
    line_update: type[BaseModel]
    line_read: type[BaseModel]
    line_page: type[BaseModel]
    present_line: Callable[[Any, str], BaseModel]
    group_create: type[BaseModel]
    group_update: type[BaseModel]
    group_read: type[BaseModel]
    group_page: type[BaseModel]
    present_group: Callable[[Any, str], BaseModel]


def add_document_routes(
    router: APIRouter, wire: Wire, *, path: str, operation: str, names: tuple[str, str], tags: list[str],
    create: Callable[[AsyncSession, str, Any], Awaitable[Any]], get: OnDocument,
    update: Callable[[AsyncSession, str, str, Any], Awaitable[Any]], delete: OnDocument, download: Download,
    download_help: str, transition: Callable[[AsyncSession, str, str, Any], Awaitable[Any]],
    actions: Iterable[StrEnum], patch: bool = False,
) -> None:
    """``path`` is the collection (``/invoices``), ``operation`` its part of the operation ids (``Invoices``),
    ``names`` the singular and plural of the endpoints' names (``invoice``, ``invoices``: "Get Invoice"),
    ``actions`` the kind's lifecycle actions that ``transition`` applies (``finalize-and-send`` →
    ``POST …/{id}/finalize-and-send``)."""
    w, (one, many) = wire, names
    Format = Annotated[Literal["pdf", "ubl", "facturx"], Query(description=download_help)]

    async def post_document(body: w.create, session: Session, account: Account) -> Any:  # type: ignore[name-defined]
        return w.present(await create(session, account, body))

    async def get_document(id: str, session: Session, account: Account) -> Any:
        return w.present(await get(session, account, id))

    async def put_document(id: str, body: w.update, session: Session, account: Account) -> Any:  # type: ignore[name-defined]
        return w.present(await update(session, account, id, body))

    async def delete_document(id: str, session: Session, account: Account) -> Any:
        return w.present(await delete(session, account, id))

    async def download_document(id: str, session: Session, account: Account, format: Format = "pdf") -> Response:
        filename, media_type, content = await download(session, account, id, format)
        return Response(content, media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    def add(endpoint: Callable[..., Any], method: str, suffix: str, name: str, op: str, **extra: Any) -> None:
        router.add_api_route(path + suffix, endpoint, methods=[method], name=name, operation_id=op, tags=tags,
                             **{"response_model": w.read, **extra})

    add(post_document, "POST", "", f"post_{many}", f"post{operation}", status_code=201)
    add(get_document, "GET", "/{id}", f"get_{one}", f"get{operation}ById")
    add(put_document, "PUT", "/{id}", f"put_{one}", f"put{operation}ById")
    if patch:
        add(put_document, "PATCH", "/{id}", f"patch_{one}", f"patch{operation}ById")
    add(delete_document, "DELETE", "/{id}", f"delete_{one}", f"delete{operation}ById")
    add(download_document, "GET", "/{id}/download", f"download_{one}", f"get{operation}ByIdDownload",
        response_model=None, response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
    for action in actions:
        add(_action_endpoint(transition, action, w.present), "POST", f"/{{id}}/{action.value}",
            action.value.replace("-", "_"), f"post{operation}ById{action.value.title().replace('-', '')}")


def _action_endpoint(transition: Callable[[AsyncSession, str, str, Any], Awaitable[Any]], action: StrEnum,
                     present: Callable[[Any], BaseModel]) -> Callable[..., Awaitable[Any]]:
    async def endpoint(id: str, session: Session, account: Account) -> Any:
        return present(await transition(session, account, id, action))
    return endpoint


def add_line_routes(
    router: APIRouter, kind: Kind[Any, Any, Any], wire: Wire, *, path: str, param: str, operation: str,
    tags: list[str], add_line: Write, update_line: Rewrite, add_group: Write | None = None,
) -> None:
    """``path`` is the document's route with its parameter (``/invoices/{invoice}``), ``param`` that
    parameter's name, ``operation`` its part of the operation ids (``InvoicesByInvoice``). ``add_line`` and
    ``update_line`` are the kind's; ``add_group`` too when it has rules of its own (else the core's)."""
    Document = Annotated[str, Path(alias=param)]
    Params = Annotated[PageParams, Depends(ascending_page_params)]
    w = wire

    async def get_lines(document: Document, session: Session, account: Account, params: Params) -> Any:
        doc, page = await lines.list_parts(session, kind, account, document, params)
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
        doc, page = await lines.list_parts(session, kind, account, document, params, group=True)
        return present_page(w.group_page, page, lambda group: w.present_group(group, doc.currency))

    async def post_group(document: Document, body: w.group_create, session: Session, account: Account) -> Any:  # type: ignore[name-defined]
        if add_group is not None:
            doc, group = await add_group(session, account, document, body)
        else:
            doc, group = await lines.add_group(session, kind, account, document, title=body.title,
                                               description=body.description)
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
