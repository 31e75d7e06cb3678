"""The edge forwarder: a thread that drains the outbox to the broker, oldest first.

One batch is in flight at a time. A read is removed from the outbox only when its send was
acknowledged (acks=all); at the first failure the producer is thrown away with its pending
copies and the unacknowledged tail is sent again, in order, after a back-off. A resend can
duplicate a read on the topic; the matcher stores by read id, so the
database still holds it once.
"""

from __future__ import annotations

import logging
import threading
import time

from kafka import KafkaProducer
from kafka.errors import KafkaError

from stream.clients import ensure_topics, make_producer
from stream.metrics import EdgeMetrics
from stream.outbox import EdgeOutbox, QueuedRead
from stream.settings import StreamSettings

log = logging.getLogger(__name__)


class DeliveryFailedError(Exception):
    """The broker did not acknowledge a batch in time."""


class Forwarder:
    def __init__(
        self,
        outbox: EdgeOutbox,
        bootstrap: str,
        stream: StreamSettings,
        metrics: EdgeMetrics | None = None,
        *,
        client_id: str = "platewatch-edge",
    ) -> None:
        self.outbox = outbox
        self.bootstrap = bootstrap
        self.stream = stream
        self.metrics = metrics or EdgeMetrics()
        self.client_id = client_id
        self._producer: KafkaProducer | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="edge-forwarder", daemon=True)
        self._failures = 0
        self._down_since: float | None = None
        self._dropped_reported = 0
        self._topics_ready = False

    def start(self) -> None:
        self.metrics.outbox_budget_bytes.set(self.outbox.budget_bytes)
        self._thread.start()

    def drained(self) -> bool:
        return self.outbox.depth().reads == 0

    def stop(self, drain_timeout_s: float = 0.0) -> None:
        """Stop forwarding, first giving queued reads up to `drain_timeout_s` to leave."""
        deadline = time.monotonic() + drain_timeout_s
        while not self.drained() and time.monotonic() < deadline and self._thread.is_alive():
            time.sleep(0.05)
        self._stop.set()
        self.outbox.wake()
        self._thread.join()
        self._close_producer(timeout=2.0)
        left = self.outbox.depth().reads
        if left:
            log.warning(
                "edge stopped with %d read(s) still queued in %s; they are sent on the next start",
                left,
                self.outbox.path,
            )

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._forward_once()
            except Exception:
                # The top of a worker loop: log the traceback and keep the edge forwarding.
                log.exception("edge forwarder failed unexpectedly; retrying")
                self._back_off()

    def _forward_once(self) -> None:
        batch = self.outbox.peek(self.stream.forward_batch_max, wait_s=0.5)
        self._update_depth()
        if not batch:
            return
        try:
            sent = self._deliver(batch)
        except (KafkaError, DeliveryFailedError, OSError) as exc:
            # Drop the producer with whatever it still holds: the outbox keeps those reads and
            # resends them in order, whereas a kept producer would go on retrying its own
            # copies beside ours and, on a slow broker, double the work of every retry.
            self._close_producer(timeout=0)
            self._mark_down(exc)
            self._back_off()
            return
        self._mark_up()
        log.debug("forwarded %d read(s)", len(sent))

    def _deliver(self, batch: list[QueuedRead]) -> list[QueuedRead]:
        if self._producer is None:
            if not self._topics_ready:
                ensure_topics(self.bootstrap, self.stream)
                self._topics_ready = True
            self._producer = make_producer(self.bootstrap, self.stream, client_id=self.client_id)
        producer = self._producer
        futures = [
            producer.send(self.stream.reads_topic, key=row.key, value=row.payload) for row in batch
        ]
        producer.flush(timeout=self.stream.delivery_timeout_ms / 1000)
        acked: list[QueuedRead] = []
        failure: BaseException | None = None
        for row, future in zip(batch, futures, strict=True):
            if not (future.is_done and future.succeeded()):
                failure = future.exception if future.is_done else None
                break
            acked.append(row)
        self.outbox.remove(acked)
        self.metrics.reads_forwarded.inc(len(acked))
        if len(acked) < len(batch):
            msg = f"{len(batch) - len(acked)} of {len(batch)} reads not acknowledged: {failure!r}"
            raise DeliveryFailedError(msg)
        return acked

    def _update_depth(self) -> None:
        depth = self.outbox.depth()
        self.metrics.outbox_reads.set(depth.reads)
        self.metrics.outbox_bytes.set(depth.payload_bytes)
        dropped_now = self.outbox.dropped - self._dropped_reported
        if dropped_now > 0:
            self.metrics.reads_dropped.inc(dropped_now)
            self._dropped_reported += dropped_now

    def _mark_down(self, exc: BaseException) -> None:
        self.metrics.broker_up.set(0)
        self._failures += 1
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning(
                "broker %s did not acknowledge reads (%s); queueing in %s until it returns",
                self.bootstrap,
                exc,
                self.outbox.path,
            )
        else:
            log.debug("broker still unreachable: %s", exc)

    def _mark_up(self) -> None:
        self.metrics.broker_up.set(1)
        if self._down_since is not None:
            log.warning(
                "broker %s is back after %.0f s; draining %d queued read(s)",
                self.bootstrap,
                time.monotonic() - self._down_since,
                self.outbox.depth().reads,
            )
        self._down_since = None
        self._failures = 0

    def _back_off(self) -> None:
        delay = min(self.stream.retry_backoff_max_s, 0.2 * 2 ** min(self._failures, 10))
        self._stop.wait(delay)

    def _close_producer(self, timeout: float) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                producer.close(timeout=timeout)
            except KafkaError as exc:
                # Unsent records die with it; they are still in the outbox.
                log.debug("producer closed with records unsent: %s", exc)
