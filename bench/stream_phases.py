"""The phases of the stream benchmark: feeding an edge outbox and timing what reaches the
database (bench/stream_bench.py runs them against a real matcher process)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

from alpr.read import PlateRead
from platewatch.settings import Settings
from store.tables import Alert, PlateReadRow
from stream.publisher import EdgePublisher


def count_reads(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(PlateReadRow)) or 0)


def wait_stored(engine: Engine, expected: int, timeout_s: float = 900) -> None:
    deadline = time.monotonic() + timeout_s
    while (stored := count_reads(engine)) < expected:
        if time.monotonic() > deadline:
            msg = f"only {stored:,} of {expected:,} reads were stored in {timeout_s:.0f} s"
            raise RuntimeError(msg)
        time.sleep(0.05)


def drain_backlog(
    engine: Engine, settings: Settings, reads: list[PlateRead], outbox: Path
) -> float:
    """Reads/s from the forwarder's start to the last of a queued backlog stored."""
    before = count_reads(engine)
    edge = EdgePublisher(settings, outbox_path=outbox)
    for begin in range(0, len(reads), 500):
        edge.publish_many(reads[begin : begin + 500])
    with edge:
        started = time.perf_counter()
        wait_stored(engine, before + len(reads))
        return len(reads) / (time.perf_counter() - started)


def publish_one_by_one(
    engine: Engine, edge: EdgePublisher, reads: list[PlateRead], hot_every: int
) -> tuple[float, list[float]]:
    """Reads/s from the first publish to the last read stored, and publish-to-alert seconds
    (to the alert row's created_at, set inside the batch's transaction)."""
    before = count_reads(engine)
    published_at: dict[str, float] = {}
    started = time.time()
    for read in reads:
        edge.publish(read)
        published_at[read.read_id] = time.time()
    wait_stored(engine, before + len(reads))
    finished = time.time()
    listed_reads = [r.read_id for i, r in enumerate(reads) if i % hot_every == 0]
    with engine.connect() as conn:
        rows = conn.execute(
            select(Alert.read_id, Alert.created_at).where(Alert.read_id.in_(listed_reads))
        ).all()
    latencies = [created.timestamp() - published_at[read_id] for read_id, created in rows]
    return len(reads) / (finished - started), latencies


class AlertWatcher(threading.Thread):
    """Polls the alerts table every 10 ms; when each read's alert was first seen committed."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(name="alert-watcher", daemon=True)
        self.engine = engine
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        with self.engine.connect() as conn:
            last_id = int(conn.scalar(select(func.max(Alert.id))) or 0)
            conn.rollback()
            while not self.stop.is_set():
                rows = conn.execute(select(Alert.id, Alert.read_id).where(Alert.id > last_id)).all()
                conn.rollback()  # end the snapshot so the next poll sees new commits
                now = time.time()
                for alert_id, read_id in rows:
                    self.seen.setdefault(read_id, now)
                    last_id = max(last_id, alert_id)
                time.sleep(0.01)


def publish_paced(
    engine: Engine, edge: EdgePublisher, reads: list[PlateRead], *, rate: float, hot_every: int
) -> list[float]:
    """Publish at `rate` reads/s; seconds from each listed read's publish to its committed alert."""
    listed = [r.read_id for i, r in enumerate(reads) if i % hot_every == 0]
    published_at: dict[str, float] = {}
    watcher = AlertWatcher(engine)
    watcher.start()
    begin = time.monotonic()
    for i, read in enumerate(reads):
        time.sleep(max(0.0, begin + i / rate - time.monotonic()))
        edge.publish(read)
        published_at[read.read_id] = time.time()
    deadline = time.monotonic() + 60
    wanted = set(listed)
    while not wanted <= watcher.seen.keys() and time.monotonic() < deadline:
        time.sleep(0.05)
    watcher.stop.set()
    watcher.join()
    return [watcher.seen[r] - published_at[r] for r in listed if r in watcher.seen]
