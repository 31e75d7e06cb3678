"""Operations: a health check for supervisors and load balancers, and Prometheus metrics.

The health check is unauthenticated (probes carry no credentials) and says only whether the
database answers. Metrics say nothing about any person or plate, but they do show alert volumes
and who is watching: on the console's port they need `console.metrics_token` as a bearer token;
`console.metrics_bind` serves them without one on a separate address (loopback or a scrape
network) for a Prometheus that cannot send a token.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from wsgiref.simple_server import WSGIServer

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from console.feed import AlertFeed
from console.settings import ConsoleSettings
from store.tables import Alert

log = logging.getLogger(__name__)
router = APIRouter()


class ConsoleCollector(Collector):
    """Read at scrape time, so the numbers are the database's, whichever server is asked."""

    def __init__(self, factory: sessionmaker[Session], feed: AlertFeed) -> None:
        self.factory = factory
        self.feed = feed

    def collect(self) -> Iterator[GaugeMetricFamily]:
        subscribers = GaugeMetricFamily(
            "platewatch_console_feed_subscribers", "Officers' live feeds open on this server"
        )
        subscribers.add_metric([], self.feed.subscriber_count)
        yield subscribers
        alerts = GaugeMetricFamily(
            "platewatch_console_alerts",
            "Alerts by decision (alert, verify) and status",
            labels=["decision", "status"],
        )
        with self.factory() as session:
            rows = session.execute(
                select(Alert.decision, Alert.status, func.count()).group_by(
                    Alert.decision, Alert.status
                )
            ).all()
        for decision, status, count in rows:
            alerts.add_metric([decision, status], count)
        yield alerts


def metrics_registry(factory: sessionmaker[Session], feed: AlertFeed) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(ConsoleCollector(factory, feed))
    return registry


@router.get("/healthz", tags=["operations"])
def health(request: Request) -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    try:
        with factory() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "database unavailable", "error": type(exc).__name__}, 503)
    return JSONResponse({"status": "ok"})


def start_metrics_listener(bind: str | None, registry: CollectorRegistry) -> WSGIServer | None:
    """The separate metrics address, when one is set; the caller shuts it down."""
    if bind is None:
        return None
    host, _, port = bind.rpartition(":")
    server, _thread = start_http_server(int(port), addr=host, registry=registry)
    log.info("metrics on http://%s/metrics", bind)
    return server


def _metrics_allowed(request: Request, settings: ConsoleSettings) -> str | None:
    """None when the caller may scrape; otherwise what to do about it."""
    if settings.metrics_token is None:
        return (
            "metrics need a token: set console.metrics_token and send it as a bearer token, "
            "or scrape console.metrics_bind"
        )
    sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(sent.encode(), settings.metrics_token.get_secret_value().encode()):
        return "wrong or missing metrics token: send console.metrics_token as a bearer token"
    return None


@router.get("/metrics", tags=["operations"])
def metrics(request: Request) -> Response:
    """Prometheus text format, for the bearer token `console.metrics_token`."""
    refused = _metrics_allowed(request, request.app.state.settings.console)
    if refused is not None:
        return JSONResponse({"detail": refused}, 401, headers={"WWW-Authenticate": "Bearer"})
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
