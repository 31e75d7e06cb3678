"""Auditors: the audit log (filter, page, CSV), searches, dispositions, retention receipts and
the transparency summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import AwareDatetime

from console.auditlog import AuditFilter, audit_csv, audit_page, dispositions, searches
from console.deps import Auditor, DbSession, SettingsDep
from console.pages import render
from console.schemas.audit import (
    AuditPage,
    DispositionPublic,
    SearchRecordPublic,
    TransparencyRow,
)
from console.transparency import (
    MonthError,
    current_month,
    published_heads,
    published_requests,
    transparency,
)
from console.transparency_policy import public_policy
from retention.receipts import ReceiptView, list_receipts, verify_receipts
from store.audit import verify_audit_chain

router = APIRouter()
Since = Annotated[AwareDatetime | None, Query(description="from this time (inclusive)")]
Until = Annotated[AwareDatetime | None, Query(description="to this time (exclusive)")]


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(
            status_code=422, detail=f"{value!r} is not a date (YYYY-MM-DD)"
        ) from exc
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def _page_filter(request: Request) -> tuple[AuditFilter, dict[str, str]]:
    params = {
        k: request.query_params.get(k, "")
        for k in ("actor", "action", "case_number", "subject", "since", "until", "ids")
    }
    flt = AuditFilter(
        actor=params["actor"] or None,
        action=params["action"] or None,
        case_number=params["case_number"] or None,
        subject=params["subject"] or None,
        since=_day(params["since"]),
        until=_day(params["until"], end=True),
        ids=_ids(params["ids"]),
    )
    return flt, params


def _ids(value: str) -> tuple[int, ...]:
    """`ids=4,9,12`: the rows an audit flag links to."""
    try:
        return tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError as exc:
        msg = f"ids {value!r} must be audit row numbers separated by commas, e.g. 4,9,12"
        raise HTTPException(status_code=422, detail=msg) from exc


@router.get("/api/audit", tags=["audit"])
def api_audit(
    *,
    me: Auditor,
    db: DbSession,
    actor: str | None = None,
    action: str | None = None,
    case_number: str | None = None,
    subject: str | None = None,
    since: Since = None,
    until: Until = None,
    ids: Annotated[list[int] | None, Query(description="only these audit rows")] = None,
    before_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    verify: Annotated[bool, Query(description="recompute the whole hash chain")] = False,
) -> AuditPage:
    """The audit log, newest first; an agency's auditor sees that agency's users only."""
    flt = AuditFilter(actor, action, case_number, subject, since, until, tuple(ids or ()))
    events, next_before = audit_page(db, me, flt, before_id=before_id, limit=limit)
    intact = not verify_audit_chain(db) if verify else None
    return AuditPage(events=events, next_before_id=next_before, chain_intact=intact)


@router.get("/api/audit/export.csv", tags=["audit"], response_class=StreamingResponse)
def api_audit_csv(
    *,
    me: Auditor,
    db: DbSession,
    actor: str | None = None,
    action: str | None = None,
    case_number: str | None = None,
    subject: str | None = None,
    since: Since = None,
    until: Until = None,
    ids: Annotated[list[int] | None, Query(description="only these audit rows")] = None,
) -> StreamingResponse:
    """The filtered audit log as CSV, oldest first, with each row's hashes."""
    flt = AuditFilter(actor, action, case_number, subject, since, until, tuple(ids or ()))
    rows = list(audit_csv(db, me, flt))  # read inside the request's session
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    return StreamingResponse(
        iter(rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="platewatch-audit-{stamp}.csv"'},
    )


@router.get("/audit", include_in_schema=False)
def audit_log_page(
    request: Request, me: Auditor, db: DbSession, before_id: int | None = None
) -> Response:
    flt, params = _page_filter(request)
    events, next_before = audit_page(db, me, flt, before_id=before_id, limit=100)
    query = "&".join(f"{k}={v}" for k, v in params.items() if v)
    return render(
        request,
        "audit.html",
        me,
        events=events,
        next_before=next_before,
        params=params,
        query=query,
        broken=verify_audit_chain(db),
    )


@router.get("/api/audit/searches", tags=["audit"])
def api_searches(
    *,
    me: Auditor,
    db: DbSession,
    user: str | None = None,
    plate: Annotated[str | None, Query(description="searches that matched it")] = None,
    since: Since = None,
    until: Until = None,
) -> list[SearchRecordPublic]:
    """Searches of past reads, by user, or every search whose pattern covers a plate."""
    return searches(db, me, user=user, plate=plate, since=since, until=until)


@router.get("/audit/searches", include_in_schema=False)
def searches_page(
    request: Request, me: Auditor, db: DbSession, user: str = "", plate: str = ""
) -> Response:
    rows = searches(db, me, user=user or None, plate=plate or None)
    return render(request, "audit_searches.html", me, rows=rows, user=user, plate=plate)


@router.get("/api/audit/dispositions", tags=["audit"])
def api_dispositions(
    me: Auditor, db: DbSession, user: str | None = None, status: str | None = None
) -> list[DispositionPublic]:
    """Alerts officers have acted on, most recent first."""
    return dispositions(db, me, user=user, status=status)


@router.get("/audit/dispositions", include_in_schema=False)
def dispositions_page(
    request: Request, me: Auditor, db: DbSession, user: str = "", status: str = ""
) -> Response:
    rows = dispositions(db, me, user=user or None, status=status or None)
    return render(
        request, "audit_dispositions.html", me, rows=rows, user=user, status_filter=status
    )


@router.get("/api/retention/receipts", tags=["audit"])
def api_receipts(
    me: Auditor,
    db: DbSession,
    before_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[ReceiptView]:
    """Hash-chained purge receipts of the retention job, newest first."""
    del me
    return list_receipts(db, limit=limit, before_id=before_id)


@router.get("/audit/retention", include_in_schema=False)
def receipts_page(request: Request, me: Auditor, db: DbSession) -> Response:
    return render(
        request,
        "audit_retention.html",
        me,
        receipts=list_receipts(db, limit=100),
        problems=verify_receipts(db),
    )


def _transparency(db: DbSession, month: str | None, agency_id: int | None) -> list[TransparencyRow]:
    try:
        return transparency(db, month or current_month(), agency_id)
    except MonthError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


@router.get("/api/transparency", tags=["audit"])
def api_transparency(
    me: Auditor, db: DbSession, month: str | None = None, agency_id: int | None = None
) -> list[TransparencyRow]:
    """Per agency and month (YYYY-MM, UTC): cameras, reads, hits, confirmed hits, searches,
    reads purged."""
    del me
    return _transparency(db, month, agency_id)


@router.get("/transparency", include_in_schema=False)
def transparency_page(
    request: Request, me: Auditor, db: DbSession, settings: SettingsDep, month: str = ""
) -> Response:
    rows = _transparency(db, month or None, None)
    return render(
        request,
        "transparency.html",
        me,
        rows=rows,
        month=month or current_month(),
        public=False,
        heads=published_heads(db, settings.checkpoint_paths().key),
        policy=public_policy(db, settings.retention),
        requests=published_requests(db),
    )


@router.get("/public/transparency", include_in_schema=False)
def public_transparency(
    request: Request, db: DbSession, settings: SettingsDep, month: str = ""
) -> Response:
    if not settings.console.public_transparency:
        raise HTTPException(
            status_code=404, detail="this deployment does not publish its transparency summary"
        )
    rows = _transparency(db, month or None, None)
    return render(
        request,
        "transparency.html",
        None,
        rows=rows,
        month=month or current_month(),
        public=True,
        heads=published_heads(db, settings.checkpoint_paths().key),
        policy=public_policy(db, settings.retention),
        requests=published_requests(db),
    )
