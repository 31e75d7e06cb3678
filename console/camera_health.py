"""Camera health: each camera's state from its latest heartbeat, always through the scope.

The state is worked out when asked (page, API, metrics, the checker), from how old the last
heartbeat is and what it says, so every view agrees without waiting for the checker:

- offline: no heartbeat for `health.offline_after_s` (or never one);
- failing: heartbeats, and a source error within `health.failing_window_s`;
- silent: heartbeats, no error, but no read for `health.silent_after_s` (counted from the
  edge's start when it has read nothing yet);
- live: heartbeats and reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session, sessionmaker

from console.deps import Principal
from console.errors import Forbidden
from console.health_settings import HealthSettings
from console.schemas.camera_health import CameraHealthPublic, CameraStateName
from console.scope import shared_camera_ids
from store.base import utcnow
from store.tables import Camera, CameraHealth, Site

STATES: tuple[CameraStateName, ...] = ("live", "silent", "failing", "offline")
BAD_STATES: frozenset[str] = frozenset({"silent", "failing", "offline"})


@dataclass(frozen=True)
class Verdict:
    state: CameraStateName
    reason: str


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def verdict(row: CameraHealth | None, now: datetime, health: HealthSettings) -> Verdict:
    """The camera's state and why, from its latest heartbeat (None: never heard from)."""
    if row is None:
        return Verdict("offline", "never sent a heartbeat; is its edge reader running?")
    silence = (now - row.heard_at).total_seconds()
    if silence >= health.offline_after_s:
        return Verdict("offline", f"no heartbeat for {_ago(silence)}")
    if row.last_error_at is not None and now - row.last_error_at < timedelta(
        seconds=health.failing_window_s
    ):
        return Verdict("failing", f"source error: {row.last_error or 'unknown'}")
    since = row.last_read_at or row.started_at
    quiet = (now - since).total_seconds()
    if quiet >= health.silent_after_s:
        what = "no read" if row.last_read_at is not None else "no read since its start"
        return Verdict("silent", f"{what} for {_ago(quiet)}")
    return Verdict("live", "heartbeats and reads arriving")


def cameras_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Cameras whose health a user may see: an admin every one, an officer or supervisor
    those of sites shared with the agency, an HOA admin the own site's."""
    if principal.role == "admin":
        return true()
    if principal.role in ("officer", "supervisor") and principal.agency_id is not None:
        return Camera.id.in_(shared_camera_ids(principal.agency_id))
    if principal.role == "hoa_admin" and principal.site_id is not None:
        return Camera.site_id == principal.site_id
    msg = "camera health is for admins, agency officers and supervisors, and HOA admins"
    raise Forbidden(msg)


def _public(
    camera: Camera, site: Site, row: CameraHealth | None, now: datetime, health: HealthSettings
) -> CameraHealthPublic:
    judged = verdict(row, now, health)
    return CameraHealthPublic(
        camera_id=camera.id,
        camera_name=camera.name,
        site_id=site.id,
        site_name=site.name,
        state=judged.state,
        reason=judged.reason,
        last_heartbeat_at=row.heard_at if row else None,
        heartbeat_age_s=(now - row.heard_at).total_seconds() if row else None,
        started_at=row.started_at if row else None,
        frames=row.frames if row else 0,
        reads=row.reads if row else 0,
        last_read_at=row.last_read_at if row else None,
        model_pack=row.model_pack if row else None,
        errors=row.errors if row else 0,
        last_error=row.last_error if row else None,
        last_error_at=row.last_error_at if row else None,
    )


def camera_health(
    session: Session,
    health: HealthSettings,
    *,
    where: ColumnElement[bool] | None = None,
    now: datetime | None = None,
) -> list[CameraHealthPublic]:
    """Every camera matching `where` (all when None), worst state first, then by name."""
    now = now or utcnow()
    query = (
        select(Camera, Site, CameraHealth)
        .join(Site, Site.id == Camera.site_id)
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
    )
    if where is not None:
        query = query.where(where)
    rows = [_public(c, s, h, now, health) for c, s, h in session.execute(query)]
    order = {state: rank for rank, state in enumerate(reversed(STATES))}
    return sorted(rows, key=lambda r: (order[r.state], r.site_name, r.camera_name))


class CameraHealthCollector(Collector):
    """Per-camera gauges at scrape time: the state (one series per state, 1 for the current
    one), the heartbeat's age, and the edge's frame and read counters since its start."""

    def __init__(self, factory: sessionmaker[Session], health: HealthSettings) -> None:
        self.factory = factory
        self.health = health

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.factory() as session:
            cameras = camera_health(session, self.health)
        state = GaugeMetricFamily(
            "platewatch_camera_state",
            "1 for the camera's current state (live, silent, failing, offline), else 0",
            labels=["camera", "site", "state"],
        )
        age = GaugeMetricFamily(
            "platewatch_camera_heartbeat_age_seconds",
            "Seconds since the camera's last heartbeat (cameras never heard from are left out)",
            labels=["camera"],
        )
        frames = GaugeMetricFamily(
            "platewatch_camera_frames",
            "Frames the edge has read since it started",
            labels=["camera"],
        )
        reads = GaugeMetricFamily(
            "platewatch_camera_reads",
            "Plate reads the edge has made since it started",
            labels=["camera"],
        )
        errors = GaugeMetricFamily(
            "platewatch_camera_errors", "Source errors since the edge started", labels=["camera"]
        )
        for camera in cameras:
            for name in STATES:
                state.add_metric(
                    [camera.camera_id, camera.site_name, name], float(camera.state == name)
                )
            if camera.heartbeat_age_s is not None:
                age.add_metric([camera.camera_id], camera.heartbeat_age_s)
            frames.add_metric([camera.camera_id], camera.frames)
            reads.add_metric([camera.camera_id], camera.reads)
            errors.add_metric([camera.camera_id], camera.errors)
        yield from (state, age, frames, reads, errors)
