"""Writing a million hotlist entries fast: COPY on PostgreSQL, executemany on SQLite.

Both run inside the caller's transaction, so a `--replace` refresh (delete, then load) commits
as one unit and readers keep seeing the old list until it does.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import compress, islice, repeat
from typing import Any

from sqlalchemy import Index, delete, func, select
from sqlalchemy.orm import Session

from hotlist.parse import HotlistRow
from store.base import utcnow
from store.tables import HotlistEntry

Progress = Callable[[int], None]
_BATCH = 50_000
_SQLITE_CACHE_KIB = 256 * 1024
# Below this many rows, or when the table already holds more, the index is kept as it is.
_REBUILD_AT = 100_000
_LIST_PLATE_INDEX: Index = next(
    i
    for i in HotlistEntry.metadata.tables["hotlist_entries"].indexes
    if i.name == "ix_hotlist_entries_list_plate"
)
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
    stored = _stored_entries(session, hotlist_id)
    keys = _feed_keys(rows, sqlite=session.get_bind().dialect.name == "sqlite")
    existing = dict(zip(map(_FIELDS_OF_STORED, stored), map(_ID_OF_STORED, stored), strict=True))
    if len(existing) != len(stored):
        return _replace_plan_with_repeats(stored, rows, keys)
    # Every key occurs once on each side (the parser rejects repeated rows): a dict probe
    # per row, mapped in C, says which rows are already stored under which id.
    found = list(map(existing.get, keys))
    new = list(compress(rows, map(operator.is_, found, repeat(None))))
    kept = set(found)
    kept.discard(None)
    stale = sorted(set(existing.values()) - kept)
    return stale, new, len(kept)


_ID_OF_STORED = operator.itemgetter(0)
_FIELDS_OF_STORED = operator.itemgetter(slice(1, None))


def _stored_entries(session: Session, hotlist_id: int) -> list[tuple[Any, ...]]:
    """(id, plate, state, ..., expires_at) of the list's entries, through the driver's own
    cursor: a million rows without a SQLAlchemy Row each. SQLite hands back its stored time
    text, so the feed's times are compared in that same form."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    sqlite = session.get_bind().dialect.name == "sqlite"
    where = "hotlist_id = %s"
    if sqlite:
        where = "hotlist_id = ?"
        if _most_of_table(session, hotlist_id):
            # SQLite would walk the list-plate index and jump to each row in plate order;
            # reading the table straight through is twice as fast when the list is most
            # of it (`+` keeps the planner off the index).
            where = "+hotlist_id = ?"
    statement = (
        f"SELECT id, {', '.join(_COLUMNS[1:-1])} FROM hotlist_entries "  # noqa: S608  (constants)
        f"WHERE {where}"
    )
    cursor = driver.cursor()
    try:
        cursor.execute(statement, (hotlist_id,))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _most_of_table(session: Session, hotlist_id: int) -> bool:
    count = select(func.count()).select_from(HotlistEntry)
    total = session.execute(count).scalar_one()
    mine = session.execute(count.where(HotlistEntry.hotlist_id == hotlist_id)).scalar_one()
    return bool(mine * 4 > total)


def _feed_keys(rows: Sequence[HotlistRow], *, sqlite: bool) -> list[tuple[Any, ...]]:
    """Each row's fields in the form the database returns them."""
    if not rows:
        return []
    columns: list[Any] = list(zip(*rows, strict=True))[1:]
    if sqlite:
        times = _SqliteTimes()
        for k in (7, 8):  # entered_at, expires_at
            text = {value: times(value) for value in set(columns[k])}
            columns[k] = list(map(text.__getitem__, columns[k]))
    return list(zip(*columns, strict=True))


def _replace_plan_with_repeats(
    stored: list[tuple[Any, ...]], rows: Sequence[HotlistRow], keys: list[tuple[Any, ...]]
) -> tuple[list[int], list[HotlistRow], int]:
    """The plan when the list holds identical entries (added one by one): each feed row
    keeps one of them."""
    existing: dict[tuple[Any, ...], list[int]] = {}
    for entry_id, *fields in stored:
        existing.setdefault(tuple(fields), []).append(entry_id)
    new: list[HotlistRow] = []
    kept = 0
    for row, key in zip(rows, keys, strict=True):
        ids = existing.get(key)
        if ids:
            ids.pop()
            kept += 1
        else:
            new.append(row)
    stale = sorted(entry_id for ids in existing.values() for entry_id in ids)
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
    # One tuple per field (a transposition in C): every conversion below is then a map over
    # a column, and no Python code runs per row.
    columns = list(zip(*rows, strict=True))[1:]
    if session.get_bind().dialect.name == "postgresql":
        _copy_postgres(session, hotlist_id, columns, added, progress)
    else:
        _executemany(session, hotlist_id, columns, added, progress)
    return len(rows)


