"""The registry of residents' cameras. Every change is audited in the caller's transaction
(none of these commit). Owners address their cameras only through their own user id, so
another resident's camera is simply not found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from community.cells import cell_center, cell_of
from community.errors import CommunityError, NotYoursError
from store.audit import record_audit
from store.audit_community import (
    CommunityCameraAddDetail,
    CommunityCameraEditDetail,
    CommunityCameraPauseDetail,
    CommunityCameraRemoveDetail,
    CommunityCameraResumeDetail,
)
from store.base import utcnow
from store.tables import CommunityCamera, ResidentProfile

CameraKind = Literal["doorbell", "driveway", "business", "other"]
CAMERA_KINDS: tuple[CameraKind, ...] = get_args(CameraKind)
CENTER_DECIMALS = 4


@dataclass(frozen=True)
class CameraInput:
    label: str
    kind: str
    latitude: float
    longitude: float
    listed: bool = False
    contact: str = ""


@dataclass(frozen=True)
class PoliceCameraView:
    """What police-facing code may show of a camera: its cell centre, unless the owner chose
    to be listed (then the exact place, the owner's address and the contact)."""

    camera_id: int
    kind: str
    cell: str
    latitude: float | None
    longitude: float | None
    listed: bool
    address: str
    contact: str


def _checked(given: CameraInput) -> CameraInput:
    label, contact = given.label.strip(), given.contact.strip()
    if not label or len(label) > 100:
        msg = "a camera needs a label of 1 to 100 characters, such as 'Front door'"
        raise CommunityError(msg)
    if given.kind not in CAMERA_KINDS:
        msg = f"camera kind {given.kind!r} is unknown; choose {', '.join(CAMERA_KINDS)}"
        raise CommunityError(msg)
    if len(contact) > 200:
        msg = "the contact is longer than 200 characters; shorten it"
        raise CommunityError(msg)
    try:
        cell_of(given.latitude, given.longitude)
    except ValueError as exc:
        raise CommunityError(str(exc)) from exc
    return CameraInput(label, given.kind, given.latitude, given.longitude, given.listed, contact)


def cameras_of(session: Session, owner_user_id: int) -> list[CommunityCamera]:
    query = select(CommunityCamera).where(
        CommunityCamera.owner_user_id == owner_user_id, CommunityCamera.removed_at.is_(None)
    )
    return list(session.scalars(query.order_by(CommunityCamera.id)))


def owned_camera(session: Session, owner_user_id: int, camera_id: int) -> CommunityCamera:
    camera = session.get(CommunityCamera, camera_id)
    if camera is None or camera.owner_user_id != owner_user_id or camera.removed_at is not None:
        msg = f"you have no camera {camera_id}; pick one from your list"
        raise NotYoursError(msg)
    return camera


def add_camera(
    session: Session, *, owner_user_id: int, actor: str, given: CameraInput
) -> CommunityCamera:
    clean = _checked(given)
    camera = CommunityCamera(
        owner_user_id=owner_user_id,
        label=clean.label,
        kind=clean.kind,
        latitude=clean.latitude,
        longitude=clean.longitude,
        cell=cell_of(clean.latitude, clean.longitude),
        listed=clean.listed,
        contact=clean.contact,
    )
    session.add(camera)
    session.flush()
    record_audit(
        session,
        actor=actor,
        subject=str(camera.id),
        detail=CommunityCameraAddDetail(kind=camera.kind, cell=camera.cell, listed=camera.listed),
    )
    return camera


def edit_camera(
    session: Session, *, owner_user_id: int, actor: str, camera_id: int, given: CameraInput
) -> CommunityCamera:
    camera = owned_camera(session, owner_user_id, camera_id)
    clean = _checked(given)
    camera.label, camera.kind = clean.label, clean.kind
    camera.latitude, camera.longitude = clean.latitude, clean.longitude
    camera.cell = cell_of(clean.latitude, clean.longitude)
    camera.listed, camera.contact = clean.listed, clean.contact
    record_audit(
        session,
        actor=actor,
        subject=str(camera.id),
        detail=CommunityCameraEditDetail(kind=camera.kind, cell=camera.cell, listed=camera.listed),
    )
    return camera


def set_paused(
    session: Session, *, owner_user_id: int, actor: str, camera_id: int, paused: bool
) -> CommunityCamera:
    """A paused camera gets no new requests; resuming makes it askable again."""
    camera = owned_camera(session, owner_user_id, camera_id)
    was_paused = camera.paused_at is not None
    if paused and not was_paused:
        camera.paused_at = utcnow()
    elif not paused:
        camera.paused_at = None
    record_audit(
        session,
        actor=actor,
        subject=str(camera.id),
        detail=(CommunityCameraPauseDetail if paused else CommunityCameraResumeDetail)(
            was_paused=was_paused
        ),
    )
    return camera


def remove_camera(
    session: Session, *, owner_user_id: int, actor: str, camera_id: int
) -> CommunityCamera:
    """Delete the exact location; the row stays so shares already made still name a cell."""
    camera = owned_camera(session, owner_user_id, camera_id)
    camera.latitude = camera.longitude = None
    camera.removed_at = utcnow()
    record_audit(
        session,
        actor=actor,
        subject=str(camera.id),
        detail=CommunityCameraRemoveDetail(cell=camera.cell),
    )
    return camera


def police_view(
    camera: CommunityCamera, profile: ResidentProfile | None = None
) -> PoliceCameraView:
    """The only shape police-facing code should turn a camera into."""
    if camera.listed and camera.removed_at is None:
        return PoliceCameraView(
            camera.id,
            camera.kind,
            camera.cell,
            camera.latitude,
            camera.longitude,
            listed=True,
            address=profile.address if profile else "",
            contact=camera.contact,
        )
    lat, lon = cell_center(camera.cell)
    return PoliceCameraView(
        camera.id,
        camera.kind,
        camera.cell,
        round(lat, CENTER_DECIMALS),
        round(lon, CENTER_DECIMALS),
        listed=False,
        address="",
        contact="",
    )
