"""Digests of the live rows the retention promise depends on, one per group.

A group is the reads captured on one UTC day (`day:2025-03-01`), or one site with its retention
settings and cameras, each with its own image retention if it has one (`site:3`). A group's digest
at a cut is the SHA-256 of one JSON line per row that arrived (`received_at`, `created_at`) at or
before the cut, in byte order, each followed by a newline; so rows arriving later leave it alone and
a signed digest keeps proving the rows that were there. A read's line holds its id, capture and
arrival times (UTC text, `YYYY-MM-DD HH:MM:SS.ffffff`, the same on both databases), camera, site,
resident and hit flags and its image paths; a purged read's paths are the ones its purge journalled,
so a purge leaves the digest as it was, and clearing or setting the purge mark changes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, String, func, select, type_coerce
from sqlalchemy.orm import QueryableAttribute, Session

from store.tables import Camera, PlateReadRow, RetentionPurgedRead, Site

EMPTY = hashlib.sha256(b"").hexdigest()
_STREAM = 10_000
_STAMP = "%Y-%m-%d %H:%M:%S.%f"
_JSON = json.JSONEncoder(separators=(",", ":"))


class Line(NamedTuple):
    """One row as hashed: its JSON line, and when it arrived as `stamp` text (a tuple: lines
    sort by their text)."""

    text: bytes
    arrived: str


@dataclass(frozen=True)
class Tally:
    count: int
    digest: str


@dataclass(frozen=True)
class Group:
    key: str
    lines: tuple[Line, ...]

    def tally(self, cut: datetime) -> Tally:
        """The digest of the rows that had arrived at `cut`."""
        upto = stamp(cut)
        texts = [line.text for line in sorted(self.lines) if line.arrived <= upto]
        body = b"\n".join(texts) + b"\n" if texts else b""
        return Tally(len(texts), hashlib.sha256(body).hexdigest())


def day_key(day: date) -> str:
    return f"day:{day.isoformat()}"


def site_key(site_id: int) -> str:
    return f"site:{site_id}"


def stamp(value: datetime) -> str:
    """A time as the fixed-width UTC text rows are hashed with (it sorts as the time does)."""
    return value.astimezone(UTC).strftime(_STAMP)


def _stamped(column: QueryableAttribute[datetime], dialect: str) -> ColumnElement[str]:
    """The column as `stamp` text, made by the database: converting a million datetimes in
    Python would cost more than hashing them."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS.US")
    return type_coerce(column, String)  # SQLite stores exactly this text


def _line(arrived: str, *fields: str | int | bool | None) -> Line:
    return Line(_JSON.encode(fields).encode(), arrived)


def _reads(session: Session) -> Select[*tuple[Any, ...]]:
    read, item = PlateReadRow, RetentionPurgedRead
    dialect = session.get_bind().dialect.name
    return select(
        read.read_id,
        _stamped(read.captured_at, dialect),
        _stamped(read.received_at, dialect),
        read.camera_id,
        read.site_id,
        read.resident,
        read.has_hit,
        read.crop_path,
        read.frame_path,
        read.images_purged_at.is_not(None),
        item.crop_path,
        item.frame_path,
    ).outerjoin(item, item.read_id == read.read_id)


def _read_line(row: Any) -> tuple[str, Line]:
    (read_id, captured, received, camera, site, resident, hit, crop, frame, purged) = row[:10]
    if purged:
        crop, frame = row[10], row[11]  # what the purge journalled: the read forgot them
    line = _line(received, read_id, captured, received, camera, site, resident, hit, crop, frame)
    return f"day:{captured[:10]}", line


def _grouped(rows: Iterator[tuple[str, Line]]) -> Iterator[Group]:
    """Consecutive rows of one key as one group (the rows come in capture order)."""
    key: str | None = None
    lines: list[Line] = []
    for row_key, line in rows:
        if row_key != key and key is not None:
            yield Group(key, tuple(lines))
            lines = []
        key = row_key
        lines.append(line)
    if key is not None:
        yield Group(key, tuple(lines))


def all_day_groups(session: Session) -> Iterator[Group]:
    """Every capture day that has reads, in one pass in capture order."""
    query = _reads(session).order_by(PlateReadRow.captured_at)
    # Core rows, streamed: ORM result processing would double the cost of a full pass.
    rows = session.connection().execute(query.execution_options(yield_per=_STREAM))
    return _grouped(_read_line(row) for row in rows)


def day_groups(session: Session, days: Collection[date]) -> list[Group]:
    """The groups of these capture days (empty days too), each read through the time index."""
    found = []
    for day in sorted(days):
        start = datetime.combine(day, time(), UTC)
        query = _reads(session).where(
            PlateReadRow.captured_at >= start, PlateReadRow.captured_at < start + timedelta(days=1)
        )
        lines = tuple(_read_line(row)[1] for row in session.connection().execute(query))
        found.append(Group(day_key(day), lines))
    return found


def site_groups(session: Session, site_ids: Collection[int] | None = None) -> list[Group]:
    """Each site's retention settings and its cameras (which decide a siteless read's site), with
    each camera's own image retention. A camera without one hashes as cameras did before they
    could have one, so a checkpoint signed then still verifies."""
    sites = select(
        Site.id, Site.image_retention_days, Site.resident_retention_hours, Site.created_at
    )
    cameras = select(Camera.id, Camera.site_id, Camera.created_at, Camera.image_retention_days)
    if site_ids is not None:
        sites = sites.where(Site.id.in_(site_ids))
        cameras = cameras.where(Camera.site_id.in_(site_ids))
    lines: dict[int, list[Line]] = {site_id: [] for site_id in site_ids or ()}
    for site_id, days, hours, created in session.execute(sites):
        line = _line(stamp(created), "site", site_id, days, hours, stamp(created))
        lines.setdefault(site_id, []).append(line)
    for camera_id, site_id, created, days in session.execute(cameras):
        fields = (camera_id, site_id, stamp(created), *(() if days is None else (days,)))
        lines.setdefault(site_id, []).append(_line(stamp(created), "camera", *fields))
    return [Group(site_key(site_id), tuple(found)) for site_id, found in sorted(lines.items())]


def arrivals(session: Session, after: datetime, upto: datetime) -> set[str]:
    """The groups that rows arrived in during (after, upto]: only those can have changed."""
    read = PlateReadRow
    keys = {
        day_key(captured.date())
        for (captured,) in session.execute(
            select(read.captured_at).where(read.received_at > after, read.received_at <= upto)
        )
    }
    sites = select(Site.id).where(Site.created_at > after, Site.created_at <= upto)
    cameras = select(Camera.site_id).where(Camera.created_at > after, Camera.created_at <= upto)
    for query in (sites, cameras):
        keys |= {site_key(site_id) for (site_id,) in session.execute(query)}
    return keys


def parse_key(key: str) -> str:
    """A group key as given on the command line, checked; raises ValueError saying the form."""
    kind, _, value = key.partition(":")
    try:
        if kind == "day":
            return day_key(date.fromisoformat(value))
        if kind == "site" and value.isdigit():
            return site_key(int(value))
    except ValueError:
        pass
    msg = f"{key!r} is not a group: give day:YYYY-MM-DD (a UTC capture day) or site:ID"
    raise ValueError(msg)


def groups_of(session: Session, keys: Collection[str]) -> list[Group]:
    """The named groups, as they are now."""
    days = {date.fromisoformat(k.removeprefix("day:")) for k in keys if k.startswith("day:")}
    sites = {int(k.removeprefix("site:")) for k in keys if k.startswith("site:")}
    return [*day_groups(session, days), *(site_groups(session, sites) if sites else [])]
