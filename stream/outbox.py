"""The edge's durable outbox: every read is written here before anything is sent.

A read leaves only after the broker acknowledged it (acks=all), so a killed edge process or a
dead uplink loses nothing the outbox accepted. Rows are sent in insertion order. The outbox is
bounded by a disk budget: past it the oldest queued reads are dropped, with a warning and a
metric, so a months-long outage cannot fill the camera's disk.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from stream.events import PlateReadEvent

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    read_id TEXT NOT NULL,
    key BLOB NOT NULL,
    payload BLOB NOT NULL
)
"""


@dataclass(frozen=True)
class QueuedRead:
    seq: int
    read_id: str
    key: bytes
    payload: bytes


@dataclass(frozen=True)
class OutboxDepth:
    reads: int
    payload_bytes: int


class EdgeOutbox:
    """A SQLite queue shared by the reading thread (put) and the forwarder (peek, remove)."""

    def __init__(self, path: Path, *, budget_bytes: int, synchronous: str = "FULL") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.budget_bytes = budget_bytes
        self.dropped = 0
        self._lock = threading.Lock()
        self._has_work = threading.Condition(self._lock)
        # Autocommit mode; transactions are explicit below. FULL syncs each commit to disk, so
        # even a power cut on the pole keeps what put() returned for.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.execute(_SCHEMA)
        count, size = self._db.execute(
            "SELECT count(*), coalesce(sum(length(payload)), 0) FROM outbox"
        ).fetchone()
        self._depth = OutboxDepth(count, size)

    def depth(self) -> OutboxDepth:
        with self._lock:
            return self._depth

    def put(self, event: PlateReadEvent) -> None:
        """Queue one read durably; returns once it is on disk."""
        self.put_many([event])

    def put_many(self, events: Iterable[PlateReadEvent]) -> None:
        """Queue reads durably in one transaction (one disk sync for the lot)."""
        rows = [(e.read.read_id, e.read.camera_id.encode(), e.to_bytes()) for e in events]
        if not rows:
            return
        incoming = sum(len(r[2]) for r in rows)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._make_room(incoming)
                self._db.executemany(
                    "INSERT INTO outbox (read_id, key, payload) VALUES (?, ?, ?)", rows
                )
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise
            self._depth = OutboxDepth(
                self._depth.reads + len(rows), self._depth.payload_bytes + incoming
            )
            self._has_work.notify_all()

    def _make_room(self, incoming: int) -> None:
        excess = self._depth.payload_bytes + incoming - self.budget_bytes
        if excess <= 0:
            return
        freed = dropped = 0
        cursor = self._db.execute("SELECT seq, length(payload) FROM outbox ORDER BY seq")
        last_seq = None
        for seq, size in cursor:
            if freed >= excess:
                break
            freed += size
            dropped += 1
            last_seq = seq
        cursor.close()
        if last_seq is None:
            return
        self._db.execute("DELETE FROM outbox WHERE seq <= ?", (last_seq,))
        self._depth = OutboxDepth(self._depth.reads - dropped, self._depth.payload_bytes - freed)
        self.dropped += dropped
        log.warning(
            "edge outbox %s is over its budget of %d MB: dropped the %d oldest unsent "
            "read(s) (%d dropped so far); the broker has been unreachable for a long time, "
            "restore the uplink or raise edge.outbox_budget_mb",
            self.path,
            self.budget_bytes // (1024 * 1024),
            dropped,
            self.dropped,
        )

    def peek(self, limit: int, *, wait_s: float = 0.0) -> list[QueuedRead]:
        """The oldest `limit` queued reads, waiting up to `wait_s` for one to arrive."""
        with self._lock:
            if self._depth.reads == 0 and wait_s > 0:
                self._has_work.wait(wait_s)
            rows = self._db.execute(
                "SELECT seq, read_id, key, payload FROM outbox ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [QueuedRead(*row) for row in rows]

    def remove(self, sent: list[QueuedRead]) -> None:
        """Forget reads the broker acknowledged (some may already be dropped: no matter)."""
        if not sent:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                removed = self._db.execute(
                    "DELETE FROM outbox WHERE seq BETWEEN ? AND ? RETURNING length(payload)",
                    (sent[0].seq, sent[-1].seq),
                ).fetchall()
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise
            self._depth = OutboxDepth(
                self._depth.reads - len(removed),
                self._depth.payload_bytes - sum(r[0] for r in removed),
            )

    def wake(self) -> None:
        """Release a forwarder waiting in peek (on shutdown)."""
        with self._lock:
            self._has_work.notify_all()

    def close(self) -> None:
        with self._lock:
            self._db.close()
