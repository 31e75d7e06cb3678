"""Alerts as officers see them, and the outbox rows that carry them to the console.

`AlertView` is the public shape of an alert: everything an officer needs at a glance, and the
standing instruction to confirm with dispatch before acting. The same JSON is the payload of
every outbox row (raised, sighting, status), so a subscriber never needs a second lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.base import utcnow
from store.errors import NotFoundError
from store.tables import Alert, AlertSighting, Camera, PlateReadRow, Site

INSTRUCTION = "Confirm with dispatch before acting."
AlertStatus = Literal["new", "acknowledged", "confirmed", "rejected", "dismissed"]
# A re-sighting inside the cooldown folds into an alert in one of these: the same car, the same
# incident. A confirmed one still folds (no second stop for one car), but the officer is told:
# the feed sends it as "seen_again" (console/feed.py), because a confirmed stolen car seen
# again is exactly what the officers looking for it need to know.
FOLDING_STATUSES: tuple[AlertStatus, ...] = ("new", "acknowledged", "confirmed")
# What still waits for an officer's decision: the open list of the live feed.
NEEDS_DECISION_STATUSES: tuple[AlertStatus, ...] = ("new", "acknowledged")


class CameraView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    location: str
    direction: str
    latitude: float | None
    longitude: float | None
    site_id: int | None
    site_name: str | None


class SightingView(BaseModel):
    model_config = ConfigDict(frozen=True)

    read_id: str
    camera_id: str
    camera_name: str
    seen_at: datetime


class RecordView(BaseModel):
    """The hotlist record as it was when the alert was raised."""

    model_config = ConfigDict(frozen=True)

    plate: str
    state: str | None
    list_id: int | None
    list_name: str
    list_priority: int
    reason: str
    make: str | None
    model: str | None
    color: str | None
    record_number: str | None
    entered_at: datetime | None
    record_age_s: int | None  # at `as_of`
    list_refreshed_at: datetime | None
    list_refresh_age_s: int | None  # at `as_of`


class AlertView(BaseModel):
    """What an officer sees for one alert."""

    model_config = ConfigDict(frozen=True)

    id: int
    status: AlertStatus
    decision: Literal["alert", "verify"]
    instruction: str = INSTRUCTION
    plate_read: str
    read_confidence: float
    read_region: str | None
    read_id: str
    match_kind: Literal["exact", "equivalent", "edit", "wildcard"]
    score: float
    substitutions: int
    state_mismatch: bool
    record: RecordView
    camera: CameraView
    captured_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    sightings: int
    # Raised from reads already stored when the entry was added (hotlist.historical): the
    # officer is told where and when the car was seen, and that it is not a live stop.
    historical: bool = False
    recent_sightings: tuple[SightingView, ...]
    crop_path: str | None
    frame_path: str | None
    images_purged: bool
    status_reason: str | None
    status_note: str | None
    status_by: str | None
    case_number: str | None
    created_at: datetime
    updated_at: datetime
    as_of: datetime


def _age(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds()))


def alert_view(session: Session, alert_id: int) -> AlertView:
    """The officer's view of one alert; NotFoundError if there is none."""
    views = alert_views(session, [alert_id])
    if alert_id not in views:
        msg = f"no alert {alert_id}"
        raise NotFoundError(msg)
    return views[alert_id]


def alert_views(session: Session, alert_ids: Sequence[int]) -> dict[int, AlertView]:
    """Views of many alerts in two queries, however many there are (a feed page, a poll): the
    alerts with their reads, cameras and sites joined, then their recent sightings."""
    if not alert_ids:
        return {}
    rows = session.execute(
        select(Alert, PlateReadRow, Camera, Site)
        .outerjoin(PlateReadRow, PlateReadRow.read_id == Alert.read_id)
        .outerjoin(Camera, Camera.id == Alert.camera_id)
        .outerjoin(Site, Site.id == Alert.site_id)
        .where(Alert.id.in_(set(alert_ids)))
    ).all()
    recent = _recent_sightings(session, [row[0].id for row in rows])
    now = utcnow()
    return {
        alert.id: _view(
            alert,
            read=read,
            camera=camera,
            site=site,
            recent=recent.get(alert.id, ()),
            now=now,
        )
        for alert, read, camera, site in rows
    }


