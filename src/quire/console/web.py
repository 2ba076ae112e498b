"""The console's request plumbing: one transaction per request (as ``ApiRoute`` opens for the API), the
signed-in user and account checked before any page runs, CSRF on every POST, and the templates.

A page is ``async def page(ctx: Ctx) -> Response`` registered with ``ConsoleRoutes.get``/``post``. Paths under
``/console/a/{account}/`` are refused with 404 unless the signed-in user belongs to ``account``; every
object is then loaded by the domain's own service with that account, so another account's id is a 404 too.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from quire.config import active_settings
from quire.console import auth
from quire.core.db import sqlite_write_transaction
from quire.core.errors import NotFound, PayloadTooLarge

PREFIX = "/console"
#: Longer form bodies are refused (the largest console form is a customer's, well under this).
MAX_FORM = 64 * 1024

HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
        "frame-src 'self'; object-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    ),
}


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("quire.console", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["qs"] = lambda params: urllib.parse.urlencode({k: v for k, v in params.items() if v})
    return env


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(environment().get_template(name).render(**context), status_code=status, headers=HEADERS)


@asynccontextmanager
async def transaction(request: Request, write: bool) -> AsyncIterator[AsyncSession]:
    """A session in one transaction, as ``ApiRoute`` opens them: on SQLite a write takes the process's
    write lock and ``BEGIN IMMEDIATE``. The caller commits; leaving without commit rolls back."""
    token = sqlite_write_transaction.set(write)
    settings_token = active_settings.set(request.app.state.settings)
    lock = request.app.state.write_lock if write else None
    try:
        async with lock or nullcontext(), request.app.state.sessionmaker() as session:
            yield session
    finally:
        sqlite_write_transaction.reset(token)
        active_settings.reset(settings_token)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the only kind the console's forms send but the file
    upload's); a repeated name keeps its last value, except names ending in ``[]``, whose values are
    joined with newlines."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_FORM:
        return {}
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    return _form_fields(body)


def _form_fields(body: bytes) -> dict[str, str]:
    form: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        if name.endswith("[]") and name in form:
            form[name] += "\n" + value
        else:
            form[name] = value
    return form


Files = dict[str, tuple[str | None, bytes]]


async def read_upload(request: Request, limit: int) -> tuple[dict[str, str], Files] | None:
    """A ``multipart/form-data`` body (a form with a file): its text fields and its files (name →
    (filename, bytes)), parsed by the API's CSV upload's reader; a urlencoded body gives fields only.
    None when the body is larger than ``limit`` (the API's ``QUIRE_MAX_BODY_BYTES``): the core middleware
    leaves console paths to answer that with a page (quire.core.http.EdgeMiddleware)."""
    from quire.usage.uploads import form_parts

    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return None
    try:
        body = await request.body()
    except PayloadTooLarge:
        return None
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        return _form_fields(body[:MAX_FORM]), {}
    parts = form_parts(content_type, body)
    fields = {name: data.decode("utf-8", "replace") for name, (filename, data) in parts.items() if filename is None}
    return fields, {name: part for name, part in parts.items() if part[0] is not None}


def size_text(size: int) -> str:
    return f"{size / 1024 / 1024:g} MiB" if size >= 1024 * 1024 else f"{size / 1024:g} KiB"


def same_origin(request: Request) -> bool:
    """A POST whose ``Origin`` (browsers send it on every POST) names another site is refused."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    parsed = urllib.parse.urlsplit(origin)
    return parsed.netloc == request.headers.get("host", "")


@dataclass
class Ctx:
    """What a console page gets: the request, its transaction, the signed-in user and the current account."""

    request: Request
    session: AsyncSession
    signed: auth.Signed
    account_id: str
    form: dict[str, str] = field(default_factory=dict)
    files: Files = field(default_factory=dict)  # a form with a file (``ConsoleRoutes.upload``)

    @property
    def params(self) -> dict[str, str]:
        return self.request.path_params

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params)

    def url(self, path: str = "", **query: Any) -> str:
        base = f"{PREFIX}/a/{self.account_id}{path}"
        wanted = {k: v for k, v in query.items() if v not in (None, "")}
        return f"{base}?{urllib.parse.urlencode(wanted)}" if wanted else base

    def page(self, template: str, title: str, status: int = 200, **context: Any) -> HTMLResponse:
        account_name = next((n for a, n in self.signed.accounts if a == self.account_id), "")
        return render(template, status, title=title, ctx=self, user=self.signed.user, accounts=self.signed.accounts,
                      account_id=self.account_id, account_name=account_name, csrf=self.signed.session.csrf_token,
                      base=self.url(), **context)

    def redirect(self, path: str = "", **query: Any) -> RedirectResponse:
        return RedirectResponse(self.url(path, **query), status_code=303, headers=HEADERS)


