"""Agencies, sites, their cameras, and which agencies each site shares its reads with.

Services take a session and never commit. Sharing changes are audited: who may see a
neighborhood's reads is exactly what an auditor asks about.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from org import fields
from org.errors import RetiredError, UnknownCamera
from store.audit import record_audit
from store.audit_details import SiteShareDetail, SiteUnshareDetail
from store.base import utcnow
from store.errors import AlreadyExistsError, NotFoundError
from store.tables import Agency, Camera, Site, SiteSharing

_Named = TypeVar("_Named", Site, Agency)
SITE_KINDS = fields.SITE_KINDS


def create_agency(
    session: Session, name: str, *, jurisdiction: str = "", state: str | None = None
) -> Agency:
    """Register an agency (a police department, a sheriff's office)."""
    name = fields.required_text(name, "name", "agency name")
    _name_free(session, Agency, name, "agency")
    agency = Agency(
        name=name,
        jurisdiction=fields.optional_text(jurisdiction, "jurisdiction", "jurisdiction"),
        state=fields.subdivision(state, "state", "agency state"),
    )
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
    name = fields.required_text(name, "name", "site name")
    site = Site(
        name=name,
        kind=fields.site_kind(kind),
        image_retention_days=fields.retention(
            image_retention_days, "image_retention_days", "image retention days"
        ),
        resident_retention_hours=fields.retention(
            resident_retention_hours, "resident_retention_hours", "resident retention hours"
        ),
    )
    _name_free(session, Site, name, "site")
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
    region: str | None = None,
) -> Camera:
    """Register a camera at a site; reads from unregistered cameras are refused."""
    camera_id = fields.required_text(camera_id, "id", "camera id", limit=fields.CAMERA_ID_MAX)
    camera = Camera(
        id=camera_id,
        name=fields.required_text(name or camera_id, "name", "camera name"),
        location=fields.optional_text(location, "location", "location"),
        latitude=fields.latitude(latitude),
        longitude=fields.longitude(longitude),
        direction=fields.optional_text(
            direction, "direction", "direction", limit=fields.DIRECTION_MAX
        ),
        region=fields.subdivision(region, "region", "camera region"),
    )
    if session.get(Camera, camera_id) is not None:
        msg = f"camera {camera_id!r} already exists; pick another id"
        raise AlreadyExistsError(msg)
    owner = get_site(session, site)
    if owner.retired_at is not None:
        msg = f"site {owner.name!r} is retired; add the camera to a site in service"
        raise RetiredError(msg)
    camera.site_id = owner.id
    session.add(camera)
    session.flush()
    return camera


def set_site_sharing(
    session: Session,
    site: str | int,
    agency: str | int,
    *,
    enabled: bool = True,
    actor: str,
) -> SiteSharing:
    """Opt a site in to (or out of) sharing its reads and alerts with an agency; `actor` is
    the signed-in user or `cli:$USER` (org.admin.share_site passes it on)."""
    owner = get_site(session, site)
    target = get_agency(session, agency)
    if enabled:
        for kind, retired in (("site", owner), ("agency", target)):
            if retired.retired_at is not None:
                msg = f"{kind} {retired.name!r} is retired; it can no longer share reads"
                raise RetiredError(msg)
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


def _name_free(session: Session, table: type[_Named], name: str, what: str) -> None:
    if session.scalar(select(table.id).where(table.name == name)) is not None:
        msg = f"{what} {name!r} already exists; pick another name"
        raise AlreadyExistsError(msg)
