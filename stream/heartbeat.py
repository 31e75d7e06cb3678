"""The edge's heartbeat: its camera's running totals on `platewatch.heartbeats`, every
`edge.heartbeat_s`, from a thread of its own.

Heartbeats bypass the outbox on purpose: a stale heartbeat says nothing, so one the broker
does not take is dropped and the next one (a few seconds later) says the same and more. The
console counts a camera offline when none arrive, which is also true when only the uplink is
down: from the console the camera cannot be told apart from a dead one.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from kafka import KafkaProducer
from kafka.errors import KafkaError

from alpr.stats import EdgeStats
from stream.clients import ensure_topics, make_producer
from stream.events import CameraHeartbeat
from stream.settings import StreamSettings

log = logging.getLogger(__name__)


def heartbeat_of(camera_id: str, stats: EdgeStats) -> CameraHeartbeat:
    return CameraHeartbeat(
        camera_id=camera_id,
        sent_at=datetime.now(UTC),
        started_at=stats.started_at,
        frames=stats.frames,
        reads=stats.reads,
        last_read_at=stats.last_read_at,
        model_pack=stats.model_pack,
        errors=stats.errors,
        last_error=stats.last_error,
        last_error_at=stats.last_error_at,
    )


class HeartbeatSender:
    """Sends a heartbeat at start and then every `interval_s` until stopped."""

    def __init__(
        self,
        camera_id: str,
        stats: EdgeStats,
        bootstrap: str,
        stream: StreamSettings,
        *,
        interval_s: float,
        client_id: str = "platewatch-edge-heartbeat",
    ) -> None:
        self.camera_id = camera_id
        self.stats = stats
        self.bootstrap = bootstrap
        self.stream = stream
        self.interval_s = interval_s
        self.client_id = client_id
        self.sent = 0
        self._producer: KafkaProducer | None = None
        self._topics_ready = False
        self._failing = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="edge-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop, after a last heartbeat with the final totals (the console then shows what a
        finished source read, until the camera counts as offline)."""
        self._stop.set()
        self._thread.join()
        if not self._failing:
            # Skipped while the broker is away: it would only hold up the edge's exit.
            try:
                self.send_once()
            except (KafkaError, OSError) as exc:
                log.debug("last camera heartbeat not sent: %s", exc)
        self._drop_producer()

    def _run(self) -> None:
        while True:
            try:
                self.send_once()
            except (KafkaError, OSError) as exc:
                self._drop_producer()
                if not self._failing:
                    log.warning("camera heartbeat not taken by %s: %s", self.bootstrap, exc)
                self._failing = True
            else:
                if self._failing:
                    log.info("camera heartbeats reach %s again", self.bootstrap)
                self._failing = False
            if self._stop.wait(self.interval_s):
                return

    def send_once(self) -> None:
        """One heartbeat, acknowledged by the broker (KafkaError when it is not)."""
        if self._producer is None:
            if not self._topics_ready:
                ensure_topics(self.bootstrap, self.stream)
                self._topics_ready = True
            self._producer = make_producer(self.bootstrap, self.stream, client_id=self.client_id)
        event = heartbeat_of(self.camera_id, self.stats)
        future = self._producer.send(
            self.stream.heartbeats_topic, key=self.camera_id.encode(), value=event.to_bytes()
        )
        # Bounded by the interval: a late heartbeat is worth no more than the next one.
        future.get(timeout=max(1.0, self.interval_s))
        self.sent += 1

    def _drop_producer(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                producer.close(timeout=0)
            except KafkaError as exc:
                log.debug("heartbeat producer closed with a send pending: %s", exc)