def not_found(signed: auth.Signed | None = None) -> HTMLResponse:
    return render("not_found.html", 404, title="Not found", signed=signed)


Page = Callable[[Ctx], Awaitable[Response]]


class ConsoleRoutes:
    """The console's routes, each wrapped in the session, account and CSRF checks."""

    def __init__(self) -> None:
        self.router = APIRouter(include_in_schema=False)

    def get(self, path: str) -> Callable[[Page], Page]:
        return self._add(path, "GET")

    def post(self, path: str) -> Callable[[Page], Page]:
        return self._add(path, "POST")

    def upload(self, path: str) -> Callable[[Page], Page]:
        """A POST of a form with a file (multipart/form-data): ``ctx.files``, CSRF from its ``csrf`` part."""
        return self._add(path, "POST", upload=True)

    def _add(self, path: str, method: str, upload: bool = False) -> Callable[[Page], Page]:
        def register(page: Page) -> Page:
            async def endpoint(request: Request) -> Response:
                return await _serve(request, page, write=method == "POST", upload=upload)

            endpoint.__name__ = f"console_{page.__name__}"
            self.router.add_api_route(PREFIX + path, endpoint, methods=[method], include_in_schema=False)
            # A literal segment wins over a parameter wherever it is registered: ``/plans/new`` before
            # ``/plans/{id}`` (the sort is stable, so routes of the same shape keep their order).
            self.router.routes.sort(key=lambda r: _shape(getattr(r, "path", "")))
            return page

        return register


def _shape(path: str) -> tuple[bool, ...]:
    return tuple(segment.startswith("{") for segment in path.split("/"))


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = urllib.parse.urlencode({"next": target}) if request.method == "GET" else ""
    return RedirectResponse(f"{PREFIX}/sign-in" + (f"?{query}" if query else ""), status_code=303, headers=HEADERS)


async def _serve(request: Request, page: Page, write: bool, upload: bool = False) -> Response:
    token = request.cookies.get(auth.COOKIE)
    async with transaction(request, write=False) as session:
        signed = await auth.load(session, token)
    if signed is None:
        return sign_in_redirect(request)
    if auth.needs_touch(signed.session):
        async with transaction(request, write=True) as session:
            await auth.touch(session, signed.session.id)
            await session.commit()
    form: dict[str, str] = {}
    files: Files = {}
    if upload:
        limit = request.app.state.settings.max_body_bytes
        read = await read_upload(request, limit)
        if read is None:  # nothing was read or changed: no CSRF token to check
            return render("error.html", 413, title="File too large", signed=signed,
                          message=f"The file is larger than {size_text(limit)}, the most the console accepts "
                                  "(QUIRE_MAX_BODY_BYTES). Go back and choose a smaller file, or split it.")
        form, files = read
    elif write:
        form = await read_form(request)
    if write and (not same_origin(request) or not auth.same_token(form.get("csrf"), signed.session.csrf_token)):
        return render("error.html", 403, title="Form expired", signed=signed,
                      message="This form has expired or did not come from the console. Go back, reload the "
                              "page and try again.")
    account_id = request.path_params.get("account", "")
    if "account" in request.path_params and not signed.member_of(account_id):
        return not_found(signed)
    if not account_id:
        account_id = signed.accounts[0][0] if signed.accounts else ""
    async with transaction(request, write=write) as session:
        ctx = Ctx(request, session, signed, account_id, form, files)
        try:
            response = await page(ctx)
        except NotFound:
            await session.rollback()
            return not_found(signed)
        if write and response.status_code < 400:
            await session.commit()
        else:
            await session.rollback()
        return response
