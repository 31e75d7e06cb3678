"""Waking the live feed the moment an alert commits, instead of at its next poll.

PostgreSQL: the matcher's `NOTIFY platewatch_alerts` (sent in the alert's own transaction, so
delivered only once it commits) wakes the feed's poller. SQLite has no notifications, but the
matcher and the console share one database file on one machine, and `PRAGMA data_version`
changes when another connection commits: a thread asks for it every few milliseconds (a read
of the shared-memory WAL index, no table is touched) and wakes the poller when it moved.

Each waker is a thread with its own connection; losing it costs latency, never an alert,
because the poller still polls (a wake-up only says "look now").
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL

from hotlist.wire import ALERTS_CHANNEL

logger = logging.getLogger(__name__)
RECONNECT_S = 2.0


class _Waker:
    """A thread that wakes the feed whenever its connection says something committed, and
    reconnects (the feed polling meanwhile) when it loses that connection."""

    lost: tuple[type[Exception], ...] = ()

    def __init__(self, wake: Callable[[], None], where: str) -> None:
        self._wake = wake
        self._where = where
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feed-wakeup", daemon=True)
        self.wakes = 0  # how often it woke the feed

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _woken(self) -> None:
        self.wakes += 1
        self._wake()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._watch()
            except self.lost:
                logger.warning(
                    "feed wake-up lost its connection to %s; polling meanwhile",
                    self._where,
                    exc_info=True,
                )
                self._stop.wait(RECONNECT_S)

    def _watch(self) -> None:
        raise NotImplementedError


class PgWakeup(_Waker):
    lost = (psycopg.Error,)

    def __init__(self, url: URL, wake: Callable[[], None]) -> None:
        super().__init__(wake, url.render_as_string(hide_password=True))
        # psycopg takes a libpq URL: the SQLAlchemy driver suffix is not part of it.
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)

    def _watch(self) -> None:
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            conn.execute(f"LISTEN {ALERTS_CHANNEL}")
            self._wake()  # anything committed while we were not listening
            while not self._stop.is_set():
                for _ in conn.notifies(timeout=0.5, stop_after=1):
                    self._woken()


class SqliteWakeup(_Waker):
    lost = (sqlite3.Error,)

    def __init__(self, path: Path, wake: Callable[[], None], check_s: float) -> None:
        super().__init__(wake, str(path))
        self._path = path
        self._check_s = check_s

    def _watch(self) -> None:
        # Autocommit: each pragma is its own read, so it sees every commit made since the last.
        db = sqlite3.connect(self._path, isolation_level=None)
        try:
            version = db.execute("PRAGMA data_version").fetchone()[0]
            self._wake()  # anything committed before we watched
            while not self._stop.wait(self._check_s):
                now = db.execute("PRAGMA data_version").fetchone()[0]
                if now != version:
                    version = now
                    self._woken()
        finally:
            db.close()
