"""The deployment's policy as the public transparency page states it: how long images are kept,
which sites share their cameras with which agency, and the cameras of each site (with a
camera's own shorter image retention, where it has one).

Built from the live tables and settings at each view, so the page cannot claim a policy the
purge does not apply. Nothing here names a plate, a resident or a user.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from retention.settings import RetentionSettings
from store.tables import Agency, Camera, Site, SiteSharing


@dataclass(frozen=True)
class PublicCamera:
    name: str
    location: str
    direction: str
    image_days: int | None  # its own, shorter than its site's; None: the site's


@dataclass(frozen=True)
class SitePolicy:
    site: str
    kind: str
    image_days: int
    resident_hours: int
    shared_with: tuple[str, ...]
    cameras: tuple[PublicCamera, ...]


@dataclass(frozen=True)
class PublicPolicy:
    image_days: int
    resident_hours: int
    plate_text_kept_without_hit: bool
    sites: tuple[SitePolicy, ...]


def public_policy(session: Session, defaults: RetentionSettings) -> PublicPolicy:
    """Every site with its retention, the agencies it shares with, and its cameras."""
    shares: dict[int, list[str]] = {}
    sharing = (
        select(SiteSharing.site_id, Agency.name)
        .join(Agency, Agency.id == SiteSharing.agency_id)
        .where(SiteSharing.enabled.is_(True))
        .order_by(Agency.name)
    )
    for site_id, agency in session.execute(sharing):
        shares.setdefault(site_id, []).append(agency)
    site_days = {
        site_id: days or defaults.image_days
        for site_id, days in session.execute(select(Site.id, Site.image_retention_days))
    }
    cameras: dict[int, list[PublicCamera]] = {}
    for camera in session.scalars(select(Camera).order_by(Camera.name, Camera.id)):
        own = camera.image_retention_days
        # Shown only where it cuts the site's period short: the purge keeps the shorter.
        shorter = own if own is not None and own < site_days[camera.site_id] else None
        cameras.setdefault(camera.site_id, []).append(
            PublicCamera(camera.name, camera.location, camera.direction, shorter)
        )
    sites = tuple(
        SitePolicy(
            site=site.name,
            kind=site.kind,
            image_days=site.image_retention_days or defaults.image_days,
            resident_hours=site.resident_retention_hours or defaults.resident_hours,
            shared_with=tuple(shares.get(site.id, ())),
            cameras=tuple(cameras.get(site.id, ())),
        )
        for site in session.scalars(select(Site).order_by(Site.name))
    )
    return PublicPolicy(
        defaults.image_days, defaults.resident_hours, defaults.keep_plate_text_without_hit, sites
    )
