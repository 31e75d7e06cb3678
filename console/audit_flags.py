"""Audit anomaly flags: patterns in the audit log that an auditor should look at.

The log proves what happened; these flags point at what deserves a question: one plate
searched again and again, wildcard searches that swept up very many reads, searches at hours
a user never works, the same reason pasted into search after search, and exports. Each flag
names the audit rows behind it, so the auditor reads the evidence, not a score. Thresholds are
settings (`console.audit_flags`). A flag is a lead for a human, never a verdict.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.settings import AuditFlagSettings
from store.audit_details import ReadsSearchDetail, UnreadableDetail, parse_as, parse_detail
from store.tables import AuditEvent

FlagKind = Literal["plate_searches", "wide_wildcard", "off_hours", "repeated_reason", "export"]


@dataclass(frozen=True)
class AuditFlag:
    kind: FlagKind
    summary: str
    actors: tuple[str, ...]
    event_ids: tuple[int, ...]
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class _Search:
    event: AuditEvent
    detail: ReadsSearchDetail


def _flag(kind: FlagKind, summary: str, events: Sequence[AuditEvent]) -> AuditFlag:
    ordered = sorted(events, key=lambda e: e.id)
    return AuditFlag(
        kind=kind,
        summary=summary,
        actors=tuple(sorted({e.actor for e in ordered})),
        event_ids=tuple(e.id for e in ordered),
        first_at=min(e.at for e in ordered),
        last_at=max(e.at for e in ordered),
    )


def _searches(events: Iterable[AuditEvent]) -> list[_Search]:
    found = []
    for event in events:
        if event.action != ReadsSearchDetail.action:
            continue
        detail = parse_as(ReadsSearchDetail, event.detail)
        if not isinstance(detail, UnreadableDetail):
            found.append(_Search(event, detail))
    return found


def plate_searches(searches: Sequence[_Search], limits: AuditFlagSettings) -> list[AuditFlag]:
    """One exact plate searched at least `plate_searches` times (by anyone) in the window."""
    by_plate: dict[str, list[AuditEvent]] = defaultdict(list)
    for s in searches:
        if not _is_wildcard(s.detail.plate):
            by_plate[s.detail.plate].append(s.event)
    return [
        _flag("plate_searches", f"plate {plate} searched {len(events)} times", events)
        for plate, events in sorted(by_plate.items())
        if len(events) >= limits.plate_searches
    ]


def _is_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def wide_wildcards(searches: Sequence[_Search], limits: AuditFlagSettings) -> list[AuditFlag]:
    """A wildcard search that returned at least `wildcard_results` reads (or hit the cap)."""
    flags = []
    for s in searches:
        if _is_wildcard(s.detail.plate) and (
            s.detail.results >= limits.wildcard_results or s.detail.truncated
        ):
            more = "+" if s.detail.truncated else ""
            summary = f"wildcard {s.detail.plate} returned {s.detail.results}{more} reads"
            flags.append(_flag("wide_wildcard", summary, [s.event]))
    return flags


def off_hours(
    window: Sequence[_Search], history: Sequence[_Search], limits: AuditFlagSettings
) -> list[AuditFlag]:
    """Searches in an hour (and its neighbours) when the user never searched before, judged
    only for users with at least `min_history` earlier searches to learn their hours from."""
    zone = ZoneInfo(limits.timezone)
    usual: dict[str, Counter[int]] = defaultdict(Counter)
    for s in history:
        usual[s.event.actor][s.event.at.astimezone(zone).hour] += 1
    odd: dict[str, list[AuditEvent]] = defaultdict(list)
    for s in window:
        hours = usual.get(s.event.actor)
        if hours is None or sum(hours.values()) < limits.min_history:
            continue
        hour = s.event.at.astimezone(zone).hour
        if not any(hours[(hour + d) % 24] for d in (-1, 0, 1)):
            odd[s.event.actor].append(s.event)
    return [
        _flag("off_hours", f"{actor}: {len(events)} searches outside their usual hours", events)
        for actor, events in sorted(odd.items())
    ]


_SPACES = re.compile(r"\s+")


def repeated_reasons(searches: Sequence[_Search], limits: AuditFlagSettings) -> list[AuditFlag]:
    """The same reason (case and spacing aside) given `repeated_reason` times by one user."""
    by_reason: dict[tuple[str, str], list[AuditEvent]] = defaultdict(list)
    for s in searches:
        reason = _SPACES.sub(" ", (s.event.purpose or "").strip().lower())
        if reason:
            by_reason[(s.event.actor, reason)].append(s.event)
    return [
        _flag("repeated_reason", f"{actor} gave the reason {reason!r} {len(ev)} times", ev)
        for (actor, reason), ev in sorted(by_reason.items())
        if len(ev) >= limits.repeated_reason
    ]


def exports(events: Iterable[AuditEvent], limits: AuditFlagSettings) -> list[AuditFlag]:
    """Every export of at least `export_rows` rows, and users exporting `exports_per_user`
    times or more in the window."""
    mine: dict[str, list[AuditEvent]] = defaultdict(list)
    flags = []
    for event in events:
        if not event.action.endswith(".export"):
            continue
        mine[event.actor].append(event)
        detail = parse_detail(event.action, event.detail)
        rows = getattr(detail, "entries", None)
        if isinstance(rows, int) and rows >= limits.export_rows:
            flags.append(_flag("export", f"{event.actor} exported {rows} rows", [event]))
    flags += [
        _flag("export", f"{actor} exported {len(events)} times", events)
        for actor, events in sorted(mine.items())
        if len(events) >= limits.exports_per_user
    ]
    return flags


def audit_flags(
    session: Session,
    limits: AuditFlagSettings,
    now: datetime,
    actors: Sequence[str] | None = None,
) -> list[AuditFlag]:
    """Every flag raised by the events of the last `window_days` (before `now`); `actors`
    limits the log to those users (an agency's auditor sees only the agency's)."""
    start = now - timedelta(days=limits.window_days)
    learn_from = start - timedelta(days=limits.history_days)
    query = select(AuditEvent).where(AuditEvent.at >= learn_from, AuditEvent.at < now)
    if actors is not None:
        query = query.where(AuditEvent.actor.in_(actors))
    events = list(session.scalars(query.order_by(AuditEvent.id)))
    window = [e for e in events if e.at >= start]
    searches = _searches(window)
    flags = [
        *plate_searches(searches, limits),
        *wide_wildcards(searches, limits),
        *off_hours(searches, _searches(e for e in events if e.at < start), limits),
        *repeated_reasons(searches, limits),
        *exports(window, limits),
    ]
    return sorted(flags, key=lambda f: (f.last_at, f.kind), reverse=True)
