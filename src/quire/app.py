"""The ASGI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from quire import __version__
from quire.config import Settings, get_settings
from quire.core.db import make_engine, make_sessionmaker
from quire.core.idempotency import purge_forever
from quire.core.http import EdgeMiddleware, install_error_handlers
from quire.core.routing import install_routes
from quire.core.runtime import BACKGROUND, Background, configure_sessions
from quire.core.versioning import LATEST_VERSION
from quire.documents import shutdown as shutdown_render_pool
from quire.accounts.router import router as accounts_router
from quire.catalogue.router import router as catalogue_router
from quire.customers.router import router as customers_router
from quire.invoices.router import router as invoices_router
from quire.invoices.delivery.router import public_router as hosted_router
from quire.invoices.delivery.router import router as delivery_router
from quire.outbox.dispatcher import start_outbox
from quire.tax.router import router as tax_router
from quire.creditnotes.router import router as creditnotes_router
from quire.usage.fastpath import EventWriter, UsageEventFastPath
from quire.usage.router import router as usage_router
from quire.seats.router import router as seats_router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        app.state.event_writer = EventWriter(engine) if app.state.write_lock is None else None
        app.state.outbox = start_outbox(app.state.sessionmaker, settings, app.state.write_lock)
        app.state.background = Background(app.state.sessionmaker, app.state.write_lock)
        configure_sessions(app.state.sessionmaker, settings, **{BACKGROUND: app.state.background})
        ttl = timedelta(hours=settings.idempotency_ttl_hours)
        purge = asyncio.create_task(purge_forever(app.state.sessionmaker, ttl), name="quire-idempotency-purge")
        yield
        await app.state.background.drain()
        await app.state.outbox.stop()
        purge.cancel()
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
        docs_url="/docs",
        redoc_url=None,
        telemetry=None if settings.opentelemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(UsageEventFastPath)  # inside EdgeMiddleware: versions and the body limit apply
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.max_body_bytes)
    install_routes(app, (customers_router, invoices_router, catalogue_router, delivery_router, hosted_router,
                         tax_router, creditnotes_router, usage_router, seats_router, accounts_router))

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
