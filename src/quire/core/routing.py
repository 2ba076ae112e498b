"""Route lookup by the path's first segment.

FastAPI (0.16x) keeps each ``include_router`` as a nested router that is matched route by route, and
matched again once chosen; with ~125 routes that walk was 17% of the CPU of a ``POST /usage-events``
(py-spy, docs/performance.md). ``PathIndex`` is one route that stands for all of the domains' routes:
it buckets them by their first path segment (``/invoices/{id}`` → ``invoices``) and asks only the
routes of the request's bucket, in their registration order, so the first-match-wins and 405
semantics of Starlette's router are kept. The matched route is what ``handle`` runs, and the OpenAPI
document is still built from the flat list of routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, routing
from fastapi.openapi.utils import get_openapi
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

WILDCARD = ""


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
