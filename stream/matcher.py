"""The matcher side of the stream: a consumer group on `platewatch.reads`.

Per batch: parse every message (a bad one becomes a dead letter, as a value), store and match
the reads in one database transaction, publish the dead letters, and only then commit the
offsets. A crash anywhere before the commit redelivers the batch; reads are stored by read id,
so the redelivery adds nothing. After each batch the alert relay publishes the alert outbox.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session, sessionmaker

from alpr.read import PlateRead
from store.db import transaction
from stream.clients import bootstrap_servers, ensure_topics, make_consumer, make_producer
from stream.events import DeadLetter, PlateReadEvent, Rejected, RejectKind, parse_event
from stream.handler import ReadHandler
from stream.metrics import MatcherMetrics
from stream.relay import AlertRelay

if TYPE_CHECKING:
    from kafka.consumer.fetcher import ConsumerRecord
    from kafka.structs import TopicPartition

    from stream.settings import StreamSections

log = logging.getLogger(__name__)

# The database may be away: such a failure is retried until it answers again (nothing could be
# stored meanwhile, so nothing is set aside). Any other failure, or one of these while the
# database answers, is the read's own: bounded retries, then the dead-letter topic.
_OUTAGE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError)
# What the alert relay may meet: it pauses and tries again after the next batch.
_TRANSIENT = (*_OUTAGE, sa_exc.IntegrityError)


class DatabaseNotReadyError(RuntimeError):
    """The database has no schema yet; the message says which command creates it."""


class RetryBatchError(Exception):
    """The batch could not be finished now; its offsets are rewound and it comes again."""


@dataclass(frozen=True)
class BatchResult:
    stored: int
    duplicates: int
    dead_letters: int


def _error_of(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}"


@dataclass(frozen=True)
class _Letter:
    record: ConsumerRecord
    rejected: Rejected


class MatcherService:
    """Consume reads, store and match them, publish alerts. Run with `run(stop)`."""

    def __init__(
        self,
        settings: StreamSections,
        handler: ReadHandler,
        session_factory: sessionmaker[Session],
        *,
        bootstrap: str | None = None,
        group_id: str | None = None,
        client_id: str = "platewatch-matcher",
        metrics: MatcherMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.stream = settings.stream
        self.handler = handler
        self.session_factory = session_factory
        self.bootstrap = bootstrap or bootstrap_servers(settings)
        self.group_id = group_id or settings.stream.consumer_group
        self.client_id = client_id
        self.metrics = metrics or MatcherMetrics()
        self.relay = AlertRelay(session_factory, settings.stream, self.metrics)
        self._consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None
        self._next_offsets: dict[TopicPartition, int] = {}
        self._last_depth_check = 0.0

    # -- the loop ------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; then leave the group so others take the partitions."""
        self._check_schema()
        if not self._wait_for_broker(stop):
            return
        consumer = make_consumer(
            self.bootstrap, self.stream, group_id=self.group_id, client_id=self.client_id
        )
        consumer.subscribe([self.stream.reads_topic])
        self._consumer = consumer
        self._producer = make_producer(self.bootstrap, self.stream, client_id=self.client_id)
        log.info(
            "matcher %s consuming %s as group %s from %s",
            self.client_id,
            self.stream.reads_topic,
            self.group_id,
            self.bootstrap,
        )
        failures = 0
        try:
            while not stop.is_set():
                try:
                    self.poll_once()
                    failures = 0
                except RetryBatchError as exc:
                    failures += 1
                    log.warning("batch not finished, it will be consumed again: %s", exc)
                    self._rewind_to_committed()
                    stop.wait(min(self.stream.retry_backoff_max_s, 0.2 * 2 ** min(failures, 8)))
                except Exception:
                    # The top of the worker loop: keep consuming; the batch comes again.
                    failures += 1
                    log.exception("matcher batch failed unexpectedly")
                    self._rewind_to_committed()
                    stop.wait(min(self.stream.retry_backoff_max_s, 0.2 * 2 ** min(failures, 8)))
        finally:
            consumer.close(autocommit=False)
            try:
                self._producer.close(timeout=5)
            except KafkaError as exc:
                log.warning("alert and dead-letter producer closed with sends pending: %s", exc)
            log.info("matcher %s left group %s", self.client_id, self.group_id)

    def poll_once(self) -> BatchResult | None:
        """One poll: process what came, relay pending alert events. None if nothing came."""
        assert self._consumer is not None and self._producer is not None
        records = self._consumer.poll(
            timeout_ms=self.stream.poll_timeout_ms, max_records=self.stream.batch_max
        )
        result = None
        if records:
            started = time.monotonic()
            result = self.process(records)
            self.metrics.batch_seconds.set(time.monotonic() - started)
        self._relay()
        self._update_lag()
        return result

    def process(self, records: dict[TopicPartition, list[ConsumerRecord]]) -> BatchResult:
        messages = [m for batch in records.values() for m in batch]
        reads: list[tuple[ConsumerRecord, PlateRead]] = []
        letters: list[_Letter] = []
        for message in messages:
            parsed = parse_event(message.value, PlateReadEvent)
            if isinstance(parsed, Rejected):
                letters.append(_Letter(message, parsed))
            else:
                reads.append((message, parsed.read))
        stored, duplicates, unprocessable = self._store(reads)
        letters += unprocessable
        self._send_dead_letters(letters)
        self._commit(records)
        self.metrics.reads.labels(outcome="stored").inc(stored)
        self.metrics.reads.labels(outcome="duplicate").inc(duplicates)
        return BatchResult(stored, duplicates, len(letters))

    # -- storing ---------------------------------------------------------------------------

    def _store(
        self, reads: list[tuple[ConsumerRecord, PlateRead]]
    ) -> tuple[int, int, list[_Letter]]:
        """Stored, duplicates (already stored, or repeated in the batch), dead letters."""
        if not reads:
            return 0, 0, []
        try:
            stored = self._attempt([read for _, read in reads])
            return stored, len(reads) - stored, []
        except RetryBatchError:
            raise
        except Exception as exc:
            # One read can fail the batch; find it by storing the reads one at a time.
            self._raise_if_outage(exc)
            log.warning(
                "storing a batch of %d reads failed (%s: %s); storing them one at a time",
                len(reads),
                exc.__class__.__name__,
                str(exc)[:300],
                exc_info=not isinstance(exc, self.handler.unprocessable),
            )
        stored = 0
        letters: list[_Letter] = []
        for message, read in reads:
            outcome = self._store_alone(message, read)
            if isinstance(outcome, _Letter):
                letters.append(outcome)
            else:
                stored += outcome
        return stored, len(reads) - stored - len(letters), letters

    def _attempt(self, reads: list[PlateRead]) -> int:
        with transaction(self.session_factory) as session:
            try:
                self.handler.prepare(session)
            except Exception as exc:
                # The lists could not be loaded: no read is at fault, so none is set aside.
                msg = f"matching index not ready: {exc.__class__.__name__}: {exc}"
                raise RetryBatchError(msg) from exc
            return self.handler.handle(session, reads)

    def _store_alone(self, message: ConsumerRecord, read: PlateRead) -> int | _Letter:
        """Store one read, retried a few times; a read that still fails is a dead letter."""
        error = ""
        for attempt in range(1, self.stream.read_max_attempts + 1):
            try:
                return self._attempt([read])
            except RetryBatchError:
                raise
            except self.handler.unprocessable as exc:
                # The read itself says why it can never be processed (an unknown camera).
                return _Letter(message, Rejected(RejectKind.UNPROCESSABLE, _error_of(exc)))
            except Exception as exc:
                self._raise_if_outage(exc)
                error = _error_of(exc)
                log.warning(
                    "read %s at %s[%s]@%s failed (attempt %d of %d): %s",
                    read.read_id,
                    message.topic,
                    message.partition,
                    message.offset,
                    attempt,
                    self.stream.read_max_attempts,
                    error[:300],
                    exc_info=True,
                )
        reason = f"not stored after {self.stream.read_max_attempts} attempts: {error}"
        return _Letter(message, Rejected(RejectKind.UNPROCESSABLE, reason))

    def _raise_if_outage(self, exc: Exception) -> None:
        """Retry the whole batch later when the database itself is away."""
        if isinstance(exc, _OUTAGE) and not self._database_answers():
            msg = f"database: {_error_of(exc)}"
            raise RetryBatchError(msg) from exc

    def _database_answers(self) -> bool:
        try:
            with self.session_factory() as session:
                session.execute(text("SELECT 1"))
        except sa_exc.SQLAlchemyError:
            return False
        return True

    # -- dead letters, offsets, relay ------------------------------------------------------

    def _send_dead_letters(self, letters: list[_Letter]) -> None:
        if not letters:
            return
        assert self._producer is not None
        futures = []
        for letter in letters:
            m = letter.record
            dead = DeadLetter.of(
                letter.rejected,
                topic=m.topic,
                partition=m.partition,
                offset=m.offset,
                consumer_group=self.group_id,
                key=m.key,
                value=m.value or b"",
            )
            log.warning(
                "dead letter from %s[%d]@%d: %s: %s",
                m.topic,
                m.partition,
                m.offset,
                letter.rejected.kind,
                letter.rejected.error[:300],
            )
            try:
                futures.append(
                    self._producer.send(
                        self.stream.dead_letter_topic, key=m.key, value=dead.to_bytes()
                    )
                )
            except KafkaError as exc:
                msg = f"dead-letter topic: {exc}"
                raise RetryBatchError(msg) from exc
            self.metrics.dead_letters.labels(reason=letter.rejected.kind.value).inc()
        try:
            self._producer.flush(timeout=self.stream.delivery_timeout_ms / 1000)
        except KafkaError as exc:
            msg = f"dead-letter topic: {exc}"
            raise RetryBatchError(msg) from exc
        if not all(f.is_done and f.succeeded() for f in futures):
            msg = "the broker did not acknowledge every dead letter"
            raise RetryBatchError(msg)

    def _commit(self, records: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        assert self._consumer is not None
        offsets = {
            tp: OffsetAndMetadata(batch[-1].offset + 1, "", -1)
            for tp, batch in records.items()
            if batch
        }
        self._next_offsets.update({tp: o.offset for tp, o in offsets.items()})
        try:
            self._consumer.commit(offsets)
        except KafkaError as exc:
            # Stored already; whoever owns the partitions now gets the batch again and finds
            # every read stored.
            log.warning(
                "offset commit failed (%s); the batch will be redelivered and skipped "
                "as already stored",
                exc,
            )

    def _rewind_to_committed(self) -> None:
        """After a failed batch, fetch again from the last committed offsets."""
        if self._consumer is None:
            return
        for tp in self._consumer.assignment():
            committed = self._consumer.committed(tp)
            if committed is not None:
                self._consumer.seek(tp, committed)
            else:
                self._consumer.seek_to_beginning(tp)

    def _relay(self) -> None:
        assert self._producer is not None
        try:
            while self.relay.publish_pending(self._producer) == self.stream.relay_batch_max:
                pass
        except (KafkaError, *_TRANSIENT) as exc:
            log.warning("alert relay paused: %s", exc)
        if time.monotonic() - self._last_depth_check > 5:
            self._last_depth_check = time.monotonic()
            self.relay.pending()

    def _update_lag(self) -> None:
        assert self._consumer is not None
        # From fetch responses' high watermarks: Tansu's ListOffsets answer (end_offsets) is
        # wrong, the watermark in a fetch is right.
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            # Before this matcher's first batch of a partition (just started, or nothing came),
            # the consumer's fetch position is where it stands: the committed offset.
            position = self._next_offsets.get(tp)
            if position is None and high is not None:
                position = self._consumer.position(tp)
            if high is not None and position is not None:
                self.metrics.consumer_lag.labels(partition=str(tp.partition)).set(
                    max(0, high - position)
                )

    # -- start-up --------------------------------------------------------------------------

    def _check_schema(self) -> None:
        with self.session_factory() as session:
            bind: Any = session.get_bind()
            if not inspect(bind).has_table("plate_reads"):
                msg = (
                    f"database {bind.url.render_as_string(hide_password=True)} has no "
                    "plate_reads table; run `platewatch db upgrade` first"
                )
                raise DatabaseNotReadyError(msg)

    def _wait_for_broker(self, stop: threading.Event) -> bool:
        delay = 0.2
        while not stop.is_set():
            try:
                ensure_topics(self.bootstrap, self.stream)
            except KafkaError as exc:
                log.warning(
                    "broker %s not reachable (%s); retrying in %.1f s", self.bootstrap, exc, delay
                )
                stop.wait(delay)
                delay = min(self.stream.retry_backoff_max_s, delay * 2)
            else:
                return True
        return False
