"""Which reads are due: the deployment default, per-site overrides, per-camera overrides and the
resident policy.

A read's image period is its site's (or the default), cut short by its camera's override if
the camera has one: min(camera, site). The resident policy still only shortens that. So a read
is due when it is due under its site's terms, or when it is older than its camera's period.

All arithmetic is on UTC instants, so "30 days" is exactly 720 hours whatever daylight saving
does to the wall clock where the camera stands.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from retention.settings import RetentionSettings
from store.tables import Camera, PlateReadRow, Site


@dataclass(frozen=True, order=True)
class Terms:
    """How long a read's images (and, without a hit, its plate text) are kept."""

    image_days: int
    resident_hours: int

    @property
    def image_keep(self) -> timedelta:
        return timedelta(days=self.image_days)

    @property
    def resident_keep(self) -> timedelta:
        # A resident policy only ever shortens retention, never lengthens it.
        return min(timedelta(hours=self.resident_hours), self.image_keep)

    def as_json(self) -> dict[str, int]:
        return {"image_days": self.image_days, "resident_hours": self.resident_hours}


def describe_period(period: timedelta) -> str:
    """`30 days` or `24 hours`, for messages people read."""
    hours = int(period.total_seconds() // 3600)
    return f"{hours // 24} days" if hours % 24 == 0 else f"{hours} hours"


@dataclass(frozen=True)
class SiteTerms:
    site_id: int
    terms: Terms
    camera_ids: tuple[str, ...]


@dataclass(frozen=True)
class CameraTerms:
    """The cameras whose own image retention is `image_days` (org.admin keeps it no longer
    than their site's, but the policy takes the shorter either way)."""

    image_days: int
    camera_ids: tuple[str, ...]

    @property
    def image_keep(self) -> timedelta:
        return timedelta(days=self.image_days)


@dataclass(frozen=True)
class RetentionPolicy:
    """The policy in force at `as_of`: a read is due when captured at or before its cutoff."""

    as_of: datetime
    default: Terms
    keep_plate_text_without_hit: bool
    overrides: tuple[SiteTerms, ...] = field(default=())
    cameras: tuple[CameraTerms, ...] = field(default=())

    def terms_for(self, site_id: int | None, camera_id: str | None = None) -> Terms:
        """The terms a read of this site (and camera) is kept under."""
        terms = next((s.terms for s in self.overrides if s.site_id == site_id), self.default)
        for group in self.cameras:
            if camera_id in group.camera_ids and group.image_days < terms.image_days:
                return Terms(group.image_days, terms.resident_hours)
        return terms

    def cutoffs(self, terms: Terms) -> tuple[datetime, datetime]:
        """(image cutoff, resident cutoff): reads captured at or before these are due."""
        return self.as_of - terms.image_keep, self.as_of - terms.resident_keep

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "as_of": self.as_of.isoformat(),
            "default": self.default.as_json(),
            "sites": {str(s.site_id): s.terms.as_json() for s in self.overrides},
            "keep_plate_text_without_hit": self.keep_plate_text_without_hit,
            "holds": "admin holds until their end; alerts confirmed with a case number",
        }
        if self.cameras:  # absent when no camera has one, as runs recorded before them
            found["cameras"] = {c: g.image_days for g in self.cameras for c in g.camera_ids}
        return found


def load_policy(session: Session, settings: RetentionSettings, as_of: datetime) -> RetentionPolicy:
    """Read per-site overrides from the sites table and per-camera ones from the cameras table;
    sites without one follow the settings, cameras without one their site."""
    if as_of.tzinfo is None:
        msg = f"naive as_of {as_of!r}: retention needs a UTC-aware time"
        raise ValueError(msg)
    default = Terms(settings.image_days, settings.resident_hours)
    cameras: dict[int, list[str]] = {}
    by_days: dict[int, list[str]] = {}
    query = select(Camera.id, Camera.site_id, Camera.image_retention_days).order_by(Camera.id)
    for camera_id, site_id, camera_days in session.execute(query):
        cameras.setdefault(site_id, []).append(camera_id)
        if camera_days is not None:
            by_days.setdefault(camera_days, []).append(camera_id)
    camera_terms = tuple(CameraTerms(d, tuple(ids)) for d, ids in sorted(by_days.items()))
    overrides = []
    for site in session.scalars(select(Site).order_by(Site.id)):
        terms = Terms(
            site.image_retention_days or default.image_days,
            site.resident_retention_hours or default.resident_hours,
        )
        if terms != default:
            overrides.append(SiteTerms(site.id, terms, tuple(sorted(cameras.get(site.id, [])))))
    return RetentionPolicy(
        as_of, default, settings.keep_plate_text_without_hit, tuple(overrides), camera_terms
    )


def _of_sites(site_ids: list[int], camera_ids: list[str]) -> ColumnElement[bool]:
    # A read without a site falls back to its camera's site.
    read = PlateReadRow
    return or_(
        read.site_id.in_(site_ids), and_(read.site_id.is_(None), read.camera_id.in_(camera_ids))
    )


def _due_under(policy: RetentionPolicy, terms: Terms) -> ColumnElement[bool]:
    read = PlateReadRow
    image_cut, resident_cut = policy.cutoffs(terms)
    return or_(
        and_(read.resident.is_(False), read.captured_at <= image_cut),
        and_(read.resident.is_(True), read.captured_at <= resident_cut),
    )


def _groups(overrides: Iterable[SiteTerms]) -> dict[Terms, tuple[list[int], list[str]]]:
    groups: dict[Terms, tuple[list[int], list[str]]] = {}
    for site in overrides:
        site_ids, camera_ids = groups.setdefault(site.terms, ([], []))
        site_ids.append(site.site_id)
        camera_ids.extend(site.camera_ids)
    return groups


def due_clause(policy: RetentionPolicy) -> ColumnElement[bool]:
    """SQL condition for reads whose retention has run out (holds are checked separately)."""
    read = PlateReadRow
    groups = _groups(policy.overrides)
    all_sites = [s for ids, _ in groups.values() for s in ids]
    all_cameras = [c for _, cams in groups.values() for c in cams]
    clauses = []
    for terms, (site_ids, camera_ids) in sorted(groups.items()):
        clauses.append(and_(_of_sites(site_ids, camera_ids), _due_under(policy, terms)))
    default = _due_under(policy, policy.default)
    if all_sites:
        # Spelled out rather than negating _of_sites: NOT over a NULL site_id would be NULL.
        not_overridden = or_(
            and_(read.site_id.is_not(None), read.site_id.not_in(all_sites)),
            and_(read.site_id.is_(None), read.camera_id.not_in(all_cameras))
            if all_cameras
            else read.site_id.is_(None),
        )
        default = and_(not_overridden, default)
    clauses.append(default)
    cuts = [policy.cutoffs(t)[1] for t in [policy.default, *groups]]
    for group in policy.cameras:
        # min(camera, site): older than the camera's period is due whatever the site keeps.
        camera_cut = policy.as_of - group.image_keep
        clauses.append(and_(read.camera_id.in_(group.camera_ids), read.captured_at <= camera_cut))
        cuts.append(camera_cut)
    latest_cut = max(cuts)
    # The overall bound lets the database walk the capture-time index only as far as needed.
    return and_(read.captured_at <= latest_cut, or_(*clauses))


def site_of_read() -> ColumnElement[Any]:
    """A read's site; a read stored without one belongs to its camera's site."""
    read = PlateReadRow
    camera_site = select(Camera.site_id).where(Camera.id == read.camera_id).scalar_subquery()
    return func.coalesce(read.site_id, camera_site)
