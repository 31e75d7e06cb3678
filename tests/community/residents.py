"""Residents and their cameras for the tests, written straight into the registry tables
(the registry's own services are tested with it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from community.cells import cell_of
from console.accounts.users import create_user
from store.tables import CommunityCamera, ResidentProfile

CENTER = (37.7749, -122.4194)
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class TestResident:
    user_id: int
    username: str
    email: str
    camera_id: int | None


def add_resident(
    session: Session,
    username: str,
    *,
    camera_at: tuple[float, float] | None,
    home_at: tuple[float, float] | None = None,
    listed: bool = False,
    address: str = "",
) -> TestResident:
    user = create_user(
        session,
        actor="test",
        username=username,
        role="resident",
        password=PASSWORD,
        display_name=f"{username.title()} Resident",
    ).user
    user.must_change_password = False
    email = f"{username}@residents.example"
    session.add(
        ResidentProfile(
            user_id=user.id,
            kind="home",
            email=email,
            address=address or f"{len(username)} {username.title()} Lane",
            latitude=home_at[0] if home_at else None,
            longitude=home_at[1] if home_at else None,
        )
    )
    camera_id = None
    if camera_at is not None:
        camera = CommunityCamera(
            owner_user_id=user.id,
            label=f"{username} doorbell",
            kind="doorbell",
            latitude=camera_at[0],
            longitude=camera_at[1],
            cell=cell_of(*camera_at),
            listed=listed,
            contact=f"{username} 555-0199" if listed else "",
        )
        session.add(camera)
        session.flush()
        camera_id = camera.id
    session.flush()
    return TestResident(user.id, username, email, camera_id)


def near(dlat: float, dlon: float = 0.0) -> tuple[float, float]:
    return CENTER[0] + dlat, CENTER[1] + dlon
