"""How routes are declared (``ObjectRoutes``) and looked up (``PathIndex``).

``ObjectRoutes`` adds an object's thin endpoints (create, read, update, delete, actions on one id) from one
line each: path, operationId, the endpoint's name (FastAPI's summary: ``get_price`` → "Get Price"), the
body model and the service call. The endpoints are closures over these, built once at import.

``PathIndex``, route lookup by the path's first segment: FastAPI (0.16x) keeps each ``include_router`` as a
nested router that is matched route by route, and matched again once chosen; with ~125 routes that walk was
17% of the CPU of a ``POST /usage-events`` (py-spy, docs/performance.md). ``PathIndex`` is one route that
stands for all of the domains' routes: it buckets them by their first path segment (``/invoices/{id}`` →
``invoices``) and asks only the routes of the request's bucket, in their registration order, so the first-
match-wins and 405 semantics of Starlette's router are kept. The matched route is what ``handle`` runs, and
the OpenAPI document is still built from the flat list of routes.
"""

import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, routing
from fastapi.openapi.utils import get_openapi
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from quire.core.http import Account, Session
from quire.core.pagination import Page, UnsortedPageQuery, present_page

WILDCARD = ""

# (No ``from __future__ import annotations`` in this module: FastAPI reads the annotations of the endpoints
# below, which name the models given to ``ObjectRoutes``.)

#: (session, account id, params=page parameters, **filters) → a page of objects.
Listing = Callable[..., Awaitable[Page[Any]]]
#: (session, account id, body) → the object made.
Create = Callable[[AsyncSession, str, Any], Awaitable[Any]]
#: (session, account id, object id) → the object read, deleted or acted on.
OnId = Callable[[AsyncSession, str, str], Awaitable[Any]]
#: (session, account id, object id, body) → the object updated.
Update = Callable[[AsyncSession, str, str, Any], Awaitable[Any]]


class ObjectRoutes:
    """One kind of object's endpoints on ``router``: each answers ``read`` (the response model), the service
    call's result as ``present`` shows it; ``tags`` and ``extra`` (``add_api_route``'s keywords) for all."""

    def __init__(self, router: APIRouter, tags: list[str], read: Any, present: Callable[[Any], Any],
                 **extra: Any) -> None:
        self.router, self.tags, self.read, self.present, self.extra = router, tags, read, present, extra

    def create(self, path: str, operation_id: str, name: str, model: Any, call: Create, *,
               present: Callable[[Any], Any] | None = None, **extra: Any) -> None:
        """``POST path``: 201 and the object ``call`` makes of the body (a ``model``)."""
        present = present or self.present

        async def endpoint(body: model, session: Session, account: Account) -> Any:  # type: ignore[valid-type]
            return present(await call(session, account, body))

        self._add("POST", path, operation_id, name, endpoint, status_code=201, **extra)

    def update(self, path: str, operation_id: str, name: str, model: Any, call: Update, *, param: str = "id",
               **extra: Any) -> None:
        """``PUT path`` (``…/{id}``): the object ``call`` makes of the one named and the body (a ``model``)."""
        present, Id = self.present, _path_param(param)

        async def endpoint(id: Id, body: model, session: Session, account: Account) -> Any:  # type: ignore[valid-type]
            return present(await call(session, account, id, body))

        self._add("PUT", path, operation_id, name, endpoint, **extra)

    def get(self, path: str, operation_id: str, name: str, call: OnId, **extra: Any) -> None:
        """``GET path`` (``…/{id}``): the object ``call`` reads."""
        self.on_id("GET", path, operation_id, name, call, **extra)

    def delete(self, path: str, operation_id: str, name: str, call: OnId, **extra: Any) -> None:
        """``DELETE path`` (``…/{id}``): the object as ``call`` deleted it."""
        self.on_id("DELETE", path, operation_id, name, call, **extra)

    def on_id(self, method: str, path: str, operation_id: str, name: str, call: OnId, *, param: str = "id",
              present: Callable[[Any], Any] | None = None, **extra: Any) -> None:
        """``method path`` taking only the object's id (the path parameter ``param``): ``call``'s answer."""
        show, Id = present or self.present, _path_param(param)

        async def endpoint(id: Id, session: Session, account: Account) -> Any:  # type: ignore[valid-type]
            return show(await call(session, account, id))

        self._add(method, path, operation_id, name, endpoint, **extra)

    def list(self, path: str, operation_id: str, name: str, page: Any, call: Listing, *,
             query: Any = UnsortedPageQuery, filters: dict[str, Any] | None = None,
             present: Callable[[Any], Any] | None = None, **extra: Any) -> None:
        """``GET path``: ``page`` (the response model) of ``call``'s objects. ``query`` reads the page's
        parameters; ``filters`` are the query parameters after them, in order (keyword → ``Annotated`` type,
        or (type, default); else None), passed to ``call`` by keyword. (Defined last: the name shadows
        ``list`` in the class body.)"""
        present = present or self.present

        async def endpoint(session: Any, account: Any, params: Any, **found: Any) -> Any:
            return present_page(page, await call(session, account, params=params, **found), present)

        fixed = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=t)
                 for n, t in (("session", Session), ("account", Account), ("params", query))]
        more = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=f[0] if type(f) is tuple else f,
                                  default=f[1] if type(f) is tuple else None) for n, f in (filters or {}).items()]
        endpoint.__signature__ = inspect.Signature([*fixed, *more])  # type: ignore[attr-defined]
        self._add("GET", path, operation_id, name, endpoint, response_model=page, **extra)

    def _add(self, method: str, path: str, operation_id: str, name: str, endpoint: Callable[..., Any],
             **extra: Any) -> None:
        self.router.add_api_route(path, endpoint, methods=[method], name=name, operation_id=operation_id,
                                  **{"response_model": self.read, "tags": self.tags, **self.extra, **extra})


