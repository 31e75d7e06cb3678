"""Residents' safe lists: plates a site's own cameras should treat as residents.

A safe-listed read is tagged resident: the site's own watch lists stay silent for it, officers'
searches skip it and its images follow the site's short resident retention. It never silences
an agency hotlist hit (a resident's car can be stolen). Changes bump `Site.safelist_version`
so running matchers reload the list, and are audited without the plates (the audit log is
kept for good; residents' plates should not be).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from hotlist.errors import ImportRejectedError
from hotlist.parse import SAFELIST_FIELDS, RowError, SafelistRow, Source, parse_safelist_csv
from org.registry import get_site
from store.audit import record_audit
from store.audit_details import (
    SafelistAddDetail,
    SafelistImportDetail,
    SafelistRemoveDetail,
    SafelistUpdateDetail,
)
from store.base import utcnow
from store.spreadsheet import SpreadsheetWriter, safe_cell
from store.tables import SafelistEntry, Site


@dataclass(frozen=True)
class SafelistImportReport:
    site: str
    rows: int
    added: int
    updated: int
    removed: int
    skipped_invalid: int
    errors: tuple[RowError, ...]


def _touch(site: Site) -> None:
    site.safelist_version = Site.safelist_version + 1


def _upsert(session: Session, site: Site, row: SafelistRow, added_by: str) -> bool:
    """Add or update one entry; True if it was new."""
    entry = session.scalar(
        select(SafelistEntry).where(
            SafelistEntry.site_id == site.id,
            SafelistEntry.plate == row.plate,
            SafelistEntry.state.is_(None)
            if row.state is None
            else SafelistEntry.state == row.state,
        )
    )
    if entry is None:
        session.add(
            SafelistEntry(
                site_id=site.id,
                plate=row.plate,
                state=row.state,
                label=row.label,
                added_by=added_by,
                expires_at=row.expires_at,
            )
        )
        return True
    entry.label = row.label
    entry.expires_at = row.expires_at
    return False


WRITE_CHUNK = 5_000
# Told (rows written so far, rows to write) after each chunk of an import.
Progress = Callable[[int, int], None]


def _upsert_all(
    session: Session,
    site: Site,
    rows: Sequence[SafelistRow],
    added_by: str,
    progress: Progress | None = None,
) -> int:
    """Add or update every row in a few statements per chunk, not a query per row (a
    100k-row file); returns how many were new. The caller's transaction holds every chunk."""
    existing = {
        (entry.plate, entry.state): entry
        for entry in session.scalars(select(SafelistEntry).where(SafelistEntry.site_id == site.id))
    }
    now = utcnow()
    added = 0
    for start in range(0, len(rows), WRITE_CHUNK):
        new: dict[tuple[str, str | None], dict[str, object]] = {}
        for row in rows[start : start + WRITE_CHUNK]:
            key = (row.plate, row.state)
            entry = existing.get(key)
            if entry is not None:
                entry.label = row.label
                entry.expires_at = row.expires_at
                continue
            # The parser makes a repeated plate and state a row error, so keys never repeat
            # across chunks.
            new[key] = {
                "site_id": site.id,
                "plate": row.plate,
                "state": row.state,
                "label": row.label,
                "added_by": added_by,
                "expires_at": row.expires_at,
                "added_at": now,
            }
        if new:
            session.execute(insert(SafelistEntry), list(new.values()))
            added += len(new)
        if progress is not None:
            session.flush()
            progress(min(start + WRITE_CHUNK, len(rows)), len(rows))
    return added


def add_safelist_entry(
    session: Session,
    site: str | int,
    plate: str,
    *,
    state: str = "",
    label: str = "",
    expires_at: str = "",
    added_by: str,
) -> SafelistEntry:
    """Add (or update the label and expiry of) one resident plate."""
    owner = get_site(session, site)
    parsed = parse_safelist_csv(_one_row(plate, state, label, expires_at))
    if parsed.errors:
        msg = "; ".join(f"{e.field}: {e.reason}" if e.field else e.reason for e in parsed.errors)
        raise ValueError(msg)
    row = parsed.rows[0]
    new = _upsert(session, owner, row, added_by)
    _touch(owner)
    session.flush()
    record_audit(
        session,
        actor=added_by,
        subject=f"site:{owner.id}",
        detail=(SafelistAddDetail if new else SafelistUpdateDetail)(site=owner.name, entries=1),
    )
    entry = session.scalar(
        select(SafelistEntry).where(
            SafelistEntry.site_id == owner.id,
            SafelistEntry.plate == row.plate,
            SafelistEntry.state.is_(None)
            if row.state is None
            else SafelistEntry.state == row.state,
        )
    )
    assert entry is not None
    return entry


