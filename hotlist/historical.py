"""Historical hits: a plate added to a list today, looked for among the reads already stored.

When an entry is added (`add_entry`) or a feed imported (`import_hotlist`), the reads still
inside their retention window are searched for it in one query per batch of entries, through
the index on the OCR-folded plate (store.tables.reads.plate_key): exact and OCR-equivalent
spellings, and wildcard entries by pattern. Each candidate is scored as the live matcher
scores it (`align`, `Evidence` on the read's stored detail), so a historical hit passes the
same thresholds a live one does. One-character-off reads are left to live matching: finding
them would mean scanning every stored read.

Only reads an officer of the list's agency could search are looked at: from sites sharing with
that agency (with any agency, for a list no agency owns), never resident-tagged, never of a
plate the site has safe-listed, never purged. What is found is raised as an alert flagged
`historical` (hotlist.historical_alerts): where and when the car was seen, not a stop to make
now. Everything happens in the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from hotlist.alignment import Alignment, align
from hotlist.evidence import Evidence
from hotlist.historical_alerts import Found, raise_historical
from hotlist.historical_reads import StoredRead, stored_read
from hotlist.plates import canonical, is_wildcard
from hotlist.settings import MatchSettings
from hotlist.wildcards import WildcardIndex
from org.regions import states_conflict
from store.base import utcnow
from store.settings import DEFAULT_IMAGE_DAYS
from store.tables import (
    Camera,
    Hotlist,
    HotlistEntry,
    PlateReadRow,
    SafelistEntry,
    Site,
    SiteSharing,
)
from store.tables.reads import plate_key

__all__ = ["HistoricalReport", "HistoryCheck", "check_history"]

log = logging.getLogger(__name__)
Columns = TypeVarTuple("Columns")
# Wildcard entries per pattern query: each is an OR branch the database tries on every read.
_WILDCARDS_PER_QUERY = 200
_IN_CHUNK = 5_000


@dataclass(frozen=True)
class HistoryCheck:
    """How far back a new entry is looked for, and the thresholds it must pass."""

    window_days: int = DEFAULT_IMAGE_DAYS  # callers pass the configured retention.image_days
    settings: MatchSettings = field(default_factory=MatchSettings)
    as_of: datetime | None = None  # now, unless a test or a replay says otherwise


@dataclass(frozen=True)
class HistoricalReport:
    reads_found: int
    alert_ids: tuple[int, ...]


_NONE = HistoricalReport(0, ())


def check_history(
    session: Session,
    hotlist: Hotlist,
    entries: ColumnElement[bool],
    check: HistoryCheck,
) -> HistoricalReport:
    """Raise historical alerts for the list's entries picked by `entries` (a condition on
    HotlistEntry), without committing."""
    as_of = check.as_of or utcnow()
    cutoffs = _site_cutoffs(session, hotlist, as_of, check.window_days)
    if not cutoffs:
        return _NONE
    earliest = min(cutoffs.values())
    chosen = and_(HotlistEntry.hotlist_id == hotlist.id, entries)
    rows = list(_equivalent_candidates(session, chosen, cutoffs, earliest, as_of))
    rows += _wildcard_candidates(session, chosen, cutoffs, earliest, as_of)
    camera_cutoffs = _camera_cutoffs(session, cutoffs, as_of)

    def cutoff(stored: StoredRead) -> datetime:
        site_cut = cutoffs[stored.site_id]
        return max(site_cut, camera_cutoffs.get(stored.read.camera_id, site_cut))

    in_window = [(e, r) for e, r in rows if r.read.captured_at >= cutoff(r)]
    found = _scored(in_window, check.settings)
    found = _not_safelisted(session, found)
    if not found:
        return _NONE
    alert_ids = raise_historical(session, hotlist, found)
    log.info(
        "list %s: %d stored reads found for its new entries, %d historical alerts",
        hotlist.id,
        len(found),
        len(alert_ids),
    )
    return HistoricalReport(len(found), alert_ids)


def _site_cutoffs(
    session: Session, hotlist: Hotlist, as_of: datetime, window_days: int
) -> dict[int, datetime]:
    """The sites whose reads the list's agency may see, each with its retention cutoff (a
    site's own image retention overrides the window, as it does for the purge)."""
    shares = select(SiteSharing.site_id).where(SiteSharing.enabled.is_(True))
    if hotlist.owner_agency_id is not None:
        shares = shares.where(SiteSharing.agency_id == hotlist.owner_agency_id)
    sites = session.execute(
        select(Site.id, Site.image_retention_days).where(Site.id.in_(shares))
    ).all()
    return {site_id: as_of - timedelta(days=days or window_days) for site_id, days in sites}


def _camera_cutoffs(
    session: Session, site_cutoffs: dict[int, datetime], as_of: datetime
) -> dict[str, datetime]:
    """The cameras of those sites with an image retention of their own, each with its cutoff:
    a read is looked for only while both its site and its camera keep it (the shorter wins)."""
    query = select(Camera.id, Camera.image_retention_days).where(
        Camera.site_id.in_(list(site_cutoffs)), Camera.image_retention_days.is_not(None)
    )
    return {
        camera_id: as_of - timedelta(days=days)
        for camera_id, days in session.execute(query)
        if days is not None
    }


