"""Push for the live feed on PostgreSQL: the matcher's `NOTIFY platewatch_alerts` (sent in the
alert's own transaction, so delivered only once it commits) wakes the feed's poller at once
instead of at its next interval. SQLite has no notifications; there the poller just polls.

The listener is a thread with its own psycopg connection; losing it costs latency, never an
alert, because the poller still polls (the notification only says "look now").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import URL

from hotlist.wire import ALERTS_CHANNEL

logger = logging.getLogger(__name__)
RECONNECT_S = 2.0


class PgWakeup:
    def __init__(self, url: URL, wake: Callable[[], None]) -> None:
        # psycopg takes a libpq URL: the SQLAlchemy driver suffix is not part of it.
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feed-wakeup", daemon=True)
        self.notifications = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {ALERTS_CHANNEL}")
                    self._wake()  # anything committed while we were not listening
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self.notifications += 1
                            self._wake()
            except psycopg.Error:
                logger.warning(
                    "feed push listener lost its connection; polling meanwhile", exc_info=True
                )
                self._stop.wait(RECONNECT_S)
