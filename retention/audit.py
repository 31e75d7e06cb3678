"""The retention audit: checks that the promise was kept, from the database and the disk.

Run it under the purge lock (`run_audit` does): in the middle of a batch, marked reads and their
not-yet-deleted files are expected, and would otherwise read as violations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from community.evidence import COMMUNITY_DIR
from retention.alert_hold_audit import verify_alert_holds
from retention.files import is_temp_name, scan_images
from retention.hold_audit import verify_holds
from retention.holds import held_clause
from retention.lock import purge_lock
from retention.policy import describe_period, due_clause, load_policy
from retention.receipts import verify_receipts
from retention.settings import RetentionSettings
from store.base import utcnow
from store.checkpoint_verify import verify_checkpoints
from store.db import make_session_factory
from store.read_verify import verify_reads
from store.settings import CheckpointPaths
from store.tables import (
    PlateReadRow,
    RetentionBatch,
    RetentionPurgedRead,
    RetentionReceipt,
    RetentionRun,
)

_LOOKUP_CHUNK = 5000


@dataclass(frozen=True)
class Violation:
    kind: str
    subject: str
    detail: str


@dataclass(frozen=True)
class AuditReport:
    checked_at: datetime
    reads_checked: int
    files_checked: int
    receipts_checked: int
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


def _overdue(
    session: Session, settings: RetentionSettings, now: datetime, limit: int
) -> list[Violation]:
    """Reads still holding images or plate text past policy (plus grace) and not on hold."""
    as_of = now - timedelta(minutes=settings.audit_grace_minutes)
    policy = load_policy(session, settings, as_of)
    read = PlateReadRow
    query = (
        select(read.read_id, read.site_id, read.camera_id, read.captured_at, read.resident)
        .where(read.images_purged_at.is_(None), due_clause(policy), ~held_clause(as_of))
        .order_by(read.captured_at)
        .limit(limit)
    )
    found = []
    for read_id, site_id, camera_id, captured_at, resident in session.execute(query):
        terms = policy.terms_for(site_id, camera_id)
        keep = terms.resident_keep if resident else terms.image_keep
        by = "camera" if terms != policy.terms_for(site_id) else "site"
        found.append(
            Violation(
                "overdue",
                f"read:{read_id}",
                f"captured {captured_at.isoformat()}, kept {describe_period(keep)} by "
                f"{'resident' if resident else by} policy, not on hold, still not purged",
            )
        )
    return found


def _expected_files(session: Session) -> dict[str, str]:
    read = PlateReadRow
    query = select(read.read_id, read.crop_path, read.frame_path).where(
        read.images_purged_at.is_(None),
        or_(read.crop_path.is_not(None), read.frame_path.is_not(None)),
    )
    expected: dict[str, str] = {}
    for read_id, crop, frame in session.execute(query):
        for rel in (crop, frame):
            if rel:
                expected[rel] = read_id
    return expected


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _LOOKUP_CHUNK):
        yield items[start : start + _LOOKUP_CHUNK]


def _explain_strays(
    session: Session, strays: dict[str, str | None], fresh: set[str], limit: int
) -> list[Violation]:
    """Say why each file on disk is not one a live read points at."""
    ids = sorted({r for r in strays.values() if r is not None})
    purged: dict[str, datetime | None] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(PlateReadRow.read_id, PlateReadRow.images_purged_at).where(
                PlateReadRow.read_id.in_(chunk)
            )
        )
        purged.update((read_id, at) for read_id, at in rows)
    found = []
    for rel, read_id in sorted(strays.items()):
        violation = _why_stray(rel, read_id, purged, rel in fresh)
        if violation is not None:
            found.append(violation)
        if len(found) >= limit:
            break
    return found


def _why_stray(
    rel: str, read_id: str | None, purged: dict[str, datetime | None], fresh: bool
) -> Violation | None:
    if read_id is None and not is_temp_name(rel.rpartition("/")[2]):
        why = "not named <read_id>_crop.jpg or _frame.jpg; move it out of the image root"
        return Violation("unexpected_file", rel, why)
    stored = read_id is not None and read_id in purged
    if fresh and not stored:
        return None  # the edge writes an image (a temp name, then renamed) before its read lands
    if read_id is None:
        why = "an image write was interrupted and left this behind; delete it"
        return Violation("stale_temp_file", rel, why)
    if not stored:
        return Violation("orphan_file", rel, f"no read {read_id} in the database")
    if purged[read_id] is not None:
        why = f"read {read_id} was purged at {purged[read_id]} but this file is still on disk"
        return Violation("file_after_purge", rel, why)
    return Violation("orphan_file", rel, f"read {read_id} stores another path, not this file")


def _files(
    session: Session, image_root: Path, now: datetime, grace: timedelta, limit: int
) -> tuple[int, list[Violation]]:
    expected = _expected_files(session)
    strays: dict[str, str | None] = {}
    fresh: set[str] = set()
    fresh_after = (now - grace).timestamp()
    seen = 0
    for image in scan_images(image_root):
        if image.rel_path.startswith(f"{COMMUNITY_DIR}/"):
            continue  # residents' shared footage: share_files and retention.share_purge
        seen += 1
        if expected.pop(image.rel_path, None) is None:
            strays[image.rel_path] = image.read_id
            if image.mtime > fresh_after:
                fresh.add(image.rel_path)
    found = _explain_strays(session, strays, fresh, limit)
    for rel, read_id in sorted(expected.items())[: max(0, limit - len(found))]:
        found.append(
            Violation(
                "missing_file",
                f"read:{read_id}",
                f"points at {rel}, which is not on disk under {image_root}",
            )
        )
    return seen, found


def _bookkeeping(session: Session, limit: int) -> list[Violation]:
    """Interrupted runs, undeleted journalled files, and purges no receipt covers."""
    found = [
        Violation(
            "interrupted_run",
            f"run:{run_id}",
            f"started {started.isoformat()} by {owner} and never finished; run "
            "`platewatch retention purge` to finish it",
        )
        for run_id, started, owner in session.execute(
            select(RetentionRun.id, RetentionRun.started_at, RetentionRun.owner).where(
                RetentionRun.finished_at.is_(None)
            )
        )
    ]
    item, read, batch = RetentionPurgedRead, PlateReadRow, RetentionBatch
    open_batches = (
        select(batch.run_id, batch.number, batch.state, func.count(item.read_id))
        .join(item, and_(item.run_id == batch.run_id, item.batch == batch.number), isouter=True)
        .where(batch.state != "done")
        .group_by(batch.run_id, batch.number, batch.state)
        .limit(limit)
    )
    for run_id, number, state, reads in session.execute(open_batches):
        why = (
            f"{reads} reads marked purged but the batch is {state}: their files may remain; "
            "run `platewatch retention purge` again"
        )
        found.append(Violation("pending_deletion", f"run:{run_id}/batch:{number}", why))
    unjournalled = ~exists().where(item.read_id == read.read_id)
    for (read_id,) in session.execute(
        select(read.read_id).where(read.images_purged_at.is_not(None), unjournalled).limit(limit)
    ):
        found.append(
            Violation(
                "unreceipted_purge",
                f"read:{read_id}",
                "marked purged outside the retention job: no receipt covers it",
            )
        )
    for (read_id,) in session.execute(
        select(read.read_id)
        .where(
            read.images_purged_at.is_not(None),
            or_(read.crop_path.is_not(None), read.frame_path.is_not(None)),
        )
        .limit(limit)
    ):
        found.append(
            Violation(
                "purged_read_with_path",
                f"read:{read_id}",
                "marked purged but still stores an image path",
            )
        )
    return found


def _plate_text_kept(session: Session, settings: RetentionSettings, limit: int) -> list[Violation]:
    if settings.keep_plate_text_without_hit:
        return []
    read = PlateReadRow
    rows = session.execute(
        select(read.read_id)
        .where(
            and_(
                read.images_purged_at.is_not(None), read.has_hit.is_(False), read.plate.is_not(None)
            )
        )
        .limit(limit)
    )
    return [
        Violation(
            "plate_text_kept",
            f"read:{read_id}",
            "purged read without a hit still has its plate text",
        )
        for (read_id,) in rows
    ]


def audit_retention(
    session: Session,
    settings: RetentionSettings,
    image_root: Path,
    *,
    now: datetime | None = None,
    limit: int = 1000,
    checkpoints: CheckpointPaths | None = None,
) -> AuditReport:
    """Every check; `limit` caps how many violations of each kind are listed. With
    `checkpoints`, the receipt chain's head must also match its last signed checkpoint, and
    every read and site the checkpoints signed must still hash as signed."""
    now = now or utcnow()
    grace = timedelta(minutes=settings.audit_grace_minutes)
    violations: list[Violation] = []
    violations += _overdue(session, settings, now, limit)
    files_seen, file_problems = _files(session, image_root, now, grace, limit)
    violations += file_problems
    violations += _bookkeeping(session, limit)
    violations += _plate_text_kept(session, settings, limit)
    violations += [
        Violation("receipt", f"receipt:{p.receipt_id}", p.problem) for p in verify_receipts(session)
    ]
    violations += [Violation("hold", subject, why) for subject, why in verify_holds(session)]
    violations += [Violation("hold", subject, why) for subject, why in verify_alert_holds(session)]
    if checkpoints is not None:
        violations += [
            Violation("checkpoint", "chain:receipts", problem)
            for problem in verify_checkpoints(session, "receipts", checkpoints)
        ]
        violations += [
            Violation("reads", p.group, p.problem) for p in verify_reads(session, checkpoints)
        ][:limit]
    reads = session.scalar(select(func.count()).select_from(PlateReadRow)) or 0
    receipts = session.scalar(select(func.count()).select_from(RetentionReceipt)) or 0
    return AuditReport(now, reads, files_seen, receipts, tuple(violations))


def run_audit(
    engine: Engine,
    settings: RetentionSettings,
    image_root: Path,
    *,
    now: datetime | None = None,
    checkpoints: CheckpointPaths | None = None,
) -> AuditReport:
    """Audit under the purge lock; raises PurgeAlreadyRunningError if a purge keeps it."""
    with purge_lock(engine, wait_s=settings.lock_wait_s), make_session_factory(engine)() as s:
        return audit_retention(s, settings, image_root, now=now, checkpoints=checkpoints)


def kinds(violations: Iterable[Violation]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for violation in violations:
        counts[violation.kind] = counts.get(violation.kind, 0) + 1
    return counts
