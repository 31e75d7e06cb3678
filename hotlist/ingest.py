"""Reads in: each stored once, tagged resident or not, matched, and turned into alerts.

Everything happens in the caller's transaction: the read row, the alert (or the sighting
that updates an open alert within the cooldown) and its outbox row commit together or not
at all. A redelivered read hits the primary key (INSERT ... ON CONFLICT DO NOTHING, which
also settles two matchers racing on PostgreSQL) and creates nothing.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alpr.read import PlateRead, mask_plate
from hotlist.alerts import FOLDING_STATUSES
from hotlist.index_cache import IndexCache
from hotlist.matcher import Match, Matcher, MatchResult
from hotlist.settings import MatchSettings
from hotlist.wire import write_outbox
from org.errors import RetiredCamera, UnknownCamera
from store.base import utcnow
from store.errors import DomainError
from store.tables import Alert, AlertSighting, Camera, Hotlist, HotlistEntry, PlateReadRow

__all__ = [
    "DomainError",
    "IndexCache",
    "ReadOutcome",
    "RetiredCamera",
    "UnknownCamera",
    "ingest_read",
    "ingest_reads",
]

log = logging.getLogger(__name__)
Decision = Literal["alert", "verify", "resident", "none"]
_PG_COOLDOWN_LOCK = 7_246_100


@dataclass(frozen=True)
class ReadOutcome:
    read_id: str
    stored: bool  # False when the read_id was already stored (a redelivery)
    resident: bool
    decision: Decision
    alert_ids: tuple[int, ...]  # alerts raised or updated by this read


def ingest_read(
    session: Session, read: PlateRead, matcher: Matcher, settings: MatchSettings
) -> ReadOutcome:
    """Store, tag, match and alert one read, without committing."""
    return ingest_reads(session, [read], matcher, settings)[0]


def ingest_reads(
    session: Session, reads: Sequence[PlateRead], matcher: Matcher, settings: MatchSettings
) -> list[ReadOutcome]:
    """Store, tag, match and alert a batch of reads, in order and without committing.

    The batch is matched together (`Matcher.match_many`) and its rows written by one INSERT,
    so it costs a few round trips to the database rather than a few per read. An unknown
    camera raises before anything is written; a read id already stored, or met earlier in the
    batch, creates nothing.
    """
    if not reads:
        return []
    reads = _not_after(reads, utcnow())
    cameras = _cameras_of(session, reads)
    site_ids = [cameras[read.camera_id].site_id for read in reads]
    results = matcher.match_many(reads, settings, site_ids=site_ids)
    fresh = _insert_reads(session, reads, cameras, results)
    outcomes: list[ReadOutcome | None] = []
    for read, result in zip(reads, results, strict=True):
        if read.read_id in fresh:
            fresh.discard(read.read_id)
            outcomes.append(_alert_on(session, read, cameras[read.camera_id], result, settings))
        else:
            outcomes.append(None)
    # After the fresh reads, so a repeat within the batch reports what its first copy decided.
    pairs = list(zip(reads, outcomes, strict=True))
    again = _redelivered(session, {read.read_id for read, o in pairs if o is None})
    return [o if o is not None else again[read.read_id] for read, o in pairs]


def _not_after(reads: Sequence[PlateRead], arrived_at: datetime) -> Sequence[PlateRead]:
    """The reads with no capture time later than their arrival.

    An edge whose clock runs ahead would otherwise store reads from the future: they would
    sort above every real read, hold an alert's cooldown open for too long and outlive their
    retention by the skew. The arrival time is the better estimate of when the car passed.
    """
    if all(read.captured_at <= arrived_at for read in reads):
        return reads
    clamped = []
    for read in reads:
        if read.captured_at > arrived_at:
            log.debug(
                "read %s from %s captured %.1f s in the future; stored at its arrival time",
                read.read_id,
                read.camera_id,
                (read.captured_at - arrived_at).total_seconds(),
            )
            clamped.append(read.model_copy(update={"captured_at": arrived_at}))
        else:
            clamped.append(read)
    return clamped


def _distinct_lists(matches: Sequence[Match]) -> list[Match]:
    """The best match of each list.

    A list may hold a plate twice (two states, or a plate and a wildcard covering it); one
    vehicle is one alert per list, so a read takes only its best-scoring entry of each.
    """
    best: dict[int, Match] = {}
    for match in matches:
        if match.hotlist_id not in best or match.score > best[match.hotlist_id].score:
            best[match.hotlist_id] = match
    return list(best.values())


def _cameras_of(session: Session, reads: Sequence[PlateRead]) -> dict[str, Camera]:
    wanted = {read.camera_id for read in reads}
    cameras = {c.id: c for c in session.scalars(select(Camera).where(Camera.id.in_(wanted)))}
    for read in reads:
        camera = cameras.get(read.camera_id)
        if camera is None:
            raise UnknownCamera(read.camera_id)
        # Reads taken before the camera was retired still count (an edge's backlog).
        if camera.retired_at is not None and read.captured_at >= camera.retired_at:
            raise RetiredCamera(camera.id, camera.retired_at)
    return cameras


def _alert_on(
    session: Session, read: PlateRead, camera: Camera, result: MatchResult, settings: MatchSettings
) -> ReadOutcome:
    alert_ids: list[int] = []
    for match in _distinct_lists(result.matches):
        alert = _raise_or_update(session, read, camera, match, settings)
        if alert is not None and alert.id not in alert_ids:
            alert_ids.append(alert.id)
    if result.matches and not alert_ids:
        session.get(PlateReadRow, read.read_id).has_hit = False  # type: ignore[union-attr]
    if alert_ids:
        log.info(
            "read %s at %s: %s (%d alerts)",
            mask_plate(read.plate),
            read.camera_id,
            result.decision,
            len(alert_ids),
        )
    decision: Decision = result.decision if alert_ids else "resident" if result.resident else "none"
    return ReadOutcome(read.read_id, True, result.resident, decision, tuple(alert_ids))


def _insert_reads(
    session: Session,
    reads: Sequence[PlateRead],
    cameras: dict[str, Camera],
    results: Sequence[MatchResult],
) -> set[str]:
    """Insert the reads not stored yet; the ids of those this call inserted."""
    now = utcnow()
    rows: dict[str, dict[str, object]] = {}
    for read, result in zip(reads, results, strict=True):
        rows.setdefault(read.read_id, _row(read, cameras[read.camera_id], result, now))
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(PlateReadRow)
        .on_conflict_do_nothing(index_elements=["read_id"])
        .returning(PlateReadRow.read_id)
    )
    # In read-id order, so two matchers holding overlapping batches during a rebalance take
    # the rows' locks in the same order and wait for each other instead of deadlocking.
    ordered = [rows[read_id] for read_id in sorted(rows)]
    # RETURNING names only the rows inserted: a redelivered read's id is not among them.
    return set(session.scalars(statement, ordered))


def _row(
    read: PlateRead, camera: Camera, result: MatchResult, received_at: datetime
) -> dict[str, object]:
    return {
        "read_id": read.read_id,
        "camera_id": read.camera_id,
        "site_id": camera.site_id,
        "captured_at": read.captured_at,
        "received_at": received_at,
        "plate": read.plate,
        "confidence": read.confidence,
        "region": read.region,
        "detail": read.model_dump(
            mode="json",
            exclude={"plate", "read_id", "camera_id", "captured_at", "crop_path", "frame_path"},
        ),
        "resident": result.resident,
        "has_hit": bool(result.matches),
        "crop_path": read.crop_path,
        "frame_path": read.frame_path,
    }


def _redelivered(session: Session, read_ids: set[str]) -> dict[str, ReadOutcome]:
    """What the first deliveries of these stored reads decided, reported again; nothing is
    written. Three queries for the lot: a redelivered batch (after a matcher crash or a
    rebalance) costs about what a fresh one does."""
    if not read_ids:
        return {}
    residents = dict(
        session.execute(
            select(PlateReadRow.read_id, PlateReadRow.resident).where(
                PlateReadRow.read_id.in_(read_ids)
            )
        ).all()
    )
    decisions: dict[str, set[str]] = {read_id: set() for read_id in read_ids}
    raised = select(Alert.read_id, Alert.decision).where(Alert.read_id.in_(read_ids))
    sighted = (
        select(AlertSighting.read_id, Alert.decision)
        .join(Alert, AlertSighting.alert_id == Alert.id)
        .where(AlertSighting.read_id.in_(read_ids))
    )
    for query in (raised, sighted):
        for read_id, alert_decision in session.execute(query):
            decisions[read_id].add(alert_decision)
    outcomes = {}
    for read_id in read_ids:
        resident = bool(residents.get(read_id))
        decision = _earlier_decision(decisions[read_id], resident=resident)
        outcomes[read_id] = ReadOutcome(read_id, False, resident, decision, ())
    return outcomes


def _earlier_decision(alert_decisions: set[str], *, resident: bool) -> Decision:
    if "alert" in alert_decisions:
        return "alert"
    if alert_decisions:
        return "verify"
    return "resident" if resident else "none"


def _raise_or_update(
    session: Session, read: PlateRead, camera: Camera, match: Match, settings: MatchSettings
) -> Alert | None:
    entry = _current_entry(session, match)
    if entry is None:
        log.info(
            "entry %s of list %s left the list since the index was built; no alert",
            match.entry_id,
            match.list_name,
        )
        return None
    if session.get_bind().dialect.name == "postgresql":
        # Two matchers seeing the same vehicle at once must agree on one open alert.
        key = zlib.crc32(f"{match.hotlist_id}:{match.entry_plate}:{camera.site_id}".encode())
        session.execute(
            text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": _PG_COOLDOWN_LOCK, "b": key - 2**31}
        )
    since = read.captured_at - timedelta(seconds=settings.cooldown_s)
    # Keyed on the site too: sites share with different agencies, so a sighting folded into
    # another site's alert could be invisible to the agency this site shares with.
    open_alert = session.scalar(
        select(Alert)
        .where(
            Alert.hotlist_id == match.hotlist_id,
            Alert.entry_plate == match.entry_plate,
            Alert.site_id == camera.site_id,
            # A car seen live is a stop to make now: never folded into a historical lead.
            Alert.historical.is_(False),
            Alert.status.in_(FOLDING_STATUSES),
            Alert.last_seen_at >= since,
        )
        .order_by(Alert.last_seen_at.desc())
        .limit(1)
    )
    if open_alert is not None:
        _add_sighting(session, open_alert, read, match)
        write_outbox(session, open_alert, "sighting")
        return open_alert
    hotlist = session.get(Hotlist, match.hotlist_id)
    alert = Alert(
        read_id=read.read_id,
        camera_id=read.camera_id,
        site_id=camera.site_id,
        hotlist_id=match.hotlist_id,
        hotlist_entry_id=entry.id,
        decision=match.decision,
        match_kind=match.kind,
        score=match.score,
        substitutions=match.substitutions,
        state_mismatch=match.state_mismatch,
        plate_read=read.plate,
        read_confidence=read.confidence,
        entry_plate=entry.plate,
        entry_state=entry.state,
        list_name=match.list_name,
        list_priority=match.list_priority,
        reason=entry.reason,
        vehicle_make=entry.make,
        vehicle_model=entry.model,
        vehicle_color=entry.color,
        record_number=entry.record_number,
        record_entered_at=entry.entered_at,
        list_refreshed_at=hotlist.refreshed_at if hotlist else None,
        first_seen_at=read.captured_at,
        last_seen_at=read.captured_at,
    )
    session.add(alert)
    write_outbox(session, alert, "raised")
    return alert


def _add_sighting(session: Session, alert: Alert, read: PlateRead, match: Match) -> None:
    session.add(
        AlertSighting(
            alert_id=alert.id,
            read_id=read.read_id,
            camera_id=read.camera_id,
            seen_at=read.captured_at,
        )
    )
    alert.sightings += 1
    # Reads of several cameras reach the matcher out of capture order (one partition each).
    alert.first_seen_at = min(alert.first_seen_at, read.captured_at)
    alert.last_seen_at = max(alert.last_seen_at, read.captured_at)
    if match.score > alert.score:
        # A clearer sighting of the same vehicle: a "verify" alert becomes a hit.
        alert.score = match.score
        alert.match_kind = match.kind
        alert.substitutions = match.substitutions
        if match.decision == "alert":
            alert.decision = "alert"


def _current_entry(session: Session, match: Match) -> HotlistEntry | None:
    """The entry the index pointed at, or, after a list refresh gave it a new id, the
    list's entry for the same plate and state."""
    entry = session.get(HotlistEntry, match.entry_id)
    if entry is not None:
        return entry
    query = select(HotlistEntry).where(
        HotlistEntry.hotlist_id == match.hotlist_id, HotlistEntry.plate == match.entry_plate
    )
    if match.entry_state is not None:
        query = query.where(HotlistEntry.state == match.entry_state)
    return session.scalars(query.limit(1)).first()
