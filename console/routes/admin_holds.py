"""Admins' legal holds: keep a read's images past policy for a case, and release them.

The same services as `platewatch retention hold`: each hold and release is audited there, in
this request's transaction, as the signed-in admin.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from console.deps import Admin, DbSession, Principal
from console.pages import render
from console.routes.admin_lists import field_error
from console.schemas.admin_lists import HoldCreate, HoldPublic, HoldRelease
from retention.holds import HoldError, HoldView, list_holds, place_hold, release_hold
from store.base import utcnow
from store.tables import PlateReadRow, RetentionHold

router = APIRouter()


def _public(view: HoldView) -> HoldPublic:
    return HoldPublic.model_validate(view)


def _place(db: Session, me: Principal, body: HoldCreate) -> HoldPublic:
    """Place a hold; field errors name the field (the read, the end), as 422."""
    if body.until <= utcnow():
        msg = f"{body.until.isoformat()} is not in the future; a hold must end later than now"
        raise field_error(field="until", message=msg)
    if db.get(PlateReadRow, body.read_id) is None:
        raise field_error(
            field="read_id", message=f"no read with id {body.read_id!r}; copy it from the read"
        )
    try:
        view = place_hold(
            db,
            read_id=body.read_id,
            actor=me.username,
            reason=body.reason,
            until=body.until,
            case_number=(body.case_number or "").strip() or None,
        )
    except HoldError as exc:  # the images were purged already
        raise field_error(field="read_id", message=str(exc)) from exc
    return _public(view)


def _release(db: Session, me: Principal, hold_id: int, reason: str) -> HoldPublic:
    hold = db.get(RetentionHold, hold_id)
    if hold is None:
        raise HTTPException(status_code=404, detail=f"no hold with id {hold_id}")
    if hold.released_at is not None:
        msg = f"hold {hold_id} was already released at {hold.released_at:%Y-%m-%d %H:%M} UTC"
        raise HTTPException(status_code=409, detail=msg)
    try:
        view = release_hold(db, hold_id, actor=me.username, reason=reason)
    except HoldError as exc:
        raise field_error(field="reason", message=str(exc)) from exc
    return _public(view)


@router.get("/api/admin/holds", tags=["admin"])
def api_holds(
    me: Admin, db: DbSession, include_ended: bool = False, read_id: str | None = None
) -> list[HoldPublic]:
    """Holds newest first: by default only those in force now."""
    del me
    return [_public(v) for v in list_holds(db, include_ended=include_ended, read_id=read_id)]


@router.post("/api/admin/holds", tags=["admin"], status_code=201)
def api_place(body: HoldCreate, me: Admin, db: DbSession) -> HoldPublic:
    """Keep one read's images until `until`, past its retention policy; audited."""
    hold = _place(db, me, body)
    db.commit()
    return hold


@router.post("/api/admin/holds/{hold_id}/release", tags=["admin"])
def api_release(hold_id: int, body: HoldRelease, me: Admin, db: DbSession) -> HoldPublic:
    """End a hold now; the read's images become due again under their policy. Audited."""
    hold = _release(db, me, hold_id, body.reason)
    db.commit()
    return hold


# --- pages -------------------------------------------------------------------------------


def _page(
    request: Request, me: Principal, db: Session, *, status: int = 200, **context: object
) -> Response:
    show_all = request.query_params.get("all") == "1"
    context.setdefault("message", request.query_params.get("done"))
    return render(
        request,
        "admin_holds.html",
        me,
        holds=[_public(v) for v in list_holds(db, include_ended=show_all)],
        show_all=show_all,
        status=status,
        **context,
    )


def _until(value: str) -> datetime:
    """The end of the given day, UTC (the form asks for a date)."""
    return datetime.combine(date.fromisoformat(value), time(23, 59, 59), tzinfo=UTC)


@router.get("/admin/holds", include_in_schema=False)
def holds_page(request: Request, me: Admin, db: DbSession) -> Response:
    return _page(request, me, db)


@router.post("/admin/holds", include_in_schema=False)
def page_place(
    *,
    request: Request,
    me: Admin,
    db: DbSession,
    read_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    until: Annotated[str, Form()] = "",
    case_number: Annotated[str, Form()] = "",
) -> Response:
    form = {"read_id": read_id, "reason": reason, "until": until, "case_number": case_number}
    try:
        body = HoldCreate(
            read_id=read_id.strip(),
            reason=reason,
            until=_until(until),
            case_number=case_number or None,
        )
        hold = _place(db, me, body)
    except HTTPException as exc:
        db.rollback()
        problem = exc.detail[0]["msg"] if isinstance(exc.detail, list) else exc.detail
        return _page(request, me, db, status=422, error=f"Not placed: {problem}", form=form)
    except ValidationError as exc:
        db.rollback()
        problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _page(request, me, db, status=422, error=f"Not placed: {problem}", form=form)
    except ValueError:  # the end date
        db.rollback()
        problem = "until: give the last day of the hold as a date, e.g. 2027-06-01"
        return _page(request, me, db, status=422, error=f"Not placed: {problem}", form=form)
    db.commit()
    return RedirectResponse(
        f"/admin/holds?done={quote(f'Hold {hold.id} placed on read {hold.read_id}.')}",
        status_code=303,
    )


@router.post("/admin/holds/{hold_id}/release", include_in_schema=False)
def page_release(
    *,
    request: Request,
    hold_id: int,
    me: Admin,
    db: DbSession,
    reason: Annotated[str, Form()] = "",
) -> Response:
    if not reason.strip():
        return _page(request, me, db, status=422, error="Not released: give a reason")
    try:
        _release(db, me, hold_id, reason)
    except HTTPException as exc:
        db.rollback()
        problem = exc.detail[0]["msg"] if isinstance(exc.detail, list) else exc.detail
        return _page(request, me, db, status=422, error=f"Not released: {problem}")
    db.commit()
    return RedirectResponse(
        f"/admin/holds?done={quote(f'Hold {hold_id} released.')}", status_code=303
    )
