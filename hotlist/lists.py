"""Hotlists and their entries: create, import (append or replace), add, remove, export.

Every change to a list's entries bumps `Hotlist.version` in the same transaction: running
matchers compare versions and rebuild their index, so a refresh reaches them without a
restart, and never half-loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotlist.bulk import bulk_load, delete_entries, delete_ids, insert_entries, replace_plan
from hotlist.errors import ImportRejectedError
from hotlist.historical import HistoryCheck, check_history
from hotlist.parse import (
    HOTLIST_FIELDS,
    Format,
    HotlistRow,
    ParseResult,
    RowError,
    Source,
    parse_hotlist,
    paused_gc,
)
from org.registry import get_agency, get_site
from store.base import utcnow
from store.errors import AlreadyExistsError, NotFoundError
from store.spreadsheet import SpreadsheetWriter, safe_cell
from store.tables import Hotlist, HotlistEntry

SOURCES = ("ncic", "state", "agency", "site", "custom")
# (stage, done, total): "parse" then "write"; the CLI draws it as a progress bar.
ImportProgress = Callable[[str, int, int], None]
# The default of every path that adds entries: new entries are looked for among stored reads.
CHECK_HISTORY = HistoryCheck()


@dataclass(frozen=True)
class ImportReport:
    list_name: str
    created: bool  # the list did not exist and was created by this import
    rows: int  # data rows in the file
    imported: int
    skipped_invalid: int
    unchanged: int  # already on the list, left as they were
    removed: int  # entries a replace took off the list
    errors: tuple[RowError, ...]
    historical_alerts: int = 0  # raised from stored reads of the new entries (hotlist.historical)


@dataclass(frozen=True)
class HotlistSummary:
    id: int
    name: str
    source: str
    priority: int
    entries: int
    version: int
    refreshed_at: datetime | None
    owner_agency_id: int | None
    owner_site_id: int | None


def create_hotlist(
    session: Session,
    name: str,
    *,
    source: str = "custom",
    priority: int = 1,
    owner_agency: str | int | None = None,
    owner_site: str | int | None = None,
    description: str = "",
) -> Hotlist:
    """A new, empty list. A site-owned list is that site's own watch list."""
    name = name.strip()
    if not name:
        msg = "hotlist name must not be empty"
        raise ValueError(msg)
    if source not in SOURCES:
        msg = f"hotlist source {source!r} is not one of {', '.join(SOURCES)}"
        raise ValueError(msg)
    if not 1 <= priority <= 9:
        msg = f"priority {priority} is outside 1 (highest) to 9"
        raise ValueError(msg)
    if session.scalar(select(Hotlist.id).where(Hotlist.name == name)) is not None:
        msg = f"hotlist {name!r} already exists"
        raise AlreadyExistsError(msg)
    hotlist = Hotlist(
        name=name,
        source=source,
        priority=priority,
        description=description,
        owner_agency_id=get_agency(session, owner_agency).id if owner_agency else None,
        owner_site_id=get_site(session, owner_site).id if owner_site else None,
    )
    session.add(hotlist)
    session.flush()
    return hotlist


def get_hotlist(session: Session, name: str | int) -> Hotlist:
    found = None
    if isinstance(name, int) or name.isdigit():
        found = session.get(Hotlist, int(name))
    if found is None:
        found = session.scalar(select(Hotlist).where(Hotlist.name == str(name)))
    if found is None:
        msg = f"no hotlist {name!r}; see `platewatch hotlist list`"
        raise NotFoundError(msg)
    return found


def touch(hotlist: Hotlist, *, refreshed: bool = False) -> None:
    """Mark a change of entries: matchers rebuild when the version moves."""
    hotlist.version = Hotlist.version + 1
    if refreshed:
        hotlist.refreshed_at = utcnow()


