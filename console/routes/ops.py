"""Operations: a health check for supervisors and load balancers, and Prometheus metrics.

Both are unauthenticated by design (probes carry no credentials) and say nothing about any
person or plate: only whether the database answers and aggregate counts.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from console.feed import AlertFeed
from store.tables import Alert

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


@router.get("/metrics", tags=["operations"])
def metrics(request: Request) -> Response:
    """Prometheus text format."""
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
