"""Where an alert's trip from the edge to the officer's feed spends its time, hop by hop.

Every timestamp is wall-clock time on this one machine, taken where the trip passes anyway, so
the pipeline runs unchanged: the bench notes when it hands a read to the edge outbox and when
`put` returns; the producer stamps each record when the forwarder sends it (Kafka CreateTime,
read back from the topic afterwards); the matcher stamps the stored read's `received_at`; an
observer of the bench's own sees the commit (PostgreSQL: it LISTENs like the console does;
SQLite: it watches `PRAGMA data_version` every millisecond); the SSE client notes the arrival.

CreateTime has millisecond resolution, so the second hop can come out a fraction of a
millisecond below zero. `received_at` is stamped as the matcher writes the read, after it
fetched, parsed and matched it: the third hop holds the broker, the fetch wait and the match.
"""

from __future__ import annotations

import sqlite3
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine, event, select
from sqlalchemy.engine import make_url

from hotlist.wire import ALERTS_CHANNEL
from store.db import make_engine
from store.tables import Alert, AlertOutbox, PlateReadRow
from stream.events import PlateReadEvent, Rejected, parse_event

# (name, from, to): consecutive stamps of one trip.
HOPS = (
    ("edge outbox write (fsync)", "put", "queued"),
    ("forwarder wakes, producer send", "queued", "sent"),
    ("produce ack, matcher fetch, match", "sent", "received"),
    ("matcher: alert rows, commit, notify", "received", "committed"),
    ("console: wake, feed query, SSE to client", "committed", "delivered"),
)


@dataclass(frozen=True)
class Trip:
    put: float
    queued: float
    sent: float
    received: float
    committed: float
    delivered: float

    def hop(self, start: str, end: str) -> float:
        return float(getattr(self, end)) - float(getattr(self, start))


@dataclass(frozen=True)
class HopStats:
    name: str
    p50_ms: float
    p99_ms: float
    max_ms: float


def percentile(ms: list[float], q: float) -> float:
    ordered = sorted(ms)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def hop_stats(trips: list[Trip]) -> list[HopStats]:
    stats = []
    for name, start, end in HOPS:
        ms = [t.hop(start, end) * 1000 for t in trips]
        stats.append(HopStats(name, statistics.median(ms), percentile(ms, 0.99), max(ms)))
    return stats


class CommitObserver(threading.Thread):
    """Notes when each alert's transaction became visible: `committed[plate]`, wall clock."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True, name="e2e-commit-observer")
        self.url = database_url
        self.committed: dict[str, float] = {}
        self.ready = threading.Event()
        self.stop = threading.Event()
        self._outbox_seen: dict[int, float] = {}

    def run(self) -> None:
        if make_url(self.url).get_backend_name() == "postgresql":
            self._listen()
        else:
            self._watch_sqlite()

    def _listen(self) -> None:
        conninfo = make_url(self.url).set(drivername="postgresql")
        with psycopg.connect(
            conninfo.render_as_string(hide_password=False), autocommit=True
        ) as conn:
            conn.execute(f"LISTEN {ALERTS_CHANNEL}")
            self.ready.set()
            while not self.stop.is_set():
                for note in conn.notifies(timeout=0.2):
                    self._outbox_seen.setdefault(int(note.payload), time.time())
        engine = make_engine(self.url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    select(AlertOutbox.id, Alert.plate_read).join(
                        Alert, Alert.id == AlertOutbox.alert_id
                    )
                ).all()
        finally:
            engine.dispose()
        for outbox_id, plate in rows:
            if outbox_id in self._outbox_seen:
                self.committed.setdefault(plate, self._outbox_seen[outbox_id])

    def _watch_sqlite(self) -> None:
        path = make_url(self.url).database
        assert path
        # Autocommit, so each pragma is a fresh read that sees every commit made since.
        db = sqlite3.connect(path, isolation_level=None)
        try:
            version = db.execute("PRAGMA data_version").fetchone()[0]
            newest = db.execute("SELECT coalesce(max(id), 0) FROM alerts").fetchone()[0]
            self.ready.set()
            while not self.stop.is_set():
                now = db.execute("PRAGMA data_version").fetchone()[0]
                if now != version:
                    version, seen = now, time.time()
                    rows = db.execute(
                        "SELECT id, plate_read FROM alerts WHERE id > ?", (newest,)
                    ).fetchall()
                    for alert_id, plate in rows:
                        self.committed.setdefault(plate, seen)
                        newest = max(newest, alert_id)
                time.sleep(0.001)
        finally:
            db.close()


def send_times(bootstrap: str, topic: str) -> dict[str, float]:
    """When the producer sent each read (its record's CreateTime), by plate."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        sent: dict[str, float] = {}
        for message in consumer:
            parsed = parse_event(message.value, PlateReadEvent)
            if not isinstance(parsed, Rejected) and parsed.read.plate:
                sent.setdefault(parsed.read.plate, message.timestamp / 1000)
        return sent
    finally:
        consumer.close()


def received_times(database_url: str) -> dict[str, float]:
    """When the matcher stored each read (`received_at`), by plate."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(PlateReadRow.plate, PlateReadRow.received_at)).all()
    finally:
        engine.dispose()
    return {plate: at.timestamp() for plate, at in rows if plate}


@contextmanager
def counted_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on `engine` inside the block (as tests/console counts them)."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])