def import_hotlist(
    session: Session,
    source: Source,
    *,
    list_name: str,
    fmt: Format = "csv",
    columns: dict[str, str] | None = None,
    delimiter: str | None = None,
    replace: bool = False,
    skip_invalid: bool = False,
    list_source: str = "custom",
    progress: ImportProgress | None = None,
    history: HistoryCheck | None = CHECK_HISTORY,
) -> ImportReport:
    """Validate a feed and load it. With errors and without `skip_invalid`, nothing is
    written and ImportRejectedError lists every bad row. The new entries are looked for among
    the stored reads (`history`; None skips it, for a bulk load that must not alert)."""

    def parse_progress(done: int) -> None:
        if progress is not None:
            progress("parse", done, done)

    parsed = parse_hotlist(
        source, fmt=fmt, columns=columns, delimiter=delimiter, progress=parse_progress
    )
    if parsed.errors and not skip_invalid:
        msg = (
            f"{len(parsed.errors)} of {parsed.total} rows are invalid; nothing was imported "
            "(fix them, or pass --skip-invalid to import the rest)"
        )
        raise ImportRejectedError(msg, parsed.errors, parsed.total)
    created = False
    try:
        hotlist = get_hotlist(session, list_name)
    except NotFoundError:
        hotlist = create_hotlist(session, list_name, source=list_source)
        created = True
    return _load(
        session,
        hotlist,
        parsed,
        replace=replace,
        created=created,
        progress=progress,
        history=history,
    )


def _load(
    session: Session,
    hotlist: Hotlist,
    parsed: ParseResult[HotlistRow],
    *,
    replace: bool,
    created: bool,
    progress: ImportProgress | None,
    history: HistoryCheck | None,
) -> ImportReport:
    rows: tuple[HotlistRow, ...] | list[HotlistRow] = parsed.rows
    stale: list[int] = []
    whole = unchanged = 0
    with paused_gc():
        if replace and not created:
            stale, rows, unchanged = replace_plan(session, hotlist.id, parsed.rows)
            if len(stale) > unchanged:
                # Mostly new: clearing the list and loading it whole is the faster swap.
                whole, stale = len(stale) + unchanged, []
                rows, unchanged = parsed.rows, 0
        elif not created:
            rows = _new_rows(session, hotlist.id, parsed.rows)
            unchanged = len(parsed.rows) - len(rows)

        def write_progress(done: int) -> None:
            if progress is not None:
                progress("write", done, len(rows))

        with bulk_load(session, len(rows), removing=whole + len(stale)):
            removed = delete_entries(session, hotlist.id) if whole else delete_ids(session, stale)
            # Taken after the deletes: SQLite hands a deleted highest id out again.
            watermark = session.scalar(select(func.max(HotlistEntry.id))) or 0
            imported = insert_entries(session, hotlist.id, rows, write_progress)
    touch(hotlist, refreshed=True)
    session.flush()
    raised = 0
    if history is not None and imported:
        found = check_history(session, hotlist, HotlistEntry.id > watermark, history)
        raised = len(found.alert_ids)
    return ImportReport(
        hotlist.name,
        created,
        parsed.total,
        imported,
        len(parsed.errors),
        unchanged,
        removed,
        parsed.errors,
        raised,
    )


def _new_rows(session: Session, hotlist_id: int, rows: tuple[HotlistRow, ...]) -> list[HotlistRow]:
    """Rows not already on the list (same plate, state, record number and reason)."""
    existing = {
        (plate, state, record, reason)
        for plate, state, record, reason in session.execute(
            select(
                HotlistEntry.plate,
                HotlistEntry.state,
                HotlistEntry.record_number,
                HotlistEntry.reason,
            ).where(HotlistEntry.hotlist_id == hotlist_id)
        )
    }
    return [r for r in rows if (r.plate, r.state, r.record_number, r.reason) not in existing]


