"""Plate reads of sites that do not share: officers ask a site on a footage request, the site's
HOA admin approves, declines or revokes (community.lpr_grants).

The agency sees each asked site's answer and when it came, never who at the site gave it.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from community.lpr_grants import (
    AskableSite,
    GrantView,
    SiteAsk,
    ask_site,
    askable_sites,
    decide_grant,
    expire_grants,
    request_grants,
    revoke_grant,
    site_grants,
)
from community.requests import NotFoundError, RequestError
from console.deps import AgencyUser, DbSession, HoaAdmin, Principal, SettingsDep, require_role
from console.errors import Forbidden
from console.pages import render
from console.schemas.community import Decision
from console.schemas.lpr_grants import (
    AskableCamera,
    AskableSitePublic,
    LprGrantAsk,
    LprGrantPublic,
)
from console.scope import hoa_site

router = APIRouter(tags=["lpr grants"])
Staff = Annotated[Principal, Depends(require_role("officer", "supervisor", "admin"))]


def _agency(me: Principal) -> int:
    if me.agency_id is None:
        msg = "only an officer or supervisor of an agency may ask sites for their reads"
        raise Forbidden(msg)
    return me.agency_id


def _invalid(exc: ValueError) -> HTTPException:
    status = 404 if isinstance(exc, NotFoundError) else 422
    return HTTPException(status_code=status, detail=str(exc))


def _public(views: list[GrantView]) -> list[LprGrantPublic]:
    return [LprGrantPublic.model_validate(v) for v in views]


def _ask(db: Session, me: Principal, request_id: int, body: LprGrantAsk) -> GrantView:
    ask = SiteAsk(body.site_id, tuple(body.camera_ids), tuple(body.plates))
    row = ask_site(db, request_id, _agency(me), ask, actor=me.username)
    return next(v for v in request_grants(db, request_id, me.agency_id) if v.id == row.id)


def _scope(me: Principal) -> int | None:
    return None if me.role == "admin" else _agency(me)


def grant_section(
    db: Session, me: Principal, request_id: int
) -> tuple[list[GrantView], list[AskableSite]]:
    """What the footage request page shows of its asks to sites, and the sites one may ask."""
    if expire_grants(db):
        db.commit()
    agency_id = _scope(me)
    sites = askable_sites(db, agency_id) if agency_id is not None else []
    return request_grants(db, request_id, agency_id), sites


@router.get("/api/community/lpr-sites")
def api_askable_sites(me: AgencyUser, db: DbSession) -> list[AskableSitePublic]:
    """Sites that do not share their reads with your agency, and their cameras: the ones a
    footage request can ask for a grant."""
    return [
        AskableSitePublic(
            site_id=s.site_id,
            name=s.name,
            cameras=[AskableCamera(id=c_id, name=name) for c_id, name in s.cameras],
        )
        for s in askable_sites(db, _agency(me))
    ]


@router.get("/api/community/requests/{request_id}/lpr-grants")
def api_request_grants(request_id: int, me: Staff, db: DbSession) -> list[LprGrantPublic]:
    """The sites asked on this request and each one's answer."""
    if expire_grants(db):
        db.commit()
    try:
        return _public(request_grants(db, request_id, _scope(me)))
    except RequestError as exc:
        raise _invalid(exc) from exc


@router.post("/api/community/requests/{request_id}/lpr-grants", status_code=201)
def api_ask(request_id: int, body: LprGrantAsk, me: AgencyUser, db: DbSession) -> LprGrantPublic:
    """Ask a site that does not share with your agency for the reads of some of its cameras
    (optionally only of some plates) over the request's time range. Its HOA admin sees the ask
    once the request is approved."""
    try:
        view = _ask(db, me, request_id, body)
    except RequestError as exc:
        raise _invalid(exc) from exc
    db.commit()
    return LprGrantPublic.model_validate(view)


@router.get("/api/sites/{site_id}/lpr-requests", tags=["sites"])
def api_site_requests(site_id: int, me: HoaAdmin, db: DbSession) -> list[LprGrantPublic]:
    """Agencies' asks for your site's plate reads, and your answers."""
    site = hoa_site(me, site_id)
    if expire_grants(db):
        db.commit()
    return _public(site_grants(db, site))


def _one(db: Session, site_id: int, grant_id: int) -> LprGrantPublic:
    return next(g for g in _public(site_grants(db, site_id)) if g.id == grant_id)


