"""The resident's side of footage requests: the requests sent to them, sharing (upload),
declining, opting out, withdrawing a share, and the neighborhood alerts of their area."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from community.alerts import resident_alerts
from community.evidence import Upload
from community.requests import NotFoundError, RequestError
from community.shares import (
    ShareAnswer,
    decline_request,
    opt_out,
    resident_requests,
    resident_shares,
    share_footage,
    withdraw_share,
)
from console.deps import DbSession, Principal, Resident, SettingsDep
from console.pages import render
from console.schemas.community import AlertPublic, AskedPublic, ShareCreated
from console.settings import ConsoleSections
from store.tables import CommunityCamera, ResidentProfile

router = APIRouter(tags=["community"])
PORTAL = "/community/portal"


def _invalid(exc: ValueError) -> HTTPException:
    status = 404 if isinstance(exc, NotFoundError) else 422
    return HTTPException(status_code=status, detail=str(exc))


async def _uploads(files: list[UploadFile], max_bytes: int) -> list[Upload]:
    # One byte past the cap is enough to know a file is too big without reading all of it.
    return [
        Upload(f.filename or "upload", await f.read(max_bytes + 1)) for f in files if f.filename
    ]


def _captured(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        msg = f"recorded at: {value!r} is not a time; use e.g. 2025-03-01T21:30:00Z"
        raise RequestError(msg) from exc
    if when.tzinfo is None:
        msg = "recorded at: give the time with a timezone, e.g. 2025-03-01T21:30:00Z"
        raise RequestError(msg)
    return when


async def _share(
    db: Session,
    me: Principal,
    request_id: int,
    settings: ConsoleSections,
    *,
    files: list[UploadFile],
    answer: ShareAnswer,
) -> ShareCreated:
    uploads = await _uploads(files, settings.community.share_max_bytes)
    share = share_footage(
        db,
        request_id,
        user_id=me.user_id,
        actor=me.username,
        answer=answer,
        uploads=uploads,
        image_root=settings.edge.image_root,
        settings=settings.community,
    )
    created = ShareCreated(id=share.id, request_id=request_id, files=len(uploads))
    db.commit()
    return created


@router.get("/api/community/portal/requests")
def api_requests(me: Resident, db: DbSession) -> list[AskedPublic]:
    """The footage requests sent to you."""
    return [AskedPublic.model_validate(v) for v in resident_requests(db, me.user_id)]


@router.post("/api/community/portal/requests/{request_id}/share", status_code=201)
async def api_share(
    *,
    request_id: int,
    me: Resident,
    db: DbSession,
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File()],
    camera_id: Annotated[int | None, Form()] = None,
    note: Annotated[str, Form()] = "",
    share_exact_location: Annotated[bool, Form()] = False,
    share_contact: Annotated[bool, Form()] = False,
    captured_at: Annotated[str, Form()] = "",
) -> ShareCreated:
    """Share clips or photos (checked by content, size-capped, SHA-256 recorded)."""
    try:
        answer = ShareAnswer(
            camera_id, note, share_exact_location, share_contact, _captured(captured_at)
        )
        return await _share(db, me, request_id, settings, files=files, answer=answer)
    except RequestError as exc:
        raise _invalid(exc) from exc
    except ValueError as exc:  # EvidenceError: the file's type or size
        raise HTTPException(status_code=422, detail=str(exc)) from exc


@router.post("/api/community/portal/requests/{request_id}/decline", status_code=204)
def api_decline(request_id: int, me: Resident, db: DbSession) -> Response:
    try:
        decline_request(db, request_id, user_id=me.user_id, actor=me.username)
    except RequestError as exc:
        raise _invalid(exc) from exc
    db.commit()
    return Response(status_code=204)


@router.post("/api/community/portal/shares/{share_id}/withdraw", status_code=204)
def api_withdraw(share_id: int, me: Resident, db: DbSession) -> Response:
    """Withdraw a share, possible until the agency first opens it."""
    try:
        withdraw_share(db, share_id, user_id=me.user_id, actor=me.username)
    except RequestError as exc:
        raise _invalid(exc) from exc
    db.commit()
    return Response(status_code=204)


@router.post("/api/community/portal/opt-out", status_code=204)
def api_opt_out(me: Resident, db: DbSession) -> Response:
    """Never be asked for footage again."""
    try:
        opt_out(db, user_id=me.user_id, actor=me.username)
    except RequestError as exc:
        raise _invalid(exc) from exc
    db.commit()
    return Response(status_code=204)


@router.get("/api/community/portal/alerts")
def api_alerts(me: Resident, db: DbSession) -> list[AlertPublic]:
    return [AlertPublic.model_validate(a) for a in resident_alerts(db, me.user_id)]


# Pages ------------------------------------------------------------------------------------


def _portal(
    request: Request, me: Principal, db: Session, *, errors: list[str], notice: str = ""
) -> Response:
    cameras = db.scalars(
        select(CommunityCamera)
        .where(CommunityCamera.owner_user_id == me.user_id, CommunityCamera.removed_at.is_(None))
        .order_by(CommunityCamera.id)
    ).all()
    profile = db.get(ResidentProfile, me.user_id)
    return render(
        request, "community/portal.html", me,
        asked=resident_requests(db, me.user_id), shares=resident_shares(db, me.user_id),
        alerts=resident_alerts(db, me.user_id), cameras=cameras, errors=errors, notice=notice,
        opted_out=profile is not None and profile.opted_out_at is not None,
        status=422 if errors else 200,
    )  # fmt: skip


@router.get(PORTAL, include_in_schema=False)
def portal_page(request: Request, me: Resident, db: DbSession, done: str = "") -> Response:
    return _portal(request, me, db, errors=[], notice=done[:100])


@router.post(PORTAL + "/requests/{request_id}/share", include_in_schema=False)
async def share_submit(
    *,
    request: Request,
    request_id: int,
    me: Resident,
    db: DbSession,
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File()],
    camera_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    share_exact_location: Annotated[bool, Form()] = False,
    share_contact: Annotated[bool, Form()] = False,
) -> Response:
    answer = ShareAnswer(
        int(camera_id) if camera_id.isdigit() else None, note, share_exact_location, share_contact
    )
    try:
        await _share(db, me, request_id, settings, files=files, answer=answer)
    except ValueError as exc:
        db.rollback()
        return _portal(request, me, db, errors=[str(exc)])
    return RedirectResponse(f"{PORTAL}?done=shared", status_code=303)


def _act(request: Request, me: Principal, db: Session, action: str, target: int) -> Response:
    try:
        if action == "decline":
            decline_request(db, target, user_id=me.user_id, actor=me.username)
        elif action == "withdraw":
            withdraw_share(db, target, user_id=me.user_id, actor=me.username)
        else:
            opt_out(db, user_id=me.user_id, actor=me.username)
    except RequestError as exc:
        db.rollback()
        return _portal(request, me, db, errors=[str(exc)])
    db.commit()
    return RedirectResponse(f"{PORTAL}?done={action}", status_code=303)


@router.post(PORTAL + "/requests/{request_id}/decline", include_in_schema=False)
def decline_submit(request: Request, request_id: int, me: Resident, db: DbSession) -> Response:
    return _act(request, me, db, "decline", request_id)


@router.post(PORTAL + "/shares/{share_id}/withdraw", include_in_schema=False)
def withdraw_submit(request: Request, share_id: int, me: Resident, db: DbSession) -> Response:
    return _act(request, me, db, "withdraw", share_id)


@router.post(PORTAL + "/opt-out", include_in_schema=False)
def opt_out_submit(request: Request, me: Resident, db: DbSession) -> Response:
    return _act(request, me, db, "opt-out", 0)