def add_entry(
    session: Session,
    list_name: str | int,
    *,
    plate: str,
    state: str = "",
    reason: str = "",
    make: str = "",
    model: str = "",
    color: str = "",
    record_number: str = "",
    entered_at: str = "",
    expires_at: str = "",
    history: HistoryCheck | None = CHECK_HISTORY,
) -> HotlistEntry:
    """Add one entry with the import's validation; ValueError names the bad field. The entry
    is looked for among the stored reads (`history`; None skips it)."""
    hotlist = get_hotlist(session, list_name)
    values = {
        "plate": plate,
        "state": state,
        "reason": reason,
        "make": make,
        "model": model,
        "color": color,
        "record_number": record_number,
        "entered_at": entered_at,
        "expires_at": expires_at,
    }
    parsed = parse_hotlist(_one_row_csv(values))
    if parsed.errors:
        msg = "; ".join(f"{e.field}: {e.reason}" if e.field else e.reason for e in parsed.errors)
        raise ValueError(msg)
    fields = parsed.rows[0]._asdict()
    del fields["line"]
    entry = HotlistEntry(hotlist_id=hotlist.id, **fields)
    session.add(entry)
    touch(hotlist)
    session.flush()
    if history is not None:
        check_history(session, hotlist, HotlistEntry.id == entry.id, history)
    return entry


_FREE_TEXT = frozenset({"make", "model", "color", "record_number"})


def _one_row_csv(values: dict[str, str]) -> str:
    def quote(field: str) -> str:
        # Free text goes in as an export writes it, so the parser's undoing of a neutralised
        # cell gives back exactly what was typed (a typed `'=x` stays `'=x`).
        text = safe_cell(values[field].strip()) if field in _FREE_TEXT else values[field]
        return '"' + text.replace('"', '""') + '"'

    return ",".join(HOTLIST_FIELDS) + "\n" + ",".join(map(quote, HOTLIST_FIELDS)) + "\n"


def remove_entries(
    session: Session, list_name: str | int, plate: str, state: str | None = None
) -> int:
    """Remove the list's entries for a plate (and state, if given); returns how many."""
    hotlist = get_hotlist(session, list_name)
    query = select(HotlistEntry).where(
        HotlistEntry.hotlist_id == hotlist.id, HotlistEntry.plate == plate.strip().upper()
    )
    if state:
        query = query.where(HotlistEntry.state == state.strip().upper())
    entries = session.scalars(query).all()
    for entry in entries:
        session.delete(entry)
    if entries:
        touch(hotlist)
    session.flush()
    return len(entries)


def hotlist_summaries(session: Session) -> list[HotlistSummary]:
    query = select(HotlistEntry.hotlist_id, func.count()).group_by(HotlistEntry.hotlist_id)
    counts: dict[int, int] = {int(row[0]): int(row[1]) for row in session.execute(query)}
    return [
        HotlistSummary(
            h.id,
            h.name,
            h.source,
            h.priority,
            counts.get(h.id, 0),
            h.version,
            h.refreshed_at,
            h.owner_agency_id,
            h.owner_site_id,
        )
        for h in session.scalars(select(Hotlist).order_by(Hotlist.priority, Hotlist.name))
    ]


def export_hotlist(session: Session, list_name: str | int, out: TextIO) -> int:
    """Write the list as CSV with the import's header; it imports back unchanged (cells that
    look like formulas are neutralised by store.spreadsheet, and the import undoes that)."""
    hotlist = get_hotlist(session, list_name)
    writer = SpreadsheetWriter(out, lineterminator="\n")
    writer.writerow(HOTLIST_FIELDS)
    count = 0
    query = (
        select(
            HotlistEntry.plate,
            HotlistEntry.state,
            HotlistEntry.reason,
            HotlistEntry.make,
            HotlistEntry.model,
            HotlistEntry.color,
            HotlistEntry.record_number,
            HotlistEntry.entered_at,
            HotlistEntry.expires_at,
        )
        .where(HotlistEntry.hotlist_id == hotlist.id)
        .order_by(HotlistEntry.id)
    )
    for row in session.execute(query.execution_options(yield_per=10_000)):
        writer.writerow([_cell(v) for v in row])
        count += 1
    return count


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
