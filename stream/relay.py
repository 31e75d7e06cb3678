"""The alert relay: publishes the database's alert outbox to `platewatch.alerts`, and the
officers' dispositions among it to `platewatch.dispositions`.

An alert and its outbox row commit together (the hotlist stage writes both, as a disposition
writes its "status" row); this relay sends pending rows and marks them published once every
event made from a row is acknowledged. A crash between sending and marking sends the row again
with the same `event_id`, which consumers drop; the database never holds a second alert. On
PostgreSQL rows are claimed with SKIP LOCKED so several matchers do not send the same ones.
"""

from __future__ import annotations

import logging

from kafka import KafkaProducer
from kafka.producer.future import FutureRecordMetadata
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotlist.wire import AlertRecord
from store.base import utcnow
from store.db import transaction
from store.tables import AlertOutbox
from stream.events import AlertDisposition, AlertEvent, AlertKind
from stream.metrics import MatcherMetrics
from stream.settings import StreamSettings

log = logging.getLogger(__name__)


def alert_event(row: AlertOutbox) -> AlertEvent:
    return AlertEvent(
        event_id=row.id,
        alert_id=row.alert_id,
        kind=AlertKind(row.kind),
        occurred_at=row.created_at,
        alert=AlertRecord.model_validate_json(row.payload),
    )


def disposition_event(event: AlertEvent) -> AlertDisposition:
    """The decision a "status" event carries, as integrations (CAD, records) want it."""
    record = event.alert
    return AlertDisposition(
        event_id=event.event_id,
        alert_id=event.alert_id,
        status=record.status,
        reason=record.status_reason,
        note=record.status_note,
        # A disposition always records its officer (hotlist/dispositions.py refuses none).
        by=record.status_by or "unrecorded",
        case_number=record.case_number,
        at=event.occurred_at,
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
            futures = [self._send(producer, row) for row in rows]
            producer.flush(timeout=self.stream.delivery_timeout_ms / 1000)
            now = utcnow()
            sent = 0
            for row, sends in zip(rows, futures, strict=True):
                if all(f.is_done and f.succeeded() for f in sends):
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

    def _send(self, producer: KafkaProducer, row: AlertOutbox) -> list[FutureRecordMetadata]:
        event = alert_event(row)
        key = str(row.alert_id).encode()
        sends = [producer.send(self.stream.alerts_topic, key=key, value=event.to_bytes())]
        if event.kind is AlertKind.STATUS:
            disposition = disposition_event(event).to_bytes()
            sends.append(producer.send(self.stream.dispositions_topic, key=key, value=disposition))
        return sends

    def pending(self) -> int:
        with self.session_factory() as session:
            count = session.scalar(
                select(func.count())
                .select_from(AlertOutbox)
                .where(AlertOutbox.published_at.is_(None))
            )
        self.metrics.alert_outbox_depth.set(count or 0)
        return count or 0
