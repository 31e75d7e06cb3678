"""The console's FastAPI application: `create_app(settings)` builds one with no global state."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from console.feed import AlertFeed
from console.handlers import install_error_handlers
from console.pages import STATIC, make_templates
from console.routes import ROUTERS
from console.webhook_worker import WebhookWorker
from platewatch.settings import Settings
from store.db import make_engine, make_session_factory

# No inline script or style on our pages: an injected tag cannot run.
CSP = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    feed: AlertFeed = app.state.feed
    poller = asyncio.create_task(feed.run(), name="alert-feed")
    worker: WebhookWorker | None = app.state.webhook_worker
    if worker is not None:
        worker.start()
    try:
        yield
    finally:
        feed.close()
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        if worker is not None:
            await asyncio.to_thread(worker.stop)
        app.state.engine.dispose()


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    docs = request.url.path in ("/docs", "/redoc")
    response.headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.url.path.startswith("/api/") or "text/html" in response.headers.get(
        "content-type", ""
    ):
        # Plates and images must not linger in shared caches or the back-button cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def create_app(settings: Settings, *, webhooks: bool = True) -> FastAPI:
    """The console app; `webhooks=False` leaves the delivery worker to another process."""
    app = FastAPIOffline(
        title="platewatch console",
        version="1",
        summary="Officer alerts, residents' safe lists and oversight for platewatch.",
        lifespan=_lifespan,
        static_url="/static/docs",
    )
    engine = make_engine(settings.effective_database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.templates = make_templates()
    app.state.feed = AlertFeed(app.state.session_factory, settings.console.feed_poll_ms / 1000)
    app.state.webhook_worker = (
        WebhookWorker(app.state.session_factory, settings.console) if webhooks else None
    )
    app.middleware("http")(_security_headers)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app
