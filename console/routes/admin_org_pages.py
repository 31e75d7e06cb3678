"""Admins' pages for agencies, sites (with their sharing) and cameras: a table of each, with
forms to add, edit and retire. One POST per page, `op` naming the action, CSRF checked by the
`Admin` dependency like every signed-in form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console.deps import Admin, DbSession, Principal, SettingsDep
from console.org_admin import (
    actor_of,
    agencies,
    cameras,
    error_text,
    retire_agency,
    retire_site,
    sharing_of,
    sites,
)
from console.pages import render
from org import admin as org
from org.errors import InvalidField
from org.fields import SITE_KINDS
from org.registry import get_agency, get_site
from store.errors import DomainError

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]


def _page(
    request: Request,
    me: Principal,
    template: str,
    *,
    message: str | None,
    error: str | None,
    db: Session,
) -> Response:
    all_sites = sites(db)
    return render(
        request,
        template,
        me,
        agencies=agencies(db),
        sites=all_sites,
        cameras=cameras(db),
        site_names={s.id: s.name for s in all_sites},
        sharing={s.id: sharing_of(db, s.id) for s in all_sites if s.retired_at is None},
        kinds=SITE_KINDS,
        message=message,
        error=error,
        status=422 if error else 200,
    )


def _done(db: Session, action: str) -> tuple[str | None, str | None]:
    db.commit()
    return action, None


def _failed(db: Session, exc: DomainError) -> tuple[str | None, str | None]:
    db.rollback()
    return None, error_text(exc)


def _number(text: str, field: str, what: str) -> float | None:
    """A form's number; empty means none."""
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise InvalidField(field, f"{what} {text.strip()!r} is not a number") from exc


def _whole(text: str, field: str, what: str) -> int | None:
    value = _number(text, field, what)
    if value is not None and not value.is_integer():
        raise InvalidField(field, f"{what} {text.strip()!r} must be a whole number")
    return None if value is None else int(value)


@router.get("/admin/agencies")
def agencies_page(request: Request, me: Admin, db: DbSession) -> Response:
    return _page(request, me, "admin_agencies.html", message=None, error=None, db=db)


@router.post("/admin/agencies")
def agencies_submit(
    *,
    request: Request,
    me: Admin,
    db: DbSession,
    op: Text,
    agency_id: Annotated[int, Form()] = 0,
    name: Text = "",
    jurisdiction: Text = "",
    state: Text = "",
) -> Response:
    try:
        if op == "add":
            agency = org.add_agency(
                db, actor_of(me), name, jurisdiction=jurisdiction, state=state or None
            )
            message, error = _done(db, f"Agency {agency.name} added.")
        elif op == "edit":
            changes = org.AgencyChanges(name=name, jurisdiction=jurisdiction, state=state or None)
            agency = org.update_agency(db, actor_of(me), agency_id, changes)
            message, error = _done(db, f"Agency {agency.name} saved.")
        elif op == "retire":
            agency, ended = retire_agency(db, actor_of(me), agency_id)
            message, error = _done(
                db, f"Agency {agency.name} retired; no site shares with it; {ended.summary()}."
            )
        else:
            message, error = None, f"unknown action {op!r}"
    except DomainError as exc:
        message, error = _failed(db, exc)
    return _page(request, me, "admin_agencies.html", message=message, error=error, db=db)


@router.get("/admin/sites")
def sites_page(request: Request, me: Admin, db: DbSession) -> Response:
    return _page(request, me, "admin_sites.html", message=None, error=None, db=db)


@dataclass(frozen=True)
class _SiteForm:
    name: str
    kind: str
    image_retention_days: int | None
    resident_retention_hours: int | None


