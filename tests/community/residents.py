"""Residents and their cameras for the tests, written straight into the registry tables
(the registry's own services are tested with it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from community.area import Area
from community.cells import cell_of
from community.request_settings import RequestSettings
from community.requests import RequestDraft, decide_request, draft_request
from console.accounts.users import create_user
from org.registry import create_agency
from store.base import utcnow
from store.tables import CommunityCamera, ResidentProfile

CENTER = (37.7749, -122.4194)
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class SeededResident:
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
) -> SeededResident:
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
    return SeededResident(user.id, username, email, camera_id)


def near(dlat: float, dlon: float = 0.0) -> tuple[float, float]:
    return CENTER[0] + dlat, CENTER[1] + dlon


@dataclass(frozen=True)
class OpenRequest:
    agency_id: int
    request_id: int
    case_number: str
    ana: SeededResident  # asked, camera not listed
    ben: SeededResident  # asked, camera listed
    cat: SeededResident  # outside the area, never asked


def open_request(session: Session) -> OpenRequest:
    """Metro PD's approved request around CENTER, with two residents asked, one not."""
    agency = create_agency(session, "Metro PD", state="CA")
    ana = add_resident(session, "ana", camera_at=near(0.001))
    ben = add_resident(session, "ben", camera_at=near(-0.002), listed=True)
    cat = add_resident(session, "cat", camera_at=near(0.03))
    now = utcnow()
    draft = RequestDraft(
        case_number="2025-004211",
        public_summary="Car break-in on Elm St",
        details="grey sedan",
        starts_at=now - timedelta(hours=5),
        ends_at=now - timedelta(hours=1),
        area=Area(CENTER[0], CENTER[1], 500),
        contact="Det. Ruiz, 555-0100",
    )
    settings = RequestSettings()
    row = draft_request(
        session, agency.id, draft, actor="officer1", settings=settings, image_days=30
    )
    decide_request(
        session, row.id, approve=True, actor="super1", agency_id=agency.id, settings=settings
    )
    return OpenRequest(agency.id, row.id, row.case_number, ana, ben, cat)
