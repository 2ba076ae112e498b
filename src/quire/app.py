"""The ASGI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from quire import __version__
from quire.config import Settings, get_settings
from quire.core.db import make_engine, make_sessionmaker
from quire.core.idempotency import purge_forever
from quire.core.http import ApiRoute, EdgeMiddleware, install_error_handlers
from quire.core.routing import install_routes
from quire.core.runtime import BACKGROUND, Background, configure_sessions
from quire.core.versioning import LATEST_VERSION
from quire.documents import shutdown as shutdown_render_pool
from quire.accounts.router import router as accounts_router
from quire.catalogue.router import router as catalogue_router
from quire.billing.router import router as billing_router
from quire.customers.router import router as customers_router
from quire.invoices.router import router as invoices_router
from quire.invoices.delivery.router import public_router as hosted_router
from quire.invoices.delivery.router import router as delivery_router
from quire.jobs import start_in_process
from quire.jobs.giveway import RequestGate, RequestsInFlight, max_wait_from_env
from quire.tax.router import router as tax_router
from quire.creditnotes.router import router as creditnotes_router
from quire.credits.router import router as credits_router
from quire.usage.fastpath import EventWriter, UsageEventFastPath
from quire.usage.router import router as usage_router
from quire.notifications.extensions import router as notification_extensions_router
from quire.notifications.router import router as notifications_router
from quire.portal.router import pages_router as portal_pages_router
from quire.portal.router import router as portal_router
from quire.seats.router import router as seats_router
from quire.schedules.router import router as schedules_router
from quire.users.router import router as users_router
from quire.console.pages import install as install_console


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        app.state.event_writer = EventWriter(engine) if app.state.write_lock is None else None
        app.state.jobs = await start_in_process(engine, app.state.sessionmaker, settings, app.state.write_lock,
                                                app.state.requests)
        app.state.background = Background(app.state.sessionmaker, app.state.write_lock)
        configure_sessions(app.state.sessionmaker, settings, **{BACKGROUND: app.state.background})
        ttl = timedelta(hours=settings.idempotency_ttl_hours)
        purge = asyncio.create_task(purge_forever(app.state.sessionmaker, ttl), name="quire-idempotency-purge")
        yield
        await app.state.background.drain()
        await app.state.jobs.stop()
        purge.cancel()
        with suppress(asyncio.CancelledError):
            await purge  # a purge under way finishes before the engine goes (core/cancellation.py)
        if app.state.event_writer is not None:
            await app.state.event_writer.close()
        await asyncio.to_thread(shutdown_render_pool)  # the PDF render processes (started at the first render)
        await engine.dispose()

    app = FastAPI(
        title="Quire",
        version=__version__,
        summary=f"Self-hostable billing API, wire-compatible with Sequence's API version {LATEST_VERSION}",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # served by install_docs, from files installed with Quire
        redoc_url=None,
        telemetry=None if settings.opentelemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(UsageEventFastPath)  # inside EdgeMiddleware: versions and the body limit apply
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.max_body_bytes)
    app.state.requests = RequestGate(max_wait_from_env())
    app.add_middleware(RequestsInFlight, gate=app.state.requests)  # outermost: the in-process worker gives way

    # First of all routes: the router tries them in order, and behind the ~300 API and console routes a
    # health probe cost 111 us of CPU in process instead of 35 us (bench's GET /health ceiling halved).
    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    routers = (customers_router, invoices_router, catalogue_router, delivery_router, hosted_router,
               tax_router, creditnotes_router, usage_router, seats_router, accounts_router)
    routers += (schedules_router,)
    routers += (credits_router,)
    routers += (billing_router,)
    routers += (notifications_router, notification_extensions_router)
    routers += (users_router,)
    routers += (portal_router, portal_pages_router)  # the customer portal (docs/portal.md)
    install_routes(app, routers)
    install_docs(app, routers)
    install_console(app)  # /console: server-rendered pages, not in /openapi.json (docs/console.md)
    return app


#: Swagger UI's dist files (swagger-ui-bundle.js, swagger-ui.css), as the ``fastapi-offline`` package ships
#: them: ``/docs`` works with no network (FastAPI's default page loads them from a CDN).
SWAGGER_UI_FILES = files("fastapi_offline") / "static"
DOCS_ASSETS = "/docs/assets"
BASIC_AUTH = "basicAuth"


def install_docs(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """``/docs`` (Swagger UI) from local assets, and an ``/openapi.json`` that declares HTTP Basic
    (``clientId:clientSecret``) on every authenticated operation, so "Authorize" / "Try it out" work."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(SWAGGER_UI_FILES)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            # No badge fetched from validator.swagger.io; the typed credentials survive a reload.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )

    authenticated = [
        (route.path_format, method.lower())
        for router in routers for route in router.routes
        if isinstance(route, ApiRoute) and route.include_in_schema for method in route.methods
    ]
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        if BASIC_AUTH not in schemes:  # the schema is built once and cached: declare once
            schemes[BASIC_AUTH] = {
                "type": "http", "scheme": "basic",
                "description": "An API credential: the client id as user name, the client secret as password "
                               "(`quire accounts create`; `make run` saves the demo account's in .quire-demo.json).",
            }
            for path, method in authenticated:
                operation = schema.get("paths", {}).get(path, {}).get(method)
                if operation is not None:
                    operation["security"] = [{BASIC_AUTH: []}]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
