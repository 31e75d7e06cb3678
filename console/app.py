"""The console's FastAPI application: `create_app(settings)` builds one with no global state."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.camera_health import CameraHealthCollector
from console.feed import AlertFeed
from console.handlers import install_error_handlers
from console.health_worker import HealthWorker
from console.imports import ImportRunner
from console.pages import STATIC, make_templates
from console.push_worker import PushWorker
from console.routes import ROUTERS
from console.routes.docs import DOCS_PATHS, install_docs
from console.routes.ops import metrics_registry, start_metrics_listener
from console.settings import ConsoleSections
from console.wakeup import PgWakeup, SqliteWakeup
from console.webhook_worker import WebhookWorker
from store.checkpoints import CheckpointError, publish_checkpoints
from store.db import make_engine, make_session_factory
from store.signing import CheckpointKeyError

log = logging.getLogger(__name__)

# No inline script or style on our pages: an injected tag cannot run.
CSP = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
)


async def _checkpoint_every(app: FastAPI, interval_s: float) -> None:
    """Sign the chains' heads every interval (the first one interval after start-up)."""
    settings: ConsoleSections = app.state.settings
    while True:
        await asyncio.sleep(interval_s)
        try:
            await asyncio.to_thread(
                publish_checkpoints, app.state.engine, settings.checkpoint_paths()
            )
        except (CheckpointError, CheckpointKeyError, OSError, SQLAlchemyError):
            # Loud but not fatal: `platewatch audit verify` says what is wrong.
            log.exception("hourly checkpoint not signed")


def _feed_wakeup(app: FastAPI, feed: AlertFeed) -> PgWakeup | SqliteWakeup | None:
    url = app.state.engine.url
    if url.get_backend_name() == "postgresql":
        return PgWakeup(url, feed.wake)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        check_s = app.state.settings.console.feed_wake_check_ms / 1000
        return SqliteWakeup(Path(url.database), feed.wake, check_s)
    return None


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    feed: AlertFeed = app.state.feed
    try:
        await asyncio.to_thread(feed.start_from_now)
    except SQLAlchemyError:
        # The poller keeps trying; the console still serves its pages meanwhile.
        log.warning("alert feed could not read the database at start-up", exc_info=True)
    runner: ImportRunner = app.state.import_runner
    try:
        await asyncio.to_thread(runner.recover)
    except SQLAlchemyError:
        log.warning("import jobs cut short by a restart could not be marked", exc_info=True)
    poller = asyncio.create_task(feed.run(), name="alert-feed")
    wakeup = _feed_wakeup(app, feed)
    if wakeup is not None:
        wakeup.start()
    app.state.wakeup = wakeup
    interval = app.state.settings.audit.checkpoint_interval_s
    tasks = [poller]
    if interval > 0:
        tasks.append(asyncio.create_task(_checkpoint_every(app, interval), name="checkpoints"))
    # Background threads beside the server: webhook deliveries, pushes, camera health checks.
    workers: list[WebhookWorker | PushWorker | HealthWorker] = [
        w
        for w in (app.state.webhook_worker, app.state.push_worker, app.state.health_worker)
        if w is not None
    ]
    for worker in workers:
        worker.start()
    settings: ConsoleSections = app.state.settings
    listener = start_metrics_listener(settings.console.metrics_bind, app.state.metrics_registry)
    try:
        yield
    finally:
        if listener is not None:
            listener.shutdown()
            listener.server_close()
        if wakeup is not None:
            await asyncio.to_thread(wakeup.stop)
        feed.close()
        runner.shutdown()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for worker in workers:
            await asyncio.to_thread(worker.stop)
        app.state.engine.dispose()


class SecurityHeaders:
    """Adds CSP and friends to every response. Pure ASGI, so event streams pass untouched
    (a BaseHTTPMiddleware would buffer them through a memory channel)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault(
                    "Content-Security-Policy", DOCS_CSP if path in DOCS_PATHS else CSP
                )
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                if path.startswith("/api/") or "text/html" in headers.get("content-type", ""):
                    # Plates and images must not linger in shared or back-button caches.
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: ConsoleSections, *, webhooks: bool = True) -> FastAPI:
    """The console app; `webhooks=False` leaves the delivery worker to another process."""
    app = FastAPI(
        title="platewatch console",
        version="1",
        summary="Officer alerts, residents' safe lists and oversight for platewatch.",
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    engine = make_engine(settings.effective_database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.templates = make_templates()
    app.state.feed = AlertFeed(
        # Its polls only read: without a transaction they spare a BEGIN and a ROLLBACK, two of
        # the round trips between a committed alert and the officer's screen.
        make_session_factory(engine.execution_options(isolation_level="AUTOCOMMIT")),
        settings.console.feed_poll_ms / 1000,
        recheck_s=settings.console.feed_recheck_s,
    )
    app.state.import_runner = ImportRunner(app.state.session_factory)
    app.state.metrics_registry = metrics_registry(app.state.session_factory, app.state.feed)
    app.state.metrics_registry.register(
        CameraHealthCollector(app.state.session_factory, settings.health)
    )
    app.state.webhook_worker = (
        WebhookWorker(app.state.session_factory, settings.console) if webhooks else None
    )
    # With the webhooks: a console that leaves deliveries to another process leaves pushes too.
    app.state.push_worker = (
        PushWorker(app.state.session_factory, settings.console, settings.console.push_key_path)
        if webhooks and settings.console.push_enabled
        else None
    )
    # Camera alerts have one owner per deployment: the console that sends the webhooks.
    app.state.health_worker = (
        HealthWorker(app.state.session_factory, settings) if webhooks else None
    )
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    # Before /static, which would otherwise answer for /static/docs.
    install_docs(app, settings.console.api_docs)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app