def _site_op(db: Session, me: Principal, op: str, site_id: int, form: _SiteForm) -> str:
    """What was done, for the page's notice; raises on a bad value."""
    if op == "add":
        site = org.add_site(
            db,
            actor_of(me),
            form.name,
            kind=form.kind,
            image_retention_days=form.image_retention_days,
            resident_retention_hours=form.resident_retention_hours,
        )
        return f"Site {site.name} added; it shares with no agency until you switch sharing on."
    if op == "edit":
        changes = org.SiteChanges(
            form.name, form.kind, form.image_retention_days, form.resident_retention_hours
        )
        site = org.update_site(db, actor_of(me), site_id, changes)
        return f"Site {site.name} saved."
    site, ended = retire_site(db, actor_of(me), site_id)
    users = len(ended.users_disabled)
    return (
        f"Site {site.name} retired, with its cameras; it shares with no agency; "
        f"{users} HOA admin{'s' if users != 1 else ''} disabled."
    )


@router.post("/admin/sites")
def sites_submit(
    *,
    request: Request,
    me: Admin,
    db: DbSession,
    op: Text,
    site_id: Annotated[int, Form()] = 0,
    agency_id: Annotated[int, Form()] = 0,
    name: Text = "",
    kind: Text = "hoa",
    image_retention_days: Text = "",
    resident_retention_hours: Text = "",
) -> Response:
    try:
        if op in ("share", "unshare"):
            sharing = org.share_site(db, actor_of(me), site_id, agency_id, enabled=op == "share")
            verb = (
                "now shares its reads and alerts with"
                if sharing.enabled
                else "stopped sharing with"
            )
            site, agency = get_site(db, site_id).name, get_agency(db, agency_id).name
            message, error = _done(db, f"{site} {verb} {agency}.")
        elif op in ("add", "edit", "retire"):
            form = _SiteForm(
                name,
                kind,
                _whole(image_retention_days, "image_retention_days", "image retention days"),
                _whole(resident_retention_hours, "resident_retention_hours", "resident hours"),
            )
            message, error = _done(db, _site_op(db, me, op, site_id, form))
        else:
            message, error = None, f"unknown action {op!r}"
    except DomainError as exc:
        message, error = _failed(db, exc)
    return _page(request, me, "admin_sites.html", message=message, error=error, db=db)


@router.get("/admin/cameras")
def cameras_page(request: Request, me: Admin, db: DbSession) -> Response:
    return _page(request, me, "admin_cameras.html", message=None, error=None, db=db)


@router.post("/admin/cameras")
def cameras_submit(
    *,
    request: Request,
    me: Admin,
    db: DbSession,
    settings: SettingsDep,
    op: Text,
    camera_id: Text = "",
    site_id: Annotated[int, Form()] = 0,
    name: Text = "",
    location: Text = "",
    latitude: Text = "",
    longitude: Text = "",
    direction: Text = "",
    region: Text = "",
    image_retention_days: Text = "",
) -> Response:
    default_days = settings.retention.image_days
    try:
        if op == "retire":
            camera = org.retire_camera(db, actor_of(me), camera_id)
            message, error = _done(db, f"Camera {camera.id} retired; its new reads are refused.")
        elif op in ("add", "edit"):
            lat = _number(latitude, "latitude", "latitude")
            lon = _number(longitude, "longitude", "longitude")
            days = _whole(image_retention_days, "image_retention_days", "image retention days")
            if op == "add":
                given = org.CameraFields(
                    camera_id, site_id, name or None, location, lat, lon, direction, region, days
                )
                camera = org.add_camera(db, actor_of(me), given, default_image_days=default_days)
                message, error = _done(db, f"Camera {camera.id} added.")
            else:
                changes = org.CameraChanges(
                    name, location, lat, lon, direction, region or None, days
                )
                camera = org.update_camera(
                    db, actor_of(me), camera_id, changes, default_image_days=default_days
                )
                message, error = _done(db, f"Camera {camera.id} saved.")
        else:
            message, error = None, f"unknown action {op!r}"
    except DomainError as exc:
        message, error = _failed(db, exc)
    return _page(request, me, "admin_cameras.html", message=message, error=error, db=db)