@router.post("/api/sites/{site_id}/lpr-requests/{grant_id}/decision", tags=["sites"])
def api_decide(
    *,
    site_id: int,
    grant_id: int,
    body: Decision,
    me: HoaAdmin,
    db: DbSession,
    settings: SettingsDep,
) -> LprGrantPublic:
    """Approve (the agency may search exactly these reads under the case number until the
    grant expires) or decline an ask."""
    site = hoa_site(me, site_id)
    try:
        decide_grant(
            db, grant_id, site, approve=body.approve, actor=me.username,
            settings=settings.community,
        )  # fmt: skip
    except RequestError as exc:
        raise _invalid(exc) from exc
    db.commit()
    return _one(db, site, grant_id)


@router.post("/api/sites/{site_id}/lpr-requests/{grant_id}/revoke", tags=["sites"])
def api_revoke(site_id: int, grant_id: int, me: HoaAdmin, db: DbSession) -> LprGrantPublic:
    """End an approved grant now."""
    site = hoa_site(me, site_id)
    try:
        revoke_grant(db, grant_id, site, actor=me.username)
    except RequestError as exc:
        raise _invalid(exc) from exc
    db.commit()
    return _one(db, site, grant_id)


# Pages ------------------------------------------------------------------------------------


def _plates(text: str) -> list[str]:
    return [p for p in re.split(r"[,;\n]+", text) if p.strip()]


@router.post("/community/requests/{request_id}/lpr-grants", include_in_schema=False)
def ask_submit(
    *,
    request_id: int,
    me: AgencyUser,
    db: DbSession,
    site_id: Annotated[int, Form()],
    camera_ids: Annotated[list[str] | None, Form()] = None,
    plates: Annotated[str, Form()] = "",
) -> Response:
    try:
        body = LprGrantAsk(site_id=site_id, camera_ids=camera_ids or [], plates=_plates(plates))
        _ask(db, me, request_id, body)
    except NotFoundError as exc:
        raise _invalid(exc) from exc
    except ValidationError as exc:
        db.rollback()
        fields = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        note = (
            "cameras: tick at least one of the site's cameras"
            if "camera_ids" in fields
            else "plates: name at most 20 plates, separated by commas"
        )
        return _back(request_id, "lpr_error", note)
    except RequestError as exc:
        db.rollback()
        return _back(request_id, "lpr_error", str(exc))
    db.commit()
    return _back(
        request_id, "lpr_done", "Sent: the site's HOA admin sees it once the request is approved."
    )


def _back(request_id: int, key: str, message: str) -> Response:
    url = f"/community/requests/{request_id}?{key}={quote(message)}#sites"
    return RedirectResponse(url, status_code=303)


def _page(request: Request, me: Principal, db: Session, *, status: int = 200) -> Response:
    site = hoa_site(me)
    if expire_grants(db):
        db.commit()
    grants = site_grants(db, site)
    return render(
        request,
        "lpr_requests.html",
        me,
        pending=[g for g in grants if g.status == "pending"],
        answered=[g for g in grants if g.status != "pending"],
        message=request.query_params.get("done"),
        error=request.query_params.get("error"),
        status=status,
    )


@router.get("/lpr-requests", include_in_schema=False)
def requests_page(request: Request, me: HoaAdmin, db: DbSession) -> Response:
    return _page(request, me, db)


def _done(key: str, message: str) -> Response:
    return RedirectResponse(f"/lpr-requests?{key}={quote(message)}", status_code=303)


@router.post("/lpr-requests/{grant_id}/decision", include_in_schema=False)
def decision_submit(
    grant_id: int,
    me: HoaAdmin,
    db: DbSession,
    settings: SettingsDep,
    approve: Annotated[bool, Form()],
) -> Response:
    try:
        decide_grant(
            db, grant_id, hoa_site(me), approve=approve, actor=me.username,
            settings=settings.community,
        )  # fmt: skip
    except NotFoundError as exc:
        raise _invalid(exc) from exc
    except RequestError as exc:
        db.rollback()
        return _done("error", str(exc))
    db.commit()
    return _done("done", f"Request {grant_id} {'approved' if approve else 'declined'}.")


@router.post("/lpr-requests/{grant_id}/revoke", include_in_schema=False)
def revoke_submit(grant_id: int, me: HoaAdmin, db: DbSession) -> Response:
    try:
        revoke_grant(db, grant_id, hoa_site(me), actor=me.username)
    except NotFoundError as exc:
        raise _invalid(exc) from exc
    except RequestError as exc:
        db.rollback()
        return _done("error", str(exc))
    db.commit()
    return _done("done", f"Grant {grant_id} revoked; the agency's searches no longer see it.")
