"""What a purge would do now, without doing it (`purge --dry-run`, the progress bar's total)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from retention.holds import held_clause
from retention.policy import due_clause, load_policy, site_of_read
from retention.receipts import SiteCount
from retention.settings import RetentionSettings
from store.base import utcnow
from store.tables import PlateReadRow, RetentionBatch, RetentionPurgedRead


@dataclass(frozen=True)
class PurgePlan:
    as_of: datetime
    policy: dict[str, Any]
    reads: int
    files: int
    counts_by_site: tuple[SiteCount, ...]
    range_start: datetime | None
    range_end: datetime | None
    # Due under the policy but kept by an admin hold or a confirmed case.
    held: int
    # Journalled by an interrupted run and still to be deleted.
    pending_from_interrupted: int


def plan_purge(
    session: Session, settings: RetentionSettings, *, now: datetime | None = None
) -> PurgePlan:
    """Count what a purge at `now` would remove, by site; reads nothing from disk."""
    policy = load_policy(session, settings, now or utcnow())
    read = PlateReadRow
    files = case((read.crop_path.is_not(None), 1), else_=0) + case(
        (read.frame_path.is_not(None), 1), else_=0
    )
    site = site_of_read().label("site")
    due = (
        select(
            site,
            func.count(),
            func.coalesce(func.sum(files), 0),
            func.min(read.captured_at),
            func.max(read.captured_at),
        )
        .where(read.images_purged_at.is_(None), due_clause(policy), ~held_clause(policy.as_of))
        .group_by(site)
    )
    rows = session.execute(due).all()
    counts = tuple(
        sorted(
            (SiteCount(s, int(n), int(f)) for s, n, f, _, _ in rows),
            key=lambda c: (c.site_id is None, c.site_id or 0),
        )
    )
    held = (
        session.scalar(
            select(func.count())
            .select_from(read)
            .where(read.images_purged_at.is_(None), due_clause(policy), held_clause(policy.as_of))
        )
        or 0
    )
    item, batch = RetentionPurgedRead, RetentionBatch
    open_reads = (
        select(func.count())
        .select_from(item)
        .join(batch, and_(batch.run_id == item.run_id, batch.number == item.batch))
        .where(batch.state != "done")
    )
    pending = session.scalar(open_reads) or 0
    return PurgePlan(
        as_of=policy.as_of,
        policy=policy.as_json(),
        reads=sum(c.reads for c in counts),
        files=sum(c.files for c in counts),
        counts_by_site=counts,
        range_start=min((r[3] for r in rows), default=None),
        range_end=max((r[4] for r in rows), default=None),
        held=held,
        pending_from_interrupted=pending,
    )
