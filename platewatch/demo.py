"""The demo world `make run` starts with: one agency, one HOA sharing with it, a camera,
a hotlist holding a demo plate and a safe list holding another, and one account per role.

Seeding is idempotent: a second `make run` keeps the data and only issues fresh one-time
passwords, so whoever runs the demo can always log in.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.demo_clip import DEMO_PLATES, car_colour_name
from console.accounts.users import as_role, create_user, reset_password
from hotlist.lists import add_entry, create_hotlist
from hotlist.safelists import add_safelist_entry
from org.registry import create_agency, create_camera, create_site, set_site_sharing
from store.tables import Agency, Camera, Site
from store.tables.accounts import User

AGENCY = "Demo Police Department"
SITE = "Maple Grove HOA"
HOTLIST = "Demo stolen vehicles"
DEMO_CAMERA = "demo-cam-1"
ACTOR = "demo-setup"

# DEMO_PLATES: the first is hotlisted, the second safe-listed, the third on neither.
HOTLISTED_PLATE, RESIDENT_PLATE, PASSING_PLATE = DEMO_PLATES[:3]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str


@dataclass(frozen=True)
class DemoWorld:
    camera_id: str
    created: bool
    logins: tuple[DemoLogin, ...]


_ACCOUNTS = (
    ("officer", "officer", "Officer Demo"),
    ("hoa", "hoa_admin", "HOA Admin Demo"),
    ("auditor", "auditor", "Auditor Demo"),
    ("admin", "admin", "Admin Demo"),
)


def _filler_plates(count: int, seed: int = 7) -> list[str]:
    """Plates that no demo vehicle carries, so the list looks like a real feed."""
    rng = random.Random(seed)
    taken = set(DEMO_PLATES)
    plates: list[str] = []
    while len(plates) < count:
        plate = (
            rng.choice("123456789")
            + "".join(rng.choices(string.ascii_uppercase, k=3))
            + "".join(rng.choices(string.digits, k=3))
        )
        if plate not in taken:
            taken.add(plate)
            plates.append(plate)
    return plates


def _create_world(session: Session, camera_id: str) -> None:
    agency = create_agency(session, AGENCY, jurisdiction="Demo County", state="CA")
    site = create_site(session, SITE, kind="hoa")
    set_site_sharing(session, site.id, agency.id, enabled=True, actor=ACTOR)
    create_camera(
        session,
        camera_id,
        site=site.id,
        name="North gate",
        location="Maple Grove Dr at North gate",
        direction="inbound",
    )
    create_hotlist(session, HOTLIST, source="custom", owner_agency=agency.id)
    add_entry(
        session,
        HOTLIST,
        plate=HOTLISTED_PLATE,
        state="CA",
        reason="stolen_vehicle",
        # The clip draws a generic sedan; its colour is the one thing the record can match.
        make="Honda",
        model="Civic",
        color=car_colour_name(DEMO_PLATES.index(HOTLISTED_PLATE)),
        record_number="V-2026-0412",
    )
    for plate in _filler_plates(50):
        add_entry(session, HOTLIST, plate=plate, state="CA", reason="stolen_vehicle")
    add_safelist_entry(
        session, site.id, RESIDENT_PLATE, state="CA", label="Unit 12B", added_by=ACTOR
    )


def _logins(session: Session, agency: Agency, site: Site, created: bool) -> tuple[DemoLogin, ...]:
    logins = []
    for username, role, display in _ACCOUNTS:
        exists = session.scalar(select(User.id).where(User.username == username)) is not None
        if created or not exists:
            new = create_user(
                session,
                actor=ACTOR,
                username=username,
                role=as_role(role),
                display_name=display,
                agency_id=agency.id if role == "officer" else None,
                site_id=site.id if role == "hoa_admin" else None,
            )
            assert new.one_time_password is not None
            password = new.one_time_password
        else:
            password = reset_password(session, actor=ACTOR, username=username)
        logins.append(DemoLogin(username, role, password))
    return tuple(logins)


def seed_demo(session: Session, *, camera_id: str = DEMO_CAMERA) -> DemoWorld:
    """Create the demo world if it is missing; always issue fresh one-time passwords."""
    created = session.scalar(select(Agency).where(Agency.name == AGENCY)) is None
    if created:
        _create_world(session, camera_id)
    elif session.get(Camera, camera_id) is None:
        create_camera(session, camera_id, site=SITE, name=camera_id)
    agency = session.scalar(select(Agency).where(Agency.name == AGENCY))
    site = session.scalar(select(Site).where(Site.name == SITE))
    assert agency is not None and site is not None
    return DemoWorld(camera_id, created, _logins(session, agency, site, created))
