"""An HOA admin's safe list, always of their own site, through the hotlist stage's services
(the same validation as `platewatch safelist import`)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.errors import NotFound
from console.imports import ImportOutcome, ImportRejectedFileError, Progress
from console.schemas.imports import RowErrorPublic
from console.schemas.safelist import (
    SafelistEntryCreate,
    SafelistEntryPublic,
    SafelistEntryUpdate,
)
from hotlist.errors import ImportRejectedError
from hotlist.parse import RowError
from hotlist.safelists import (
    add_safelist_entry,
    export_safelist,
    import_safelist,
    remove_safelist_entry,
    safelist_entries,
)
from store.base import utcnow
from store.tables import SafelistEntry


def public(entry: SafelistEntry, now: datetime | None = None) -> SafelistEntryPublic:
    now = now or utcnow()
    view = SafelistEntryPublic.model_validate(entry)
    return view.model_copy(
        update={"expired": entry.expires_at is not None and entry.expires_at <= now}
    )


def entries(session: Session, site_id: int) -> list[SafelistEntryPublic]:
    now = utcnow()
    return [public(e, now) for e in safelist_entries(session, site_id)]


def _entry(session: Session, site_id: int, entry_id: int) -> SafelistEntry:
    entry = session.scalar(
        select(SafelistEntry).where(SafelistEntry.id == entry_id, SafelistEntry.site_id == site_id)
    )
    if entry is None:
        msg = f"no safe-list entry {entry_id} at your site"
        raise NotFound(msg)
    return entry


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def add(
    session: Session, site_id: int, body: SafelistEntryCreate, *, actor: str
) -> SafelistEntryPublic:
    """Add a resident plate; raises ValueError naming the bad field."""
    entry = add_safelist_entry(
        session,
        site_id,
        body.plate,
        state=body.state,
        label=body.label,
        expires_at=_iso(body.expires_at),
        added_by=actor,
    )
    return public(entry)


def update(
    session: Session, site_id: int, entry_id: int, body: SafelistEntryUpdate, *, actor: str
) -> SafelistEntryPublic:
    entry = _entry(session, site_id, entry_id)
    label = entry.label if body.label is None else body.label
    expires = None if body.clear_expiry else (body.expires_at or entry.expires_at)
    updated = add_safelist_entry(
        session,
        site_id,
        entry.plate,
        state=entry.state or "",
        label=label,
        expires_at=_iso(expires),
        added_by=actor,
    )
    return public(updated)


def expire_now(session: Session, site_id: int, entry_id: int, *, actor: str) -> SafelistEntryPublic:
    """End an entry now but keep it listed, so it can be renewed (e.g. a tenant moved out)."""
    entry = _entry(session, site_id, entry_id)
    updated = add_safelist_entry(
        session,
        site_id,
        entry.plate,
        state=entry.state or "",
        label=entry.label,
        expires_at=_iso(utcnow()),
        added_by=actor,
    )
    return public(updated)


def remove(session: Session, site_id: int, entry_id: int, *, actor: str) -> None:
    entry = _entry(session, site_id, entry_id)
    remove_safelist_entry(session, site_id, entry.plate, state=entry.state, actor=actor)


def row_errors(errors: tuple[object, ...]) -> list[RowErrorPublic]:
    return [
        RowErrorPublic(line=e.line, field=e.field, reason=e.reason)
        for e in errors
        if isinstance(e, RowError)
    ]


@dataclass(frozen=True)
class SafelistImport:
    """A safe-list CSV for the import worker, checked with the CLI's validation (parsed once)."""

    site_id: int
    data: bytes
    filename: str
    actor: str
    replace: bool = False
    skip_invalid: bool = False

    @property
    def kind(self) -> str:
        return "safelist"

    def run(self, session: Session, progress: Progress) -> ImportOutcome:
        try:
            report = import_safelist(
                session,
                self.data,
                site=self.site_id,
                added_by=self.actor,
                replace=self.replace,
                skip_invalid=self.skip_invalid,
                progress=progress,
            )
        except ImportRejectedError as exc:
            errors = tuple(row_errors(exc.errors))
            msg = (
                f"{len(errors)} of {exc.total} rows are invalid, so nothing was imported. "
                "Fix the rows below and upload the file again."
            )
            raise ImportRejectedFileError(msg, rows_total=exc.total, errors=errors) from exc
        except ValueError as exc:
            msg = f"{self.filename} was not imported: {exc}"
            raise ImportRejectedFileError(msg) from exc
        return ImportOutcome(
            rows_total=report.rows,
            rows_done=report.added + report.updated,
            rows_rejected=report.skipped_invalid,
            message=self._summary(report.added, report.updated, report.removed),
            counts={"added": report.added, "updated": report.updated, "removed": report.removed},
            errors=tuple(row_errors(report.errors)),
        )

    def _summary(self, added: int, updated: int, removed: int) -> str:
        return (
            f"Imported {self.filename}: {added} added, {updated} updated"
            + (f", {removed} removed" if removed else "")
            + "."
        )


def export_csv(session: Session, site_id: int) -> tuple[str, int]:
    """The site's safe list as CSV, and how many entries it holds (a label may span lines)."""
    out = io.StringIO()
    count = export_safelist(session, site_id, out)
    return out.getvalue(), count