def _path_param(param: str) -> Any:
    """``id: str`` in the endpoint, named ``param`` in the path (``billingScheduleId``)."""
    return str if param == "id" else Annotated[str, Path(alias=param)]


def first_segment(path: str) -> str:
    """``/invoices/{id}/finalize`` → ``invoices``; a parameter in the first segment matches anything."""
    segment = path.lstrip("/").split("/", 1)[0]
    return WILDCARD if "{" in segment else segment


class PathIndex(BaseRoute):
    """One route standing for many: a dict lookup on the first segment, then the usual matching."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.routes = list(routes)
        segments = [first_segment(getattr(route, "path", "/{}")) for route in self.routes]
        # Each bucket: its own routes and the wildcard ones, in registration order.
        self._wildcards = [r for r, s in zip(self.routes, segments) if s == WILDCARD]
        self._buckets = {
            segment: [r for r, s in zip(self.routes, segments) if s in (segment, WILDCARD)]
            for segment in set(segments) - {WILDCARD}
        }

    def _candidates(self, scope: Scope) -> list[BaseRoute]:
        path: str = scope.get("path", "/")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        return self._buckets.get(first_segment(path), self._wildcards)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        partial: tuple[Match, Scope] | None = None
        for route in self._candidates(scope):
            match, child_scope = route.matches(scope)
            if match == Match.FULL:
                child_scope.setdefault("route", route)
                return match, child_scope
            if match == Match.PARTIAL and partial is None:
                child_scope.setdefault("route", route)
                partial = (match, child_scope)
        return partial or (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope["route"]
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)


def install_routes(app: FastAPI, routers: Iterable[routing.APIRouter]) -> None:
    """Serve the routers' routes through one ``PathIndex``; keep ``/openapi.json`` describing them all."""
    flat = [route for router in routers for route in router.routes]
    app.router.routes.append(PathIndex(flat))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, description=app.description,
                routes=[*app.router.routes, *flat], openapi_version=app.openapi_version,
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
