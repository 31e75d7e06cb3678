"""The alert relay: publishes the database's alert outbox to `platewatch.alerts`.

An alert and its outbox row commit together (the hotlist stage writes both); this relay sends
pending rows and marks them published. A crash between sending and marking sends the row again
with the same `event_id`, which consumers drop; the database never holds a second alert. On
PostgreSQL rows are claimed with SKIP LOCKED so several matchers do not send the same ones.
"""

from __future__ import annotations

import logging

from kafka import KafkaProducer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotlist.alerts import AlertView
from store.base import utcnow
from store.db import transaction
from store.tables import AlertOutbox
from stream.events import AlertEvent, AlertKind
from stream.metrics import MatcherMetrics
from stream.settings import StreamSettings

log = logging.getLogger(__name__)


def alert_event(row: AlertOutbox) -> AlertEvent:
    return AlertEvent(
        event_id=row.id,
        alert_id=row.alert_id,
        kind=AlertKind(row.kind),
        occurred_at=row.created_at,
        alert=AlertView.model_validate_json(row.payload),
    )


class AlertRelay:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        stream: StreamSettings,
        metrics: MatcherMetrics,
    ) -> None:
        self.session_factory = session_factory
        self.stream = stream
        self.metrics = metrics

    def publish_pending(self, producer: KafkaProducer) -> int:
        """Send up to one batch of pending alert events; how many were sent and marked."""
        with transaction(self.session_factory) as session:
            query = (
                select(AlertOutbox)
                .where(AlertOutbox.published_at.is_(None))
                .order_by(AlertOutbox.id)
                .limit(self.stream.relay_batch_max)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            if not rows:
                return 0
            futures = [
                producer.send(
                    self.stream.alerts_topic,
                    key=str(row.alert_id).encode(),
                    value=alert_event(row).to_bytes(),
                )
                for row in rows
            ]
            producer.flush(timeout=self.stream.delivery_timeout_ms / 1000)
            now = utcnow()
            sent = 0
            for row, future in zip(rows, futures, strict=True):
                if future.is_done and future.succeeded():
                    row.published_at = now
                    sent += 1
                    self.metrics.alerts_published.labels(kind=row.kind).inc()
        if sent < len(rows):
            log.warning(
                "%d of %d alert event(s) were not acknowledged by the broker; they "
                "stay in the outbox and are sent again",
                len(rows) - sent,
                len(rows),
            )
        return sent

    def pending(self) -> int:
        with self.session_factory() as session:
            count = session.scalar(
                select(func.count())
                .select_from(AlertOutbox)
                .where(AlertOutbox.published_at.is_(None))
            )
        self.metrics.alert_outbox_depth.set(count or 0)
        return count or 0
