"""Historical alerts: stored reads of a new entry's plate, raised as leads, not live stops.

The reads of one entry at one site make one alert (as live sightings fold by list, plate and
site): its read is the newest, the others are its sightings, so the card says where and when
the car was last seen and how often. A read already behind an alert or a sighting of the same
list is never raised again (one vehicle is one alert per list, as live), so re-adding or
re-importing an entry adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotlist.alignment import Alignment
from hotlist.historical_reads import StoredRead
from hotlist.wire import write_outboxes
from store.tables import Alert, AlertSighting, Hotlist, HotlistEntry, PlateReadRow

_IN_CHUNK = 5_000


@dataclass(frozen=True)
class Found:
    """A stored read of an entry, scored as the live matcher would have."""

    entry: HotlistEntry
    stored: StoredRead
    alignment: Alignment
    decision: Literal["alert", "verify"]
    state_mismatch: bool


def raise_historical(session: Session, hotlist: Hotlist, found: Sequence[Found]) -> tuple[int, ...]:
    """One historical alert per (entry plate, site) with its outbox row; the ids raised."""
    seen = _already_alerted(session, hotlist.id, [f.stored.read.read_id for f in found])
    groups: dict[tuple[str, int], list[Found]] = {}
    for f in found:
        if f.stored.read.read_id not in seen:
            groups.setdefault((f.entry.plate, f.stored.site_id), []).append(f)
    alerts = [_alert(hotlist, group) for group in groups.values()]
    session.add_all(alerts)
    session.flush()
    for alert, group in zip(alerts, groups.values(), strict=True):
        session.add_all(_sightings(alert, group))
    write_outboxes(session, alerts, "raised")
    read_ids = [f.stored.read.read_id for group in groups.values() for f in group]
    for start in range(0, len(read_ids), _IN_CHUNK):
        # A read behind an alert keeps its plate text through the purge, as a live hit does.
        session.execute(
            update(PlateReadRow)
            .where(PlateReadRow.read_id.in_(read_ids[start : start + _IN_CHUNK]))
            .values(has_hit=True),
            execution_options={"synchronize_session": False},
        )
    return tuple(alert.id for alert in alerts)


def _already_alerted(session: Session, hotlist_id: int, read_ids: list[str]) -> set[str]:
    """The reads among these behind one of the list's alerts or sightings."""
    seen: set[str] = set()
    for start in range(0, len(read_ids), _IN_CHUNK):
        chunk = read_ids[start : start + _IN_CHUNK]
        raised = select(Alert.read_id).where(
            Alert.hotlist_id == hotlist_id, Alert.read_id.in_(chunk)
        )
        sighted = (
            select(AlertSighting.read_id)
            .join(Alert, Alert.id == AlertSighting.alert_id)
            .where(Alert.hotlist_id == hotlist_id, AlertSighting.read_id.in_(chunk))
        )
        for query in (raised, sighted):
            seen.update(session.scalars(query))
    return seen


def _alert(hotlist: Hotlist, group: list[Found]) -> Alert:
    """The alert of one vehicle at one site: its newest read, its best score."""
    last = max(group, key=lambda f: f.stored.read.captured_at)
    best = max(group, key=lambda f: f.alignment.score)
    entry, read = last.entry, last.stored.read
    return Alert(
        read_id=read.read_id,
        camera_id=read.camera_id,
        site_id=last.stored.site_id,
        hotlist_id=hotlist.id,
        hotlist_entry_id=entry.id,
        decision="alert" if any(f.decision == "alert" for f in group) else "verify",
        match_kind=best.alignment.kind,
        score=round(best.alignment.score, 4),
        substitutions=best.alignment.substitutions,
        state_mismatch=last.state_mismatch,
        plate_read=read.plate,
        read_confidence=read.confidence,
        entry_plate=entry.plate,
        entry_state=entry.state,
        list_name=hotlist.name,
        list_priority=hotlist.priority,
        reason=entry.reason,
        vehicle_make=entry.make,
        vehicle_model=entry.model,
        vehicle_color=entry.color,
        record_number=entry.record_number,
        record_entered_at=entry.entered_at,
        list_refreshed_at=hotlist.refreshed_at,
        sightings=len(group),
        historical=True,
        first_seen_at=min(f.stored.read.captured_at for f in group),
        last_seen_at=read.captured_at,
    )


def _sightings(alert: Alert, group: list[Found]) -> list[AlertSighting]:
    """The group's other reads, each where and when it was seen."""
    return [
        AlertSighting(
            alert_id=alert.id,
            read_id=f.stored.read.read_id,
            camera_id=f.stored.read.camera_id,
            seen_at=f.stored.read.captured_at,
        )
        for f in group
        if f.stored.read.read_id != alert.read_id
    ]
