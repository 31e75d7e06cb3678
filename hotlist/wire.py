"""An alert as it is published on the stream (`platewatch.alerts`): a schema of its own.

The officer's card (`AlertView`) is a UI model: it gains instructions, ages and recent sightings
as the console needs them. What integrations (CAD, records, another agency's system) receive is
this record instead, versioned with the events that carry it (stream/events.py) and pinned by
a contract test, so a template change is never a wire change. It is written into the outbox in
the alert's own transaction, so it says what the alert was at that moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotlist.alerts import AlertStatus
from store.errors import NotFoundError
from store.tables import Alert, AlertOutbox, Camera, PlateReadRow, Site

ALERTS_CHANNEL = "platewatch_alerts"


class WireModel(BaseModel):
    # Consumers of a newer minor revision may see fields they do not know; forbid them here,
    # where we produce, so our own output never drifts from the pinned schema.
    model_config = ConfigDict(frozen=True, extra="forbid")


class ListRecord(WireModel):
    """The hotlist entry the read matched, as it was when the alert was raised."""

    list_id: int | None
    list_name: str
    list_priority: int
    plate: str
    state: str | None
    reason: str
    make: str | None
    model: str | None
    color: str | None
    record_number: str | None
    entered_at: datetime | None
    list_refreshed_at: datetime | None


class CameraRecord(WireModel):
    camera_id: str
    site_id: int | None
    site_name: str | None
    latitude: float | None
    longitude: float | None
    direction: str


class AlertRecord(WireModel):
    alert_id: int
    status: AlertStatus
    decision: Literal["alert", "verify"]
    plate_read: str
    read_id: str
    read_confidence: float
    read_region: str | None
    captured_at: datetime | None
    match_kind: Literal["exact", "equivalent", "edit", "wildcard"]
    score: float
    substitutions: int
    state_mismatch: bool
    entry: ListRecord
    camera: CameraRecord
    first_seen_at: datetime
    last_seen_at: datetime
    sightings: int
    # Found among stored reads when its entry was added: where the car was, not a live stop.
    # Added in schema 1 with a default, so a consumer of the earlier records reads it as live.
    historical: bool = False
    # Paths under the image root while the images are kept; None once purged.
    crop_path: str | None
    frame_path: str | None
    status_reason: str | None
    status_note: str | None
    status_by: str | None
    case_number: str | None
    created_at: datetime
    updated_at: datetime


def alert_record(session: Session, alert_id: int) -> AlertRecord:
    """The wire record of one alert as it stands in the caller's transaction."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        msg = f"no alert {alert_id}"
        raise NotFoundError(msg)
    read = session.get(PlateReadRow, alert.read_id)
    camera = session.get(Camera, alert.camera_id)
    site = session.get(Site, alert.site_id) if alert.site_id is not None else None
    kept = read is not None and read.images_purged_at is None
    return AlertRecord(
        alert_id=alert.id,
        status=alert.status,
        decision=alert.decision,
        plate_read=alert.plate_read,
        read_id=alert.read_id,
        read_confidence=alert.read_confidence,
        read_region=read.region if read else None,
        captured_at=read.captured_at if read else None,
        match_kind=alert.match_kind,
        score=alert.score,
        substitutions=alert.substitutions,
        state_mismatch=alert.state_mismatch,
        entry=ListRecord(
            list_id=alert.hotlist_id,
            list_name=alert.list_name,
            list_priority=alert.list_priority,
            plate=alert.entry_plate,
            state=alert.entry_state,
            reason=alert.reason,
            make=alert.vehicle_make,
            model=alert.vehicle_model,
            color=alert.vehicle_color,
            record_number=alert.record_number,
            entered_at=alert.record_entered_at,
            list_refreshed_at=alert.list_refreshed_at,
        ),
        camera=CameraRecord(
            camera_id=alert.camera_id,
            site_id=alert.site_id,
            site_name=site.name if site else None,
            latitude=camera.latitude if camera else None,
            longitude=camera.longitude if camera else None,
            direction=camera.direction if camera else "",
        ),
        first_seen_at=alert.first_seen_at,
        last_seen_at=alert.last_seen_at,
        sightings=alert.sightings,
        historical=alert.historical,
        crop_path=read.crop_path if read and kept else None,
        frame_path=read.frame_path if read and kept else None,
        status_reason=alert.status_reason,
        status_note=alert.status_note,
        status_by=alert.status_by,
        case_number=alert.case_number,
        created_at=alert.created_at,
        updated_at=alert.updated_at,
    )


def write_outbox(
    session: Session, alert: Alert, kind: Literal["raised", "sighting", "status"]
) -> AlertOutbox:
    """Queue the alert's wire record for publishing, in the caller's transaction. On PostgreSQL
    the row also notifies ALERTS_CHANNEL, delivered only if the transaction commits, so the
    console's feed looks at once (console/wakeup.py) instead of at its next poll."""
    session.flush()
    row = AlertOutbox(
        alert_id=alert.id, kind=kind, payload=alert_record(session, alert.id).model_dump_json()
    )
    session.add(row)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(ALERTS_CHANNEL, str(row.id))))
    return row


def write_outboxes(
    session: Session, alerts: Sequence[Alert], kind: Literal["raised", "sighting", "status"]
) -> None:
    """`write_outbox` for many alerts at once (a list change finding stored reads): their reads,
    cameras and sites loaded in three queries, the rows written by one flush, one notification."""
    if not alerts:
        return
    session.flush()
    # Held while the records are built, so alert_record's lookups find them in the session
    # (its identity map holds objects only as long as something else does).
    site_ids = {a.site_id for a in alerts if a.site_id is not None}
    loaded = [
        *session.scalars(
            select(PlateReadRow).where(PlateReadRow.read_id.in_({a.read_id for a in alerts}))
        ),
        *session.scalars(select(Camera).where(Camera.id.in_({a.camera_id for a in alerts}))),
        *session.scalars(select(Site).where(Site.id.in_(site_ids))),
    ]
    rows = [
        AlertOutbox(
            alert_id=alert.id,
            kind=kind,
            payload=alert_record(session, alert.id).model_dump_json(),
        )
        for alert in alerts
    ]
    del loaded
    session.add_all(rows)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(ALERTS_CHANNEL, str(rows[-1].id))))
