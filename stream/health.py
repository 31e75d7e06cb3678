"""The heartbeat consumer: each camera's latest heartbeat into `camera_health`.

It is a consumer group of its own on `platewatch.heartbeats`, in a thread of its own (the
matcher process starts it beside the read consumer), so heartbeats never wait behind reads nor
reads behind heartbeats. Per batch only the newest heartbeat of each camera is written; a
redelivered older one never overwrites a newer one. What the state means, and the alerts on
it, is the console's (console/camera_health.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.base import utcnow
from store.db import transaction
from store.tables import Camera, CameraHealth
from stream.clients import bootstrap_servers, ensure_topics, make_consumer, make_producer
from stream.events import (
    MAX_HEARTBEAT_BYTES,
    CameraHeartbeat,
    DeadLetter,
    Rejected,
    RejectKind,
    parse_event,
)

if TYPE_CHECKING:
    from kafka.consumer.fetcher import ConsumerRecord

    from stream.settings import StreamSections, StreamSettings

log = logging.getLogger(__name__)
HEARTBEAT_FETCH_WAIT_MS = 500

_FIELDS = (
    "sent_at",
    "started_at",
    "frames",
    "reads",
    "last_read_at",
    "model_pack",
    "errors",
    "last_error",
    "last_error_at",
)


def record_heartbeats(
    session: Session, heartbeats: Iterable[CameraHeartbeat], *, heard_at: datetime
) -> list[CameraHeartbeat]:
    """Write each camera's newest heartbeat; returns those of cameras not registered."""
    newest: dict[str, CameraHeartbeat] = {}
    for beat in heartbeats:
        known = newest.get(beat.camera_id)
        if known is None or beat.sent_at >= known.sent_at:
            newest[beat.camera_id] = beat
    if not newest:
        return []
    registered = set(session.scalars(select(Camera.id).where(Camera.id.in_(newest))))
    rows = {
        row.camera_id: row
        for row in session.scalars(
            select(CameraHealth).where(CameraHealth.camera_id.in_(registered))
        )
    }
    unknown = []
    for camera_id, beat in newest.items():
        if camera_id not in registered:
            unknown.append(beat)
            continue
        row = rows.get(camera_id)
        if row is None:
            row = CameraHealth(camera_id=camera_id)
            session.add(row)
        elif beat.sent_at < row.sent_at:
            continue  # redelivered after a newer one was written
        for name in _FIELDS:
            setattr(row, name, getattr(beat, name))
        row.heard_at = heard_at
    session.flush()
    return unknown


@dataclass(frozen=True)
class _Letter:
    record: ConsumerRecord
    rejected: Rejected


class HeartbeatConsumer:
    """Consume heartbeats until `stop`; bad or unregistered ones go to the dead-letter topic."""

    def __init__(
        self,
        settings: StreamSections,
        session_factory: sessionmaker[Session],
        *,
        bootstrap: str | None = None,
        client_id: str = "platewatch-camera-health",
    ) -> None:
        self.stream: StreamSettings = settings.stream
        self.session_factory = session_factory
        self.bootstrap = bootstrap or bootstrap_servers(settings)
        self.client_id = client_id
        self.written = 0
        self._consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                ensure_topics(self.bootstrap, self.stream)
                break
            except KafkaError as exc:
                log.warning("heartbeats: broker %s not reachable (%s)", self.bootstrap, exc)
                stop.wait(self.stream.retry_backoff_max_s)
        if stop.is_set():
            return
        consumer = make_consumer(
            self.bootstrap,
            self.stream,
            group_id=self.stream.health_consumer_group,
            client_id=self.client_id,
            # A heartbeat comes every few seconds and may wait: only the reads need the broker
            # to answer fast (stream.fetch_max_wait_ms), and each short wait costs idle CPU.
            fetch_max_wait_ms=HEARTBEAT_FETCH_WAIT_MS,
        )
        consumer.subscribe([self.stream.heartbeats_topic])
        self._consumer = consumer
        self._producer = make_producer(self.bootstrap, self.stream, client_id=self.client_id)
        try:
            while not stop.is_set():
                try:
                    self.poll_once()
                except (KafkaError, sa_exc.SQLAlchemyError) as exc:
                    # Offsets were not committed: the batch comes again after the pause.
                    log.warning("heartbeat batch not finished, consuming it again: %s", exc)
                    self._rewind()
                    stop.wait(self.stream.retry_backoff_max_s)
        finally:
            consumer.close(autocommit=False)
            self._producer.close(timeout=2)

    def poll_once(self) -> int:
        """One poll; how many heartbeats it took in (unregistered and bad ones excluded)."""
        assert self._consumer is not None
        records = self._consumer.poll(timeout_ms=self.stream.poll_timeout_ms)
        if not records:
            return 0
        beats: list[tuple[ConsumerRecord, CameraHeartbeat]] = []
        letters: list[_Letter] = []
        for message in (m for batch in records.values() for m in batch):
            parsed = parse_event(message.value, CameraHeartbeat, max_bytes=MAX_HEARTBEAT_BYTES)
            if isinstance(parsed, Rejected):
                letters.append(_Letter(message, parsed))
            else:
                beats.append((message, parsed))
        with transaction(self.session_factory) as session:
            unknown = record_heartbeats(session, [b for _, b in beats], heard_at=utcnow())
        missing = {beat.camera_id for beat in unknown}
        for message, beat in beats:
            if beat.camera_id in missing:
                error = f"camera {beat.camera_id!r} is not registered; add it or fix edge --camera"
                letters.append(_Letter(message, Rejected(RejectKind.UNPROCESSABLE, error)))
        self._dead_letter(letters)
        self._consumer.commit(
            {tp: OffsetAndMetadata(b[-1].offset + 1, "", -1) for tp, b in records.items() if b}
        )
        taken = len(beats) - sum(1 for _, b in beats if b.camera_id in missing)
        self.written += taken
        return taken

    def _dead_letter(self, letters: list[_Letter]) -> None:
        if not letters:
            return
        assert self._producer is not None
        for letter in letters:
            m = letter.record
            log.warning(
                "heartbeat dead letter from %s[%d]@%d: %s",
                m.topic,
                m.partition,
                m.offset,
                letter.rejected.error[:300],
            )
            dead = DeadLetter.of(
                letter.rejected,
                topic=m.topic,
                partition=m.partition,
                offset=m.offset,
                consumer_group=self.stream.health_consumer_group,
                key=m.key,
                value=m.value or b"",
            )
            self._producer.send(self.stream.dead_letter_topic, key=m.key, value=dead.to_bytes())
        self._producer.flush(timeout=self.stream.delivery_timeout_ms / 1000)

    def _rewind(self) -> None:
        if self._consumer is None:
            return
        for tp in self._consumer.assignment():
            committed = self._consumer.committed(tp)
            if committed is not None:
                self._consumer.seek(tp, committed)
            else:
                self._consumer.seek_to_beginning(tp)


def start_heartbeat_consumer(
    settings: StreamSections, session_factory: sessionmaker[Session], stop: threading.Event
) -> threading.Thread:
    """The consumer in a daemon thread of this process (the matcher's), until `stop`."""
    consumer = HeartbeatConsumer(settings, session_factory)

    def run() -> None:
        try:
            consumer.run(stop)
        except Exception:
            # The top of the thread: the read consumer beside it keeps going; say it loudly.
            log.exception("camera heartbeat consumer stopped; camera health is not updated")

    thread = threading.Thread(target=run, name="camera-heartbeats", daemon=True)
    thread.start()
    return thread
