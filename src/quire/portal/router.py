"""The portal-link extension (authenticated API, tag "Customer portal (Quire extension)") and the portal's
pages under ``/portal/{token}`` (public: the token is the credential; left out of /openapi.json).

Every page answers a wrong, rotated-away or disabled token, a customer whose account turned the portal
off the same 404, which says nothing about why (docs/portal.md).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from quire.config import active_settings
from quire.core.http import Account, Session, api_router, error_response
from quire.core.public_pages import TOKEN_PAGE_HEADERS
from quire.core.runtime import settings_of
from quire.core.templates import render
from quire.portal import links, pages
from quire.portal.links import LinkState, PortalOwner
from quire.portal.schemas import PortalLinkIssued, PortalLinkRead

router = api_router(tags=["Customer portal (Quire extension)"])
pages_router = APIRouter(include_in_schema=False)


def _read(state: LinkState) -> PortalLinkRead:
    link = state.link
    return PortalLinkRead(customer_id=state.customer_id, enabled=state.live, customer_portal_enabled=state.portal_enabled,
                          created_at=link.created_at if link else None, changed_at=link.changed_at if link else None)


@router.get("/customers/{id}/portal-link", response_model=PortalLinkRead, operation_id="getCustomersByIdPortalLink",
            summary="Whether the customer's portal link works (its URL is shown only when rotated)")
async def get_portal_link(id: str, session: Session, account: Account) -> PortalLinkRead:
    return _read(await links.state(session, account, id))


@router.post("/customers/{id}/portal-link/rotate", response_model=PortalLinkIssued,
             operation_id="postCustomersByIdPortalLinkRotate",
             summary="Issue a new portal URL for the customer; the previous one stops working")
async def rotate_portal_link(id: str, session: Session, account: Account) -> PortalLinkIssued:
    state = await links.rotate(session, account, id)
    assert state.token is not None
    return PortalLinkIssued(**dict(_read(state)), url=links.url_of(settings_of(session), state.token))


@router.post("/customers/{id}/portal-link/disable", response_model=PortalLinkRead,
             operation_id="postCustomersByIdPortalLinkDisable",
             summary="Turn the customer's portal link off; rotating issues a new one")
async def disable_portal_link(id: str, session: Session, account: Account) -> PortalLinkRead:
    return _read(await links.disable(session, account, id))


# --- the pages ------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _style(accent: str) -> tuple[Markup, str]:
    """The page's stylesheet (inline) and the CSP source that allows exactly it: its SHA-256."""
    css = render("portal.css.j2", accent=accent)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return Markup(css), f"'sha256-{digest}'"  # noqa: S704 - our own stylesheet; the accent is #RRGGBB


def _headers(style_source: str) -> dict[str, str]:
    """No script may run, and the only style is the page's own (no 'unsafe-inline')."""
    return {**TOKEN_PAGE_HEADERS, "Content-Security-Policy": (
        f"default-src 'none'; style-src {style_source}; img-src https:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")}


def _not_found(request: Request) -> Response:
    if "text/html" in request.headers.get("accept", ""):
        css, source = _style("#0a5c73")
        return HTMLResponse(render("portal_not_found.html.j2", style=css), status_code=404, headers=_headers(source))
    response = error_response(404, "NotFound", "Not found")
    response.headers.update(_headers("'none'"))
    return response


Build = Callable[[AsyncSession, PortalOwner], Awaitable[dict[str, Any]]]


async def _page(request: Request, token: str, section: str, template: str, build: Build) -> Response:
    """The page for the owner of ``token``, in a read-only session of its own; else the 404."""
    settings_token = active_settings.set(request.app.state.settings)
    try:
        async with request.app.state.sessionmaker() as session:
            owner = await links.resolve(session, token)
            if owner is None:
                return _not_found(request)
            context = {**pages.frame(owner, section), **await build(session, owner)}
    finally:
        active_settings.reset(settings_token)
    css, source = _style(context["accent"])
    return HTMLResponse(render(template, style=css, **context), headers=_headers(source))


@pages_router.get("/portal/{token}", response_class=HTMLResponse)
async def portal_invoices(token: str, request: Request) -> Response:
    return await _page(request, token, "invoices", "portal_invoices.html.j2", pages.invoices_page)


@pages_router.get("/portal/{token}/credits", response_class=HTMLResponse)
async def portal_credits(token: str, request: Request) -> Response:
    return await _page(request, token, "credits", "portal_credits.html.j2", pages.credits_page)


@pages_router.get("/portal/{token}/usage", response_class=HTMLResponse)
async def portal_usage(token: str, request: Request) -> Response:
    return await _page(request, token, "usage", "portal_usage.html.j2", pages.usage_page)
