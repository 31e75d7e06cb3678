from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community.cells import cell_center, cell_of
from community.errors import CommunityError, NotYoursError
from community.registry import (
    CameraInput,
    add_camera,
    cameras_of,
    edit_camera,
    police_view,
    remove_camera,
    set_paused,
)
from store.tables import AuditEvent, CommunityCamera, ResidentProfile, User

DOOR = CameraInput("Front door", "doorbell", 37.774912, -122.419415)


def _residents(session: Session) -> tuple[int, int]:
    ids = []
    for name in ("ann", "bob"):
        user = User(username=name, role="resident", password_hash="-")
        session.add(user)
        session.flush()
        session.add(ResidentProfile(user_id=user.id, kind="home", email=f"{name}@example.org"))
        ids.append(user.id)
    session.flush()
    return ids[0], ids[1]


def test_a_camera_is_stored_exactly_with_its_cell_and_audited(session: Session) -> None:
    ann, _ = _residents(session)
    camera = add_camera(session, owner_user_id=ann, actor="ann", given=DOOR)
    session.commit()
    session.expire_all()
    stored = session.get(CommunityCamera, camera.id)
    assert stored is not None
    assert (stored.latitude, stored.longitude) == (37.774912, -122.419415)
    assert stored.cell == cell_of(37.774912, -122.419415)
    assert stored.listed is False and stored.paused_at is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action.like("community%"))).one()
    assert event.action == "community_camera.add" and event.actor == "ann"
    assert "37.77" not in str(event.detail)  # the audit log keeps the cell, not the place


def test_another_residents_camera_is_not_found(session: Session) -> None:
    ann, bob = _residents(session)
    camera = add_camera(session, owner_user_id=ann, actor="ann", given=DOOR)
    theirs = {"owner_user_id": bob, "actor": "bob", "camera_id": camera.id}
    acts: list[Callable[[], object]] = [
        lambda: edit_camera(session, **theirs, given=DOOR),  # type: ignore[arg-type]
        lambda: set_paused(session, **theirs, paused=True),  # type: ignore[arg-type]
        lambda: remove_camera(session, **theirs),  # type: ignore[arg-type]
    ]
    for act in acts:
        with pytest.raises(NotYoursError, match=f"you have no camera {camera.id}"):
            act()
    assert cameras_of(session, bob) == []
    assert camera.paused_at is None and camera.latitude is not None


def test_pause_resume_and_remove(session: Session) -> None:
    ann, _ = _residents(session)
    camera = add_camera(session, owner_user_id=ann, actor="ann", given=DOOR)
    set_paused(session, owner_user_id=ann, actor="ann", camera_id=camera.id, paused=True)
    assert camera.paused_at is not None
    set_paused(session, owner_user_id=ann, actor="ann", camera_id=camera.id, paused=False)
    assert camera.paused_at is None
    remove_camera(session, owner_user_id=ann, actor="ann", camera_id=camera.id)
    session.commit()
    session.expire_all()
    gone = session.get(CommunityCamera, camera.id)
    assert gone is not None and gone.latitude is None and gone.longitude is None
    assert gone.removed_at is not None and cameras_of(session, ann) == []
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a for a in actions if a.startswith("community")] == [
        "community_camera.add",
        "community_camera.pause",
        "community_camera.resume",
        "community_camera.remove",
    ]


BAD_CAMERAS = [
    (CameraInput(" ", "doorbell", 1, 1), "a camera needs a label of 1 to 100 characters"),
    (CameraInput("x", "drone", 1, 1), "camera kind 'drone' is unknown; choose doorbell, "),
    (CameraInput("x", "other", 95, 1), "latitude 95 is out of range"),
    (CameraInput("x", "other", 1, 200), "longitude 200 is out of range"),
    (CameraInput("x", "other", 1, 1, contact="c" * 201), "contact is longer than 200"),
]


def test_bad_input_is_refused_and_nothing_is_written(session: Session) -> None:
    ann, _ = _residents(session)
    for given, message in BAD_CAMERAS:
        with pytest.raises(CommunityError, match=message):
            add_camera(session, owner_user_id=ann, actor="ann", given=given)
    assert session.scalar(select(func.count()).select_from(CommunityCamera)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_police_see_only_the_cell_centre_of_an_unlisted_camera(session: Session) -> None:
    ann, _ = _residents(session)
    profile = session.get(ResidentProfile, ann)
    assert profile is not None
    profile.address = "12 Oak Dr"
    camera = add_camera(session, owner_user_id=ann, actor="ann", given=DOOR)
    seen = police_view(camera, profile)
    lat, lon = cell_center(camera.cell)
    assert (seen.latitude, seen.longitude) == (round(lat, 4), round(lon, 4))
    assert (seen.latitude, seen.longitude) != (camera.latitude, camera.longitude)
    assert seen.address == seen.contact == "" and seen.listed is False
    listed = CameraInput("Shop", "business", 37.7751, -122.4188, listed=True, contact="555-0100")
    shop = add_camera(session, owner_user_id=ann, actor="ann", given=listed)
    shown = police_view(shop, profile)
    assert (shown.latitude, shown.longitude) == (37.7751, -122.4188)
    assert (shown.address, shown.contact) == ("12 Oak Dr", "555-0100")
    remove_camera(session, owner_user_id=ann, actor="ann", camera_id=shop.id)
    assert police_view(shop, profile).address == ""