def _recent_sightings(
    session: Session, alert_ids: list[int], per_alert: int = 20
) -> dict[int, tuple[SightingView, ...]]:
    """Each alert's newest sightings, with camera names, in one windowed query."""
    rank = (
        func.row_number()
        .over(partition_by=AlertSighting.alert_id, order_by=AlertSighting.seen_at.desc())
        .label("rank")
    )
    ranked = (
        select(
            AlertSighting.alert_id,
            AlertSighting.read_id,
            AlertSighting.camera_id,
            AlertSighting.seen_at,
            rank,
        )
        .where(AlertSighting.alert_id.in_(alert_ids))
        .subquery()
    )
    rows = session.execute(
        select(ranked, Camera.name)
        .outerjoin(Camera, Camera.id == ranked.c.camera_id)
        .where(ranked.c.rank <= per_alert)
        .order_by(ranked.c.alert_id, ranked.c.rank)
    ).all()
    found: dict[int, list[SightingView]] = {}
    for row in rows:
        found.setdefault(row.alert_id, []).append(
            SightingView(
                read_id=row.read_id,
                camera_id=row.camera_id,
                camera_name=row.name or row.camera_id,
                seen_at=row.seen_at,
            )
        )
    return {alert_id: tuple(views) for alert_id, views in found.items()}


def _view(
    alert: Alert,
    *,
    read: PlateReadRow | None,
    camera: Camera | None,
    site: Site | None,
    recent: tuple[SightingView, ...],
    now: datetime,
) -> AlertView:
    kept = read is not None and read.images_purged_at is None
    return AlertView(
        id=alert.id,
        status=alert.status,
        decision=alert.decision,
        plate_read=alert.plate_read,
        read_confidence=alert.read_confidence,
        read_region=read.region if read else None,
        read_id=alert.read_id,
        match_kind=alert.match_kind,
        score=alert.score,
        substitutions=alert.substitutions,
        state_mismatch=alert.state_mismatch,
        record=RecordView(
            plate=alert.entry_plate,
            state=alert.entry_state,
            list_id=alert.hotlist_id,
            list_name=alert.list_name,
            list_priority=alert.list_priority,
            reason=alert.reason,
            make=alert.vehicle_make,
            model=alert.vehicle_model,
            color=alert.vehicle_color,
            record_number=alert.record_number,
            entered_at=alert.record_entered_at,
            record_age_s=_age(alert.record_entered_at, now),
            list_refreshed_at=alert.list_refreshed_at,
            list_refresh_age_s=_age(alert.list_refreshed_at, now),
        ),
        camera=CameraView(
            id=alert.camera_id,
            name=camera.name if camera else alert.camera_id,
            location=camera.location if camera else "",
            direction=camera.direction if camera else "",
            latitude=camera.latitude if camera else None,
            longitude=camera.longitude if camera else None,
            site_id=alert.site_id,
            site_name=site.name if site else None,
        ),
        captured_at=read.captured_at if read else None,
        first_seen_at=alert.first_seen_at,
        last_seen_at=alert.last_seen_at,
        sightings=alert.sightings,
        historical=alert.historical,
        recent_sightings=recent,
        crop_path=read.crop_path if read and kept else None,
        frame_path=read.frame_path if read and kept else None,
        images_purged=bool(read and not kept),
        status_reason=alert.status_reason,
        status_note=alert.status_note,
        status_by=alert.status_by,
        case_number=alert.case_number,
        created_at=alert.created_at,
        updated_at=alert.updated_at,
        as_of=now,
    )
