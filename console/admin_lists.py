"""Admins' hotlists in the console: views, CSV export, and file imports run by the import
worker (console.imports) with the CLI's validation and the CLI's per-row report."""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.deps import Principal
from console.imports import ImportOutcome, ImportRejectedFileError, Progress
from console.safelist import row_errors
from console.schemas.admin_lists import HotlistPublic
from hotlist.errors import ImportRejectedError
from hotlist.historical import HistoryCheck
from hotlist.list_admin import ListActor, ListCounts, audit_export, audit_import, list_counts
from hotlist.lists import ImportReport, export_hotlist, get_hotlist, import_hotlist
from hotlist.parse import Format, parse_column_map
from store.errors import NotFoundError
from store.tables import Hotlist

NO_ENTRIES = ListCounts(0, 0)


def actor_of(principal: Principal) -> ListActor:
    """The signed-in user, and the API token if the request came with one."""
    return ListActor(principal.username, principal.via, principal.token_id)


def public(hotlist: Hotlist, counts: ListCounts = NO_ENTRIES) -> HotlistPublic:
    return HotlistPublic(
        id=hotlist.id,
        name=hotlist.name,
        description=hotlist.description,
        source=hotlist.source,
        priority=hotlist.priority,
        owner_agency_id=hotlist.owner_agency_id,
        owner_site_id=hotlist.owner_site_id,
        entries=counts.entries,
        expired_entries=counts.expired,
        version=hotlist.version,
        refreshed_at=hotlist.refreshed_at,
        created_at=hotlist.created_at,
    )


def hotlists(session: Session) -> list[HotlistPublic]:
    counts = list_counts(session)
    query = select(Hotlist).order_by(Hotlist.priority, Hotlist.name)
    return [public(h, counts.get(h.id, NO_ENTRIES)) for h in session.scalars(query)]


def one(session: Session, hotlist_id: int) -> HotlistPublic:
    hotlist = get_hotlist(session, hotlist_id)
    return public(hotlist, list_counts(session, hotlist.id).get(hotlist.id, NO_ENTRIES))


def export_csv(session: Session, actor: ListActor, hotlist_id: int) -> tuple[str, str]:
    """The list as CSV in the import's format (audited), and a file name for it."""
    hotlist = get_hotlist(session, hotlist_id)
    out = io.StringIO()
    count = export_hotlist(session, hotlist.id, out)
    audit_export(session, actor, hotlist.id, count)
    return out.getvalue(), f"hotlist-{hotlist.id}.csv"


@dataclass(frozen=True)
class ImportOptions:
    """How to read the file, as `platewatch hotlist import` takes it."""

    fmt: Format = "csv"
    columns: str = ""
    delimiter: str = ""
    replace: bool = False
    skip_invalid: bool = False

    def column_map(self) -> dict[str, str] | None:
        """The parsed `columns`; ValueError says which entry is wrong."""
        return parse_column_map(self.columns or None)


@dataclass(frozen=True)
class HotlistImport:
    """A hotlist file for the import worker: appended, or (replace) the list's new contents."""

    hotlist_id: int
    data: bytes
    filename: str
    actor: ListActor
    options: ImportOptions
    history: HistoryCheck

    @property
    def kind(self) -> str:
        return "hotlist"

    def run(self, session: Session, progress: Progress) -> ImportOutcome:
        try:
            report = self._import(session, progress)
        except ImportRejectedError as exc:
            errors = tuple(row_errors(exc.errors))
            msg = (
                f"{len(errors)} of {exc.total} rows are invalid, so nothing was imported. "
                "Fix the rows below and upload the file again, or import it with "
                "'skip invalid rows' to load the rest."
            )
            raise ImportRejectedFileError(msg, rows_total=exc.total, errors=errors) from exc
        except ValueError as exc:  # also NotFoundError: the list was deleted meanwhile
            msg = f"{self.filename} was not imported: {exc}"
            raise ImportRejectedFileError(msg) from exc
        audit_import(session, self.actor, report, self.hotlist_id, replace=self.options.replace)
        return ImportOutcome(
            rows_total=report.rows,
            rows_done=report.imported,
            rows_rejected=report.skipped_invalid,
            message=self._summary(report),
            counts={
                "imported": report.imported,
                "unchanged": report.unchanged,
                "removed": report.removed,
            },
            errors=tuple(row_errors(report.errors)),
        )

    def _import(self, session: Session, progress: Progress) -> ImportReport:
        if session.get(Hotlist, self.hotlist_id) is None:
            msg = f"hotlist {self.hotlist_id} no longer exists"
            raise NotFoundError(msg)

        def written(stage: str, done: int, total: int) -> None:
            # Checking rows reports only a count; the page says "checking" until writing starts.
            if stage == "write":
                progress(done, total)

        options = self.options
        return import_hotlist(
            session,
            self.data,
            # By id (a digit string is looked up as an id first): never a new list by name.
            list_name=str(self.hotlist_id),
            fmt=options.fmt,
            columns=options.column_map(),
            delimiter=options.delimiter or None,
            replace=options.replace,
            skip_invalid=options.skip_invalid,
            progress=written,
            history=self.history,
        )

    def _summary(self, report: ImportReport) -> str:
        parts = [f"{report.imported} imported"]
        if self.options.replace:
            parts.append(f"{report.removed} removed")
        if report.unchanged:
            parts.append(f"{report.unchanged} already listed")
        if report.skipped_invalid:
            parts.append(f"{report.skipped_invalid} invalid rows skipped")
        return f"Imported {self.filename} into {report.list_name}: {', '.join(parts)}."
