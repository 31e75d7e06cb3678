"""The audit log as auditors read it: filters, pages, CSV, searches and dispositions."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from console.deps import Principal
from console.schemas.audit import AuditEventPublic, DispositionPublic, SearchRecordPublic
from console.scope import oversight_actors, oversight_alerts
from console.search import pattern_matches
from store.audit_details import ReadsSearchDetail, UnreadableDetail, parse_as, parse_detail
from store.spreadsheet import SpreadsheetWriter
from store.tables import Alert, AuditEvent

CSV_COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "subject",
    "case_number",
    "purpose",
    "detail",
    "prev_hash",
    "hash",
)
SCAN_LIMIT = 20_000


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    case_number: str | None = None
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ids: tuple[int, ...] = ()


def _query(principal: Principal, flt: AuditFilter) -> Select[AuditEvent]:
    query = select(AuditEvent)
    actors = oversight_actors(principal)
    if actors is not None:
        query = query.where(AuditEvent.actor.in_(actors))
    if flt.actor:
        query = query.where(AuditEvent.actor == flt.actor.strip().lower())
    if flt.action:
        # "reads" matches reads.search; "alert.confirm" matches exactly.
        action = flt.action.strip()
        query = query.where(
            (AuditEvent.action == action)
            | AuditEvent.action.startswith(action + ".", autoescape=True)
        )
    if flt.case_number:
        query = query.where(AuditEvent.case_number == flt.case_number.strip())
    if flt.subject:
        query = query.where(AuditEvent.subject.contains(flt.subject.strip(), autoescape=True))
    if flt.since:
        query = query.where(AuditEvent.at >= flt.since)
    if flt.until:
        query = query.where(AuditEvent.at < flt.until)
    if flt.ids:
        query = query.where(AuditEvent.id.in_(flt.ids))
    return query


def audit_page(
    session: Session,
    principal: Principal,
    flt: AuditFilter,
    *,
    before_id: int | None = None,
    limit: int = 100,
) -> tuple[list[AuditEventPublic], int | None]:
    query = _query(principal, flt)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    rows = session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    events = [_public(r) for r in rows[:limit]]
    return events, (events[-1].id if more and events else None)


def _public(event: AuditEvent) -> AuditEventPublic:
    detail = parse_detail(event.action, event.detail)
    return AuditEventPublic(
        id=event.id,
        at=event.at,
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        case_number=event.case_number,
        purpose=event.purpose,
        detail=None if isinstance(detail, UnreadableDetail) else detail,
        detail_problem=detail.problem if isinstance(detail, UnreadableDetail) else None,
        hash=event.hash,
    )


def audit_csv(session: Session, principal: Principal, flt: AuditFilter) -> Iterator[str]:
    """The filtered log, oldest first, with hashes so the export can be checked offline.

    The detail column is the stored JSON as hashed, not a parsed reading: an unreadable detail
    must still be exported whole, or the offline check of its row would fail.

    Cells that look like formulas get a leading `'` (store.spreadsheet); whoever checks the
    hashes offline takes it off again with `unescape_cell`."""
    buffer = io.StringIO()
    writer = SpreadsheetWriter(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    query = _query(principal, flt).order_by(AuditEvent.id).execution_options(yield_per=500)
    for event in session.scalars(query):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [
                event.id,
                event.at.isoformat(),
                event.actor,
                event.action,
                event.subject,
                event.case_number or "",
                event.purpose or "",
                json.dumps(event.detail, sort_keys=True),
                event.prev_hash,
                event.hash,
            ]
        )
        yield buffer.getvalue()


def searches(
    session: Session,
    principal: Principal,
    *,
    user: str | None = None,
    plate: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[SearchRecordPublic]:
    """Searches by a user, or every search whose pattern would have matched `plate`."""
    query = _query(
        principal,
        AuditFilter(actor=user, action=ReadsSearchDetail.action, since=since, until=until),
    )
    rows = session.scalars(query.order_by(AuditEvent.id.desc()).limit(SCAN_LIMIT)).all()
    found = []
    for event in rows:
        # The subject is the search pattern as well; filtering on it parses only the rows kept.
        if plate and not pattern_matches(event.subject, plate.strip().replace(" ", "")):
            continue
        found.append(_search_record(event))
        if len(found) >= limit:
            break
    return found


def _search_record(event: AuditEvent) -> SearchRecordPublic:
    detail = parse_as(ReadsSearchDetail, event.detail)
    readable = None if isinstance(detail, UnreadableDetail) else detail
    return SearchRecordPublic(
        id=event.id,
        at=event.at,
        actor=event.actor,
        # An unreadable search still shows what it sought: the subject is its pattern too.
        pattern=readable.plate if readable else event.subject,
        case_number=event.case_number,
        purpose=event.purpose,
        start=readable.start if readable else None,
        end=readable.end if readable else None,
        results=readable.results if readable else None,
        detail_problem=detail.problem if isinstance(detail, UnreadableDetail) else None,
    )


def dispositions(
    session: Session,
    principal: Principal,
    *,
    user: str | None = None,
    status: str | None = None,
    limit: int = 200,
) -> list[DispositionPublic]:
    query = select(Alert).where(oversight_alerts(principal), Alert.status != "new")
    if user:
        query = query.where(Alert.status_by == user.strip().lower())
    if status:
        query = query.where(Alert.status == status)
    rows = session.scalars(query.order_by(Alert.updated_at.desc()).limit(limit))
    return [
        DispositionPublic(
            alert_id=a.id,
            status=a.status,
            status_reason=a.status_reason,
            status_note=a.status_note,
            status_by=a.status_by,
            case_number=a.case_number,
            decision=a.decision,
            match_kind=a.match_kind,
            score=a.score,
            plate_read=a.plate_read,
            entry_plate=a.entry_plate,
            list_name=a.list_name,
            camera_id=a.camera_id,
            created_at=a.created_at,
            updated_at=a.updated_at,
        )
        for a in rows
    ]