def _one_row(plate: str, state: str, label: str, expires_at: str) -> str:
    def quote(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    # The label goes in as an export writes it, so the parser's undoing of a neutralised
    # cell gives back exactly what was typed (a typed `'=x` stays `'=x`).
    values = (plate, state, safe_cell(label.strip()), expires_at)
    return "plate,state,label,expires_at\n" + ",".join(quote(v) for v in values) + "\n"


def remove_safelist_entry(
    session: Session,
    site: str | int,
    plate: str,
    *,
    state: str | None = None,
    actor: str,
) -> int:
    """Remove a resident plate (every state, unless one is given); returns how many."""
    owner = get_site(session, site)
    statement = delete(SafelistEntry).where(
        SafelistEntry.site_id == owner.id, SafelistEntry.plate == _plate_key(plate)
    )
    if state:
        statement = statement.where(SafelistEntry.state == state.strip().upper())
    result = session.execute(statement.execution_options(synchronize_session=False))
    removed = int(getattr(result, "rowcount", 0) or 0)
    if removed:
        _touch(owner)
        session.flush()
        record_audit(
            session,
            actor=actor,
            subject=f"site:{owner.id}",
            detail=SafelistRemoveDetail(site=owner.name, entries=removed),
        )
    return removed


def _plate_key(plate: str) -> str:
    return "".join(ch for ch in plate.upper() if ch.isalnum())


def import_safelist(
    session: Session,
    source: Source,
    *,
    site: str | int,
    added_by: str,
    replace: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> SafelistImportReport:
    """Load a safe-list CSV (plate, state, label, expires_at) for a site; `progress` hears
    how many rows are written, chunk by chunk."""
    owner = get_site(session, site)
    parsed = parse_safelist_csv(source)
    if parsed.errors and not skip_invalid:
        msg = (
            f"{len(parsed.errors)} of {parsed.total} rows are invalid; nothing was imported "
            "(fix them, or pass --skip-invalid to import the rest)"
        )
        raise ImportRejectedError(msg, parsed.errors, parsed.total)
    if progress is not None:
        progress(0, len(parsed.rows))
    removed = 0
    if replace:
        result = session.execute(
            delete(SafelistEntry)
            .where(SafelistEntry.site_id == owner.id)
            .execution_options(synchronize_session=False)
        )
        removed = int(getattr(result, "rowcount", 0) or 0)
    added = _upsert_all(session, owner, parsed.rows, added_by, progress)
    _touch(owner)
    session.flush()
    record_audit(
        session,
        actor=added_by,
        subject=f"site:{owner.id}",
        detail=SafelistImportDetail(
            site=owner.name,
            added=added,
            replace=replace,
            updated=len(parsed.rows) - added,
            removed=removed,
        ),
    )
    return SafelistImportReport(
        owner.name,
        parsed.total,
        added,
        len(parsed.rows) - added,
        removed,
        len(parsed.errors),
        parsed.errors,
    )


def safelist_entries(session: Session, site: str | int) -> list[SafelistEntry]:
    owner = get_site(session, site)
    return list(
        session.scalars(
            select(SafelistEntry)
            .where(SafelistEntry.site_id == owner.id)
            .order_by(SafelistEntry.plate)
        )
    )


def export_safelist(session: Session, site: str | int, out: TextIO) -> int:
    """Write the safe list as CSV in the import's format; labels that look like formulas
    are neutralised (store.spreadsheet) and import back as they were."""
    writer = SpreadsheetWriter(out, lineterminator="\n")
    writer.writerow(SAFELIST_FIELDS)
    entries = safelist_entries(session, site)
    for e in entries:
        writer.writerow(
            [
                e.plate,
                e.state or "",
                e.label,
                e.expires_at.isoformat() if isinstance(e.expires_at, datetime) else "",
            ]
        )
    return len(entries)