def _copy_postgres(
    session: Session,
    hotlist_id: int,
    columns: list[tuple[object, ...]],
    added: datetime,
    progress: Progress | None,
) -> None:
    """COPY in PostgreSQL's text format, built a block of rows at a time by joining
    columns: the server parses it in C, and psycopg only forwards the blocks."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    count = len(columns[0])
    names = ["hotlist_id"]
    fields: list[Iterable[str]] = [repeat(str(hotlist_id))]
    for name, column in zip(_COLUMNS[1:-1], columns, strict=True):
        if column.count(None) != count:  # a field no row has keeps its NULL default
            names.append(name)
            fields.append(_copy_column(column))
    names.append("added_at")
    fields.append(repeat(added.isoformat()))
    lines = map("\t".join, zip(*fields, strict=False))  # the repeats never run out
    statement = f"COPY hotlist_entries ({', '.join(names)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, count, _BATCH):
            block = islice(lines, min(_BATCH, count - start))
            copy.write("\n".join(block) + "\n")
            if progress is not None:
                progress(min(start + _BATCH, count))


_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def _copy_column(values: Sequence[Any]) -> Sequence[str]:
    """One column in COPY text form: NULL as \\N, times in ISO 8601, and backslashes, tabs
    and line breaks escaped (only a free-text column can hold them). Each distinct value is
    converted once; a column of plain text goes through as it is."""
    distinct = set(values)
    null = None in distinct
    distinct.discard(None)
    text = all(type(v) is str for v in islice(distinct, 1000))
    if text and not null and not _COPY_SPECIAL.search("".join(distinct)):
        return values
    if len(distinct) <= 100_000:
        converted = {v: _copy_text(v) for v in distinct}
        converted[None] = "\\N"
        return list(map(converted.__getitem__, values))
    return list(map(_copy_text, values))


def _copy_text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if _COPY_SPECIAL.search(text):
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _executemany(
    session: Session,
    hotlist_id: int,
    columns: list[tuple[object, ...]],
    added: datetime,
    progress: Progress | None,
) -> None:
    # The DB-API executemany over an iterator of plain tuples: SQLAlchemy's per-value bind
    # processing would cost more than SQLite's own work. Times are written the way
    # UTCDateTime stores them.
    driver = session.connection().connection.driver_connection
    assert driver is not None
    count = len(columns[0])
    times = _SqliteTimes()
    for k in (7, 8):  # entered_at, expires_at
        text = {value: times(value) for value in set(columns[k])}  # type: ignore[arg-type]
        columns[k] = tuple(map(text.__getitem__, columns[k]))
    names, values, bound = _sqlite_values(
        [hotlist_id, *columns, times(added)], count, constant={0, len(columns) + 1}
    )
    statement = (
        f"INSERT INTO hotlist_entries ({', '.join(names)}) "  # noqa: S608  (checked literals)
        f"VALUES ({', '.join(values)})"
    )
    # With nothing left to bind (one row, or all rows alike), each row is an empty tuple.
    rows = zip(*bound, strict=True) if bound else repeat((), count)
    cursor = driver.cursor()
    try:
        for start in range(0, count, _BATCH):
            cursor.executemany(statement, islice(rows, min(_BATCH, count - start)))
            if progress is not None:
                progress(min(start + _BATCH, count))
    finally:
        cursor.close()


_SAFE_LITERAL = re.compile(r"[A-Za-z0-9_ :.\-]{0,40}")


def _sqlite_values(
    fields: list[Any], count: int, *, constant: set[int]
) -> tuple[list[str], list[str], list[Sequence[object]]]:
    """(column names, VALUES items, the columns still bound per row). Binding a parameter
    is most of SQLite's cost per row, so a column with one value in every row (the list,
    the load time, often the reason; NULL for fields a feed does not carry) goes into the
    statement once: as a literal when it is a number or plain text that needs no quoting
    care, or left to its NULL default."""
    names: list[str] = []
    values: list[str] = []
    bound: list[Sequence[object]] = []
    for k, (name, field) in enumerate(zip(_COLUMNS, fields, strict=True)):
        only = field if k in constant else _only_value(field, count)
        if only is _BIND:
            names.append(name)
            values.append("?")
            bound.append(field)
        elif only is not None:
            names.append(name)
            values.append(str(only) if isinstance(only, int) else f"'{only}'")
    return names, values, bound


_BIND = object()


def _only_value(column: Sequence[object], count: int) -> object:
    """The value every row of the column has, if it is None, an int or plain text;
    otherwise _BIND."""
    if not count or column.count(column[0]) != count:
        return _BIND
    value = column[0]
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, str) and _SAFE_LITERAL.fullmatch(value):
        return value
    return _BIND


@contextmanager
def bulk_load(session: Session, incoming: int, *, removing: int = 0) -> Iterator[None]:
    """Around deleting `removing` entries and inserting `incoming`. On SQLite, a large load
    gets a big page cache, and when the new rows will be most of the table the list-plate
    index is dropped and built once afterwards (a sort) instead of being updated row by
    row. SQLite's DDL is transactional: other connections keep seeing the old table and its
    index until the caller commits. PostgreSQL is left alone (dropping an index there would
    lock out every reader for the whole load)."""
    if session.get_bind().dialect.name != "sqlite" or incoming < _REBUILD_AT:
        yield
        return
    connection = session.connection()
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size = {-_SQLITE_CACHE_KIB}")
    existing = session.execute(select(func.count()).select_from(HotlistEntry)).scalar_one()
    rebuild = incoming > existing - removing
    try:
        if rebuild:
            _LIST_PLATE_INDEX.drop(connection)
        yield
        if rebuild:
            _LIST_PLATE_INDEX.create(connection)
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")


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