def _searchable(
    query: Select[*Columns],
    cutoffs: dict[int, datetime],
    earliest: datetime,
    as_of: datetime,
) -> Select[*Columns]:
    read = PlateReadRow
    return query.join_from(read, Camera, Camera.id == read.camera_id).where(
        read.captured_at >= earliest,
        read.captured_at <= as_of,
        read.images_purged_at.is_(None),
        read.resident.is_(False),
        read.plate.is_not(None),
        Camera.site_id.in_(list(cutoffs)),
    )


def _equivalent_candidates(
    session: Session,
    chosen: ColumnElement[bool],
    cutoffs: dict[int, datetime],
    earliest: datetime,
    as_of: datetime,
) -> Iterable[tuple[HotlistEntry, StoredRead]]:
    """Reads whose folded plate is an entry's: one join however many entries there are (a
    wildcard entry's folded plate keeps its `?`/`*`, so it never joins a read)."""
    query = (
        select(HotlistEntry, PlateReadRow, Camera.site_id)
        .select_from(HotlistEntry)
        .join(PlateReadRow, plate_key(PlateReadRow.plate) == plate_key(HotlistEntry.plate))
    )
    query = _searchable(query, cutoffs, earliest, as_of).where(chosen)
    for entry, read, site_id in session.execute(query):
        yield entry, stored_read(read, site_id)


def _like_pattern(plate: str) -> str:
    return canonical(plate).replace("?", "_").replace("*", "%")


def _wildcard_candidates(
    session: Session,
    chosen: ColumnElement[bool],
    cutoffs: dict[int, datetime],
    earliest: datetime,
    as_of: datetime,
) -> list[tuple[HotlistEntry, StoredRead]]:
    wild = or_(HotlistEntry.plate.contains("?"), HotlistEntry.plate.contains("*"))
    entries = list(session.scalars(select(HotlistEntry).where(chosen, wild)))
    found: list[tuple[HotlistEntry, StoredRead]] = []
    for start in range(0, len(entries), _WILDCARDS_PER_QUERY):
        batch = entries[start : start + _WILDCARDS_PER_QUERY]
        index = WildcardIndex([(i, e.plate) for i, e in enumerate(batch) if is_wildcard(e.plate)])
        key = plate_key(PlateReadRow.plate)
        fits = or_(*(key.like(_like_pattern(e.plate)) for e in batch))
        query = select(PlateReadRow, Camera.site_id).select_from(PlateReadRow).where(fits)
        query = _searchable(query, cutoffs, earliest, as_of)
        for read, site_id in session.execute(query):
            stored = stored_read(read, site_id)
            for wildcard, _ in index.hits(canonical(stored.read.plate)):
                found.append((batch[wildcard.ordinal], stored))
    return found


def _wildcard_score(entry_plate: str, stored: StoredRead, evidence: Evidence) -> float:
    index = WildcardIndex([(0, entry_plate)])
    hits = index.hits(canonical(stored.read.plate))
    if not hits:
        return 0.0
    wildcard, m = hits[0]
    score = 1.0
    for group, ch in wildcard.literals:
        score *= evidence.q(m.start(group), ch)
    return score


def _scored(
    rows: Sequence[tuple[HotlistEntry, StoredRead]], settings: MatchSettings
) -> list[Found]:
    """Each read's best entry of the list that passes the live matcher's thresholds."""
    best: dict[str, Found] = {}
    for entry, stored in rows:
        read = stored.read
        if entry.expires_at is not None and entry.expires_at <= read.captured_at:
            continue
        evidence = Evidence(read, settings)
        alignment: Alignment | None
        if is_wildcard(entry.plate):
            alignment = Alignment("wildcard", _wildcard_score(entry.plate, stored, evidence), 0)
        else:
            alignment = align(read, canonical(read.plate), entry.plate, evidence, settings)
        if alignment is None or alignment.score < settings.verify_threshold:
            continue
        hit = alignment.score >= settings.hit_threshold
        if alignment.kind == "wildcard" and settings.wildcard_decision == "verify":
            hit = False
        candidate = Found(
            entry,
            stored,
            alignment,
            "alert" if hit else "verify",
            states_conflict(read.region, entry.state),
        )
        previous = best.get(read.read_id)
        if previous is None or previous.alignment.score < alignment.score:
            best[read.read_id] = candidate
    return list(best.values())


def _not_safelisted(session: Session, found: list[Found]) -> list[Found]:
    """Drop reads of plates their site safe-lists (OCR-equivalent, same state, not expired
    when read): a read tagged resident is already out, this catches plates listed since."""
    if not found:
        return found
    keys = sorted({canonical(f.stored.read.plate) for f in found})
    sites = sorted({f.stored.site_id for f in found})
    safe: dict[tuple[int, str], list[SafelistEntry]] = {}
    for start in range(0, len(keys), _IN_CHUNK):
        query = select(SafelistEntry).where(
            SafelistEntry.site_id.in_(sites),
            plate_key(SafelistEntry.plate).in_(keys[start : start + _IN_CHUNK]),
        )
        for entry in session.scalars(query):
            safe.setdefault((entry.site_id, canonical(entry.plate)), []).append(entry)

    def listed(f: Found) -> bool:
        read = f.stored.read
        return any(
            (e.expires_at is None or e.expires_at > read.captured_at)
            and not states_conflict(read.region, e.state)
            for e in safe.get((f.stored.site_id, canonical(read.plate)), ())
        )

    return [f for f in found if not listed(f)]
