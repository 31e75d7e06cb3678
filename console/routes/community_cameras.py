"""Residents' own cameras: register, edit, pause, resume, remove. A resident reaches only
their own; another's camera id answers 404, as if it did not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from community.errors import CommunityError, NotYoursError
from community.registry import (
    CAMERA_KINDS,
    CameraInput,
    add_camera,
    cameras_of,
    edit_camera,
    owned_camera,
    remove_camera,
    set_paused,
)
from console.deps import DbSession, Principal, Resident
from console.forms import coordinate, sentence
from console.pages import render
from console.schemas.community_cameras import OwnCameraPublic

router = APIRouter()
CAMERAS = "/community/cameras"


class CameraForm(BaseModel):
    """The add and edit forms' fields, parsed into the registry's input."""

    label: str = Field(default="", max_length=200)
    kind: str = Field(default="other", max_length=16)
    latitude: str = Field(default="", max_length=32)
    longitude: str = Field(default="", max_length=32)
    listed: bool = False
    contact: str = Field(default="", max_length=400)

    def parsed(self) -> CameraInput:
        return CameraInput(
            self.label,
            self.kind,
            coordinate(self.latitude, "latitude"),
            coordinate(self.longitude, "longitude"),
            self.listed,
            self.contact,
        )

    def shown(self) -> dict[str, str]:
        """The fields as typed, to fill the form again after an error."""
        return {k: str(v) for k, v in self.model_dump().items()}


def _page(
    request: Request,
    me: Principal,
    db: Session,
    *,
    error: str | None = None,
    message: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "community/cameras.html",
        me,
        cameras=cameras_of(db, me.user_id),
        kinds=CAMERA_KINDS,
        error=error,
        message=message,
        form=form or {},
        status=422 if error else 200,
    )


def _not_found(exc: NotYoursError) -> HTTPException:
    return HTTPException(status_code=404, detail=str(exc))


@router.get("/api/community/cameras", tags=["community"])
def api_my_cameras(me: Resident, db: DbSession) -> list[OwnCameraPublic]:
    """The signed-in resident's registered cameras (removed ones are gone)."""
    return [OwnCameraPublic.model_validate(c) for c in cameras_of(db, me.user_id)]


@router.get("/api/community/cameras/{camera_id}", tags=["community"])
def api_my_camera(camera_id: int, me: Resident, db: DbSession) -> OwnCameraPublic:
    try:
        return OwnCameraPublic.model_validate(owned_camera(db, me.user_id, camera_id))
    except NotYoursError as exc:
        raise _not_found(exc) from exc


@router.get(CAMERAS, include_in_schema=False)
def cameras_page(request: Request, me: Resident, db: DbSession) -> Response:
    return _page(request, me, db)


@router.post(CAMERAS, include_in_schema=False)
def cameras_add(
    request: Request, me: Resident, db: DbSession, form: Annotated[CameraForm, Form()]
) -> Response:
    try:
        camera = add_camera(db, owner_user_id=me.user_id, actor=me.username, given=form.parsed())
    except CommunityError as exc:
        db.rollback()
        return _page(request, me, db, error=sentence(exc), form=form.shown())
    db.commit()
    return _page(request, me, db, message=f"Registered {camera.label}.")


@router.post(CAMERAS + "/{camera_id}/edit", include_in_schema=False)
def cameras_edit(
    camera_id: int,
    request: Request,
    me: Resident,
    db: DbSession,
    form: Annotated[CameraForm, Form()],
) -> Response:
    try:
        camera = edit_camera(
            db,
            owner_user_id=me.user_id,
            actor=me.username,
            camera_id=camera_id,
            given=form.parsed(),
        )
    except NotYoursError as exc:
        raise _not_found(exc) from exc
    except CommunityError as exc:
        db.rollback()
        return _page(request, me, db, error=sentence(exc))
    db.commit()
    return _page(request, me, db, message=f"Saved {camera.label}.")


def _act(me: Principal, db: Session, camera_id: int, action: str) -> None:
    try:
        if action == "remove":
            remove_camera(db, owner_user_id=me.user_id, actor=me.username, camera_id=camera_id)
        else:
            set_paused(
                db,
                owner_user_id=me.user_id,
                actor=me.username,
                camera_id=camera_id,
                paused=action == "pause",
            )
    except NotYoursError as exc:
        raise _not_found(exc) from exc
    db.commit()


@router.post(CAMERAS + "/{camera_id}/pause", include_in_schema=False)
def cameras_pause(camera_id: int, me: Resident, db: DbSession) -> Response:
    _act(me, db, camera_id, "pause")
    return RedirectResponse(CAMERAS, status_code=303)


@router.post(CAMERAS + "/{camera_id}/resume", include_in_schema=False)
def cameras_resume(camera_id: int, me: Resident, db: DbSession) -> Response:
    _act(me, db, camera_id, "resume")
    return RedirectResponse(CAMERAS, status_code=303)


@router.post(CAMERAS + "/{camera_id}/remove", include_in_schema=False)
def cameras_remove(camera_id: int, me: Resident, db: DbSession) -> Response:
    _act(me, db, camera_id, "remove")
    return RedirectResponse(CAMERAS, status_code=303)
