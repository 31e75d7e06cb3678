"""Writing a million hotlist entries fast: COPY on PostgreSQL, executemany on SQLite.

Both run inside the caller's transaction, so a `--replace` refresh (delete, then load) commits
as one unit and readers keep seeing the old list until it does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from hotlist.parse import HotlistRow
from store.base import utcnow
from store.tables import HotlistEntry

Progress = Callable[[int], None]
_BATCH = 50_000
_COLUMNS = (
    "hotlist_id",
    "plate",
    "state",
    "reason",
    "make",
    "model",
    "color",
    "record_number",
    "entered_at",
    "expires_at",
    "added_at",
)


def delete_entries(session: Session, hotlist_id: int) -> int:
    result = session.execute(
        delete(HotlistEntry)
        .where(HotlistEntry.hotlist_id == hotlist_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def replace_plan(
    session: Session, hotlist_id: int, rows: Sequence[HotlistRow]
) -> tuple[list[int], list[HotlistRow], int]:
    """What a --replace must change: (ids of entries no longer in the feed, rows not yet on
    the list, entries left as they are). A daily feed changes a few percent of a list, so
    touching only those keeps the refresh short and keeps unchanged entries' ids (and the
    alerts that point at them)."""
    # Raw rows, without per-value type processing: SQLite hands back its stored time text,
    # so the feed's times are compared in that same form.
    sqlite = session.get_bind().dialect.name == "sqlite"
    stamp = _SqliteTimes()
    query = text(
        f"SELECT id, {', '.join(_COLUMNS[1:-1])} FROM hotlist_entries "  # noqa: S608  (constants)
        "WHERE hotlist_id = :list"
    )
    existing: dict[tuple[object, ...], list[int]] = {}
    for entry_id, *fields in session.execute(query, {"list": hotlist_id}):
        existing.setdefault(tuple(fields), []).append(entry_id)
    new: list[HotlistRow] = []
    kept = 0
    for row in rows:
        key = (*row[1:8], stamp(row.entered_at), stamp(row.expires_at)) if sqlite else row[1:]
        ids = existing.get(key)
        if ids:
            ids.pop()
            kept += 1
        else:
            new.append(row)
    stale = [entry_id for ids in existing.values() for entry_id in ids]
    return stale, new, kept


def delete_ids(session: Session, ids: Sequence[int]) -> int:
    for start in range(0, len(ids), 5_000):
        session.execute(
            delete(HotlistEntry)
            .where(HotlistEntry.id.in_(ids[start : start + 5_000]))
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def insert_entries(
    session: Session, hotlist_id: int, rows: Sequence[HotlistRow], progress: Progress | None = None
) -> int:
    """Insert rows into a list; returns how many were written."""
    if not rows:
        return 0
    added = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        _copy_postgres(session, hotlist_id, rows, added, progress)
    else:
        _executemany(session, hotlist_id, rows, added, progress)
    return len(rows)


def _copy_postgres(
    session: Session,
    hotlist_id: int,
    rows: Sequence[HotlistRow],
    added: datetime,
    progress: Progress | None,
) -> None:
    driver = session.connection().connection.driver_connection
    assert driver is not None
    statement = f"COPY hotlist_entries ({', '.join(_COLUMNS)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, len(rows), _BATCH):
            for row in rows[start : start + _BATCH]:
                copy.write_row((hotlist_id, *row[1:], added))
            if progress is not None:
                progress(min(start + _BATCH, len(rows)))


def _executemany(
    session: Session,
    hotlist_id: int,
    rows: Sequence[HotlistRow],
    added: datetime,
    progress: Progress | None,
) -> None:
    # The DB-API executemany with plain tuples: SQLAlchemy's per-value bind processing would
    # cost more than SQLite's own work. Times are written the way UTCDateTime stores them.
    driver = session.connection().connection.driver_connection
    assert driver is not None
    text = _SqliteTimes()
    statement = (
        f"INSERT INTO hotlist_entries ({', '.join(_COLUMNS)}) "  # noqa: S608  (constants)
        f"VALUES ({', '.join('?' * len(_COLUMNS))})"
    )
    stamp = text(added)
    cursor = driver.cursor()
    try:
        for start in range(0, len(rows), _BATCH):
            cursor.executemany(
                statement,
                [
                    (
                        hotlist_id,
                        r.plate,
                        r.state,
                        r.reason,
                        r.make,
                        r.model,
                        r.color,
                        r.record_number,
                        text(r.entered_at),
                        text(r.expires_at),
                        stamp,
                    )
                    for r in rows[start : start + _BATCH]
                ],
            )
            if progress is not None:
                progress(min(start + _BATCH, len(rows)))
    finally:
        cursor.close()


class _SqliteTimes:
    """UTC datetimes as SQLAlchemy's SQLite DateTime stores them (naive UTC text)."""

    def __init__(self) -> None:
        self._seen: dict[datetime, str] = {}

    def __call__(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        text = self._seen.get(value)
        if text is None:
            text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            self._seen[value] = text
        return text
