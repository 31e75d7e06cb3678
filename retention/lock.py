"""One purge at a time, on either database, released by the kernel if the holder dies.

PostgreSQL: a session advisory lock on a dedicated connection; the server drops it when the
connection closes, however the process ended. SQLite: an exclusive `flock` on a file beside the
database, which the kernel drops with the process. Neither needs a stale-lock timeout.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text

_PG_PURGE_LOCK = 7_246_101


class PurgeAlreadyRunningError(RuntimeError):
    """Another purge holds the lock; `holder` says which process, as far as it is known."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"another retention purge is running ({holder}); not starting a second")
        self.holder = holder


def process_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _sqlite_lock_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        msg = "the retention lock needs a SQLite file database, not an in-memory one"
        raise ValueError(msg)
    return Path(database).with_name(Path(database).name + ".retention.lock")


def _try_flock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def _sqlite_lock(engine: Engine, wait_s: float) -> Iterator[None]:
    path = _sqlite_lock_path(engine)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + wait_s
        while not _try_flock(handle):
            if time.monotonic() >= deadline:
                handle.seek(0)
                raise PurgeAlreadyRunningError(handle.read().strip() or f"lock file {path}")
            time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {process_label()} since {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _pg_holder(conn: Connection) -> str:
    row = conn.execute(
        text(
            "SELECT a.pid, a.application_name, a.client_addr, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :k"
        ),
        {"k": _PG_PURGE_LOCK},
    ).first()
    if row is None:
        return "holder unknown"
    name = row.application_name or f"server pid {row.pid}"
    return f"{name}, connected since {row.backend_start:%Y-%m-%dT%H:%M:%S%z}"


@contextmanager
def _pg_lock(engine: Engine, wait_s: float) -> Iterator[None]:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(
            text("SELECT set_config('application_name', :n, false)"),
            {"n": f"platewatch retention purge {process_label()}"[:63]},
        )
        deadline = time.monotonic() + wait_s
        while not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_PURGE_LOCK}):
            if time.monotonic() >= deadline:
                raise PurgeAlreadyRunningError(_pg_holder(conn))
            time.sleep(0.1)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_PURGE_LOCK})


@contextmanager
def purge_lock(engine: Engine, *, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the retention lock for the block; raise PurgeAlreadyRunningError after `wait_s`."""
    backend = engine.dialect.name
    if backend == "postgresql":
        with _pg_lock(engine, wait_s):
            yield
    elif backend == "sqlite":
        with _sqlite_lock(engine, wait_s):
            yield
    else:
        msg = f"retention lock: database {backend!r} is not supported; use PostgreSQL or SQLite"
        raise ValueError(msg)
