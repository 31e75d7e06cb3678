"""Agencies, sites, their cameras, and which agencies each site shares its reads with.

Services take a session and never commit. Sharing changes are audited: who may see a
neighborhood's reads is exactly what an auditor asks about.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from org.errors import UnknownCamera
from org.regions import state_code
from store.audit import record_audit
from store.audit_details import SiteShareDetail, SiteUnshareDetail
from store.base import utcnow
from store.errors import AlreadyExistsError, NotFoundError
from store.tables import Agency, Camera, Site, SiteSharing

_Named = TypeVar("_Named", Site, Agency)
SITE_KINDS = ("hoa", "neighborhood", "business", "school", "city", "other")


def create_agency(
    session: Session, name: str, *, jurisdiction: str = "", state: str | None = None
) -> Agency:
    """Register an agency (a police department, a sheriff's office)."""
    name = _required(name, "agency name")
    if session.scalar(select(Agency.id).where(Agency.name == name)) is not None:
        msg = f"agency {name!r} already exists; pick another name"
        raise AlreadyExistsError(msg)
    code = state_code(state) if state else None
    if code is not None and len(code) != 2:
        msg = f"agency state {state!r} must be a two-letter state or province code"
        raise ValueError(msg)
    agency = Agency(name=name, jurisdiction=jurisdiction.strip(), state=code)
    session.add(agency)
    session.flush()
    return agency


def create_site(
    session: Session,
    name: str,
    *,
    kind: str = "hoa",
    image_retention_days: int | None = None,
    resident_retention_hours: int | None = None,
) -> Site:
    """Register a site (an HOA, a neighborhood) whose cameras read plates."""
    name = _required(name, "site name")
    if kind not in SITE_KINDS:
        msg = f"site kind {kind!r} is not one of {', '.join(SITE_KINDS)}"
        raise ValueError(msg)
    for label, value in (
        ("image retention days", image_retention_days),
        ("resident retention hours", resident_retention_hours),
    ):
        if value is not None and value < 0:
            msg = f"{label} must not be negative (got {value})"
            raise ValueError(msg)
    if session.scalar(select(Site.id).where(Site.name == name)) is not None:
        msg = f"site {name!r} already exists; pick another name"
        raise AlreadyExistsError(msg)
    site = Site(
        name=name,
        kind=kind,
        image_retention_days=image_retention_days,
        resident_retention_hours=resident_retention_hours,
    )
    session.add(site)
    session.flush()
    return site


def create_camera(
    session: Session,
    camera_id: str,
    *,
    site: str | int,
    name: str | None = None,
    location: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    direction: str = "",
) -> Camera:
    """Register a camera at a site; reads from unregistered cameras are refused."""
    camera_id = _required(camera_id, "camera id")
    if len(camera_id) > 64:
        msg = f"camera id {camera_id!r} is longer than 64 characters"
        raise ValueError(msg)
    if session.get(Camera, camera_id) is not None:
        msg = f"camera {camera_id!r} already exists"
        raise AlreadyExistsError(msg)
    if latitude is not None and not -90 <= latitude <= 90:
        msg = f"latitude {latitude} is outside -90..90"
        raise ValueError(msg)
    if longitude is not None and not -180 <= longitude <= 180:
        msg = f"longitude {longitude} is outside -180..180"
        raise ValueError(msg)
    owner = get_site(session, site)
    camera = Camera(
        id=camera_id,
        site_id=owner.id,
        name=(name or camera_id).strip(),
        location=location.strip(),
        latitude=latitude,
        longitude=longitude,
        direction=direction.strip(),
    )
    session.add(camera)
    session.flush()
    return camera


def set_site_sharing(
    session: Session,
    site: str | int,
    agency: str | int,
    *,
    enabled: bool = True,
    actor: str = "cli",
) -> SiteSharing:
    """Opt a site in to (or out of) sharing its reads and alerts with an agency."""
    owner = get_site(session, site)
    target = get_agency(session, agency)
    sharing = session.scalar(
        select(SiteSharing).where(
            SiteSharing.site_id == owner.id, SiteSharing.agency_id == target.id
        )
    )
    if sharing is None:
        sharing = SiteSharing(site_id=owner.id, agency_id=target.id, enabled=enabled)
        session.add(sharing)
    else:
        sharing.enabled = enabled
        sharing.changed_at = utcnow()
    session.flush()
    record_audit(
        session,
        actor=actor,
        subject=f"site:{owner.id}",
        detail=(SiteShareDetail if enabled else SiteUnshareDetail)(
            site=owner.name, agency=target.name, enabled=enabled
        ),
    )
    return sharing


def get_site(session: Session, site: str | int) -> Site:
    found = _by_name_or_id(session, Site, site)
    if found is None:
        msg = f"no site {site!r}; create it with `platewatch site add NAME`"
        raise NotFoundError(msg)
    return found


def get_agency(session: Session, agency: str | int) -> Agency:
    found = _by_name_or_id(session, Agency, agency)
    if found is None:
        msg = f"no agency {agency!r}; create it with `platewatch agency add NAME`"
        raise NotFoundError(msg)
    return found


def get_camera(session: Session, camera_id: str) -> Camera:
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise UnknownCamera(camera_id)
    return camera


def _by_name_or_id(session: Session, table: type[_Named], key: str | int) -> _Named | None:
    if isinstance(key, int) or key.isdigit():
        found = session.get(table, int(key))
        if found is not None:
            return found
    return session.scalar(select(table).where(table.name == str(key)))


def _required(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        msg = f"{what} must not be empty"
        raise ValueError(msg)
    return value
