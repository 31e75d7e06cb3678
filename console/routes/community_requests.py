"""Footage requests as police use them: draft, approve or decline, follow the shares, open
the shared files (audited), and post neighborhood alerts.

Nothing here reads `request_recipients`: police never learn who was asked, how many were
asked, or who declined or ignored a request (tests/console/test_community_requests.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from community.alerts import agency_alerts, post_alert
from community.area import Area, AreaError
from community.export import export_request
from community.requests import (
    NotFoundError,
    RequestDraft,
    RequestError,
    decide_request,
    draft_request,
    expire_requests,
    get_for_agency,
    list_for_agency,
)
from community.shares import ShareView, agency_shares, open_file
from console.community_mail import deliver
from console.deps import AgencyUser, Approver, DbSession, Principal, SettingsDep, require_role
from console.errors import Forbidden
from console.pages import render
from console.routes.lpr_grants import grant_section
from console.schemas.community import (
    AlertCreate,
    AlertPublic,
    AreaIn,
    Decision,
    FilePublic,
    RequestCreate,
    RequestDetail,
    RequestForm,
    RequestPublic,
    SharePublic,
)
from console.search_rules import agency_slug, check_case_format, check_case_number
from console.settings import ConsoleSections
from store.tables import Agency

router = APIRouter(tags=["community"])
Staff = Annotated[Principal, Depends(require_role("officer", "supervisor", "admin"))]


def _agency(me: Principal) -> int:
    if me.role not in ("officer", "supervisor") or me.agency_id is None:
        msg = "only an officer or supervisor of an agency may draft requests and post alerts"
        raise Forbidden(msg)
    return me.agency_id


def _scope(me: Principal) -> int | None:
    """The agency whose requests the caller sees; None for an admin, who sees all."""
    return None if me.role == "admin" else _agency(me)


def _invalid(exc: ValueError) -> HTTPException:
    status = 404 if isinstance(exc, NotFoundError) else 422
    return HTTPException(status_code=status, detail=str(exc))


def _check_case(db: Session, agency_id: int, value: str, settings: ConsoleSections) -> str:
    """The search rules' case-number checks, in the agency's own format."""
    if not value.strip():
        msg = "case number: required; give the number of the case this request is for"
        raise RequestError(msg)
    case = check_case_number(value)
    name = db.get_one(Agency, agency_id).name
    console = settings.console
    pattern = console.case_number_patterns.get(agency_slug(name), console.case_number_pattern)
    check_case_format(case, pattern, name)
    return case


def _create(db: Session, me: Principal, body: RequestCreate, settings: ConsoleSections) -> int:
    agency_id = _agency(me)
    case = _check_case(db, agency_id, body.case_number, settings)
    draft = RequestDraft(
        case_number=case,
        public_summary=body.public_summary,
        details=body.details,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        area=Area(body.area.lat, body.area.lon, body.area.radius_m),
        contact=body.contact,
    )
    row = draft_request(
        db,
        agency_id,
        draft,
        actor=me.username,
        settings=settings.community,
        image_days=settings.retention.image_days,
    )
    return row.id


def _detail(db: Session, request_id: int, agency_id: int | None) -> RequestDetail:
    row = get_for_agency(db, request_id, agency_id)
    return RequestDetail(
        request=RequestPublic.model_validate(row),
        shares=[_share(v) for v in agency_shares(db, request_id, agency_id)],
    )


def _share(view: ShareView) -> SharePublic:
    return SharePublic(
        id=view.id,
        created_at=view.created_at,
        cell=view.cell,
        cell_lat=view.cell_lat,
        cell_lon=view.cell_lon,
        exact_lat=view.exact_lat,
        exact_lon=view.exact_lon,
        contact=view.contact,
        note=view.note,
        files=[
            FilePublic(
                id=f.id,
                content_type=f.content_type,
                size=f.size,
                sha256=f.sha256,
                captured_at=f.captured_at,
                created_at=f.created_at,
                purged=f.purged,
                url=f"/api/community/files/{f.id}",
            )
            for f in view.files
        ],
    )


def _decide(
    db: Session, me: Principal, request_id: int, approve: bool, settings: ConsoleSections
) -> None:
    outgoing = decide_request(
        db,
        request_id,
        approve=approve,
        actor=me.username,
        agency_id=None if me.role == "admin" else me.agency_id,
        settings=settings.community,
    )
    db.commit()
    deliver(settings, outgoing)


@router.post("/api/community/requests", status_code=201)
def api_create(
    body: RequestCreate, me: AgencyUser, db: DbSession, settings: SettingsDep
) -> RequestPublic:
    """Draft a footage request; nobody is asked until a supervisor or an admin approves it."""
    try:
        request_id = _create(db, me, body, settings)
    except ValueError as exc:  # RequestError, AreaError, the search rules' case checks
        raise _invalid(exc) from exc
    db.commit()
    return RequestPublic.model_validate(get_for_agency(db, request_id, me.agency_id))


@router.get("/api/community/requests")
def api_list(me: Staff, db: DbSession) -> list[RequestPublic]:
    if expire_requests(db):
        db.commit()
    return [RequestPublic.model_validate(r) for r in list_for_agency(db, _scope(me))]


@router.get("/api/community/requests/{request_id}")
def api_detail(request_id: int, me: Staff, db: DbSession) -> RequestDetail:
    """The request and the files residents chose to share (times and coarse cells)."""
    try:
        return _detail(db, request_id, _scope(me))
    except RequestError as exc:
        raise _invalid(exc) from exc


@router.post("/api/community/requests/{request_id}/decision")
def api_decide(
    request_id: int, body: Decision, me: Approver, db: DbSession, settings: SettingsDep
) -> RequestPublic:
    """Approve (the residents with a camera in the area are asked) or decline a draft."""
    try:
        _decide(db, me, request_id, body.approve, settings)
    except RequestError as exc:
        raise _invalid(exc) from exc
    return RequestPublic.model_validate(get_for_agency(db, request_id, None))


def _file(
    db: Session, me: Principal, file_id: int, settings: ConsoleSections, *, download: bool
) -> Response:
    try:
        opened = open_file(
            db,
            file_id,
            agency_id=_scope(me),
            actor=me.username,
            download=download,
            image_root=settings.edge.image_root,
        )
    except RequestError as exc:
        raise _invalid(exc) from exc
    if not opened.path.is_file():
        raise HTTPException(status_code=410, detail=f"shared file {file_id} is gone from disk")
    db.commit()
    return FileResponse(
        opened.path,
        media_type=opened.content_type,
        filename=opened.filename,
        content_disposition_type="attachment" if download else "inline",
    )


@router.get("/api/community/files/{file_id}")
def api_view_file(file_id: int, me: Staff, db: DbSession, settings: SettingsDep) -> Response:
    """Play or show a shared file; audited as `share_file.view` (chain of custody)."""
    return _file(db, me, file_id, settings, download=False)


@router.get("/api/community/files/{file_id}/download")
def api_download_file(file_id: int, me: Staff, db: DbSession, settings: SettingsDep) -> Response:
    """Download a shared file; audited as `share_file.download`."""
    return _file(db, me, file_id, settings, download=True)


@router.get("/api/community/requests/{request_id}/export")
def api_export(request_id: int, me: Staff, db: DbSession, settings: SettingsDep) -> Response:
    """The request for the case file as a ZIP: request.csv (the request and its status),
    shares.csv (each shared file with its times and coarse cell), the files and SHA256SUMS.
    Audited as `footage_request.export`, and each file as `share_file.download`. Never who was
    asked, how many were asked or who declined."""
    try:
        export = export_request(
            db, request_id, agency_id=_scope(me), actor=me.username,
            image_root=settings.edge.image_root,
        )  # fmt: skip
    except RequestError as exc:
        raise _invalid(exc) from exc
    except OSError as exc:
        db.rollback()
        detail = f"the export of request {request_id} could not be written ({exc}); try again"
        raise HTTPException(status_code=503, detail=detail) from exc
    try:
        db.commit()
    except SQLAlchemyError:
        export.path.unlink(missing_ok=True)
        raise
    return FileResponse(
        export.path,
        media_type="application/zip",
        filename=export.filename,
        background=BackgroundTask(export.path.unlink, missing_ok=True),
    )


@router.post("/api/community/alerts", status_code=201)
def api_post_alert(
    body: AlertCreate, me: AgencyUser, db: DbSession, settings: SettingsDep
) -> AlertPublic:
    """Post a safety alert; residents with a camera or home in the area see it and get an
    email."""
    agency_id = _agency(me)
    area = Area(body.area.lat, body.area.lon, body.area.radius_m)
    try:
        alert, outgoing = post_alert(
            db, agency_id, title=body.title, body=body.body, area=area,
            actor=me.username, settings=settings.community,
        )  # fmt: skip
    except (RequestError, AreaError) as exc:
        raise _invalid(exc) from exc
    db.commit()
    deliver(settings, outgoing)
    return AlertPublic.model_validate(alert)


@router.get("/api/community/alerts")
def api_alerts(me: AgencyUser, db: DbSession) -> list[AlertPublic]:
    return [AlertPublic.model_validate(a) for a in agency_alerts(db, _agency(me))]


# Pages ------------------------------------------------------------------------------------


def _local(value: str, offset_min: int, field: str) -> datetime:
    # datetime-local inputs carry no zone; the page sends the browser's offset beside them.
    try:
        naive = datetime.fromisoformat(value)
    except ValueError as exc:
        msg = f"{field}: give a date and time, e.g. 2025-03-01 14:30"
        raise RequestError(msg) from exc
    return (naive + timedelta(minutes=offset_min)).replace(tzinfo=UTC)


def _list_page(
    request: Request, me: Principal, db: Session, *, form: dict[str, str], errors: list[str]
) -> Response:
    rows = list_for_agency(db, _scope(me))
    return render(
        request, "community/requests.html", me, rows=rows, form=form, errors=errors,
        can_draft=me.role != "admin", status=422 if errors else 200,
    )  # fmt: skip


@router.get("/community/requests", include_in_schema=False)
def requests_page(request: Request, me: Staff, db: DbSession) -> Response:
    if expire_requests(db):
        db.commit()
    return _list_page(request, me, db, form={}, errors=[])


@router.post("/community/requests", include_in_schema=False)
def requests_submit(
    *,
    request: Request,
    me: AgencyUser,
    db: DbSession,
    settings: SettingsDep,
    form: Annotated[RequestForm, Form()],
) -> Response:
    try:
        body = RequestCreate(
            case_number=form.case_number,
            public_summary=form.public_summary,
            details=form.details,
            starts_at=_local(form.starts_at, form.tz_offset, "from"),
            ends_at=_local(form.ends_at, form.tz_offset, "to"),
            area=_form_area(form.lat, form.lon, form.radius_m),
            contact=form.contact,
        )
        request_id = _create(db, me, body, settings)
    except ValueError as exc:  # RequestError, AreaError, the search rules, pydantic
        db.rollback()
        fields = form.model_dump(mode="json")
        return _list_page(request, me, db, form=fields, errors=[_message(exc)])
    db.commit()
    return RedirectResponse(f"/community/requests/{request_id}", status_code=303)


def _form_area(lat: str, lon: str, radius_m: str) -> AreaIn:
    try:
        center, radius = (float(lat), float(lon)), int(radius_m)
    except ValueError as exc:
        msg = "area: give the center's latitude and longitude and a radius in whole meters"
        raise RequestError(msg) from exc
    return AreaIn(lat=center[0], lon=center[1], radius_m=radius)


def _message(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)


@router.get("/community/requests/{request_id}", include_in_schema=False)
def request_page(request: Request, request_id: int, me: Staff, db: DbSession) -> Response:
    try:
        detail = _detail(db, request_id, _scope(me))
    except RequestError as exc:
        raise _invalid(exc) from exc
    can_decide = me.role == "admin" or (
        me.role == "supervisor" and detail.request.created_by != me.username
    )
    grants, askable = grant_section(db, me, request_id)
    return render(
        request, "community/request.html", me, detail=detail, can_decide=can_decide,
        can_ask=me.role != "admin", grants=grants, askable_sites=askable,
        lpr_error=request.query_params.get("lpr_error"),
        lpr_done=request.query_params.get("lpr_done"),
    )  # fmt: skip


@router.post("/community/requests/{request_id}/decision", include_in_schema=False)
def decision_submit(
    request_id: int,
    me: Approver,
    db: DbSession,
    settings: SettingsDep,
    approve: Annotated[bool, Form()],
) -> Response:
    try:
        _decide(db, me, request_id, approve, settings)
    except RequestError as exc:
        raise _invalid(exc) from exc
    return RedirectResponse(f"/community/requests/{request_id}", status_code=303)
