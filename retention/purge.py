"""The purge: delete the images of reads past their policy, provably and safely.

Each batch is three steps. (1) One transaction opens the batch as `deleting`, picks due reads
that are not held, copies their image paths into the purge journal and marks the reads purged
(paths cleared, plate text removed when the policy says so). (2) The files are unlinked. (3) The
batch becomes `done`. A kill after (1) leaves an open batch of marked reads whose files may
remain; the next run deletes them before anything else and writes the dead run's receipt.
So no unmarked read ever points at a deleted file, and after a rerun no file is left behind.
Step 1 of the next batch runs while step 2 of the previous one waits on the disk.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Engine,
    Integer,
    Select,
    and_,
    case,
    delete,
    insert,
    literal,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from retention.files import delete_files, folders_of, prune_empty_dirs
from retention.holds import PG_HOLD_LOCK, held_clause
from retention.lock import process_label, purge_lock
from retention.policy import RetentionPolicy, due_clause, load_policy, site_of_read
from retention.receipts import ReceiptView, get_receipt, issue_receipt
from retention.settings import RetentionSettings
from retention.share_purge import mark_share_files, unfinished_paths
from store.base import utcnow
from store.checkpoints import CheckpointError, publish_checkpoints
from store.db import make_session_factory
from store.settings import CheckpointPaths
from store.signing import CheckpointKeyError
from store.tables import PlateReadRow, RetentionBatch, RetentionPurgedRead, RetentionRun

log = logging.getLogger(__name__)

FAILED, DONE = "failed", "done"


@dataclass(frozen=True)
class PurgeProgress:
    batches: int
    reads: int
    files: int


@dataclass(frozen=True)
class PurgeResult:
    receipt: ReceiptView
    # Receipts written for runs that had been killed before finishing.
    recovered: tuple[ReceiptView, ...]
    files_deleted: int
    files_missing: int
    failed_paths: tuple[str, ...]
    elapsed_s: float
    # Why no checkpoint was signed after the purge (None when one was, or none was asked for).
    checkpoint_error: str | None = None


ProgressCallback = Callable[[PurgeProgress], None]


def _pause_if_asked(settings: RetentionSettings, point: str, batch: int) -> None:
    if settings.test_pause == point and batch == settings.test_pause_batch:
        print(f"retention: paused at {point} of batch {batch}", file=sys.stderr, flush=True)
        while True:  # the test SIGKILLs us here
            time.sleep(3600)


@dataclass(frozen=True)
class _BatchKey:
    run_id: int
    number: int
    size: int


@dataclass(frozen=True)
class _Marked:
    read_ids: tuple[str, ...]
    rels: tuple[str, ...]
    last_captured_at: datetime | None
    # The (run id, batch number) of the batches these reads belong to.
    batches: tuple[tuple[int, int], ...]

    @property
    def reads(self) -> int:
        return len(self.read_ids)


def _due_batch(policy: RetentionPolicy, batch: _BatchKey, cursor: datetime | None) -> Select[Any]:
    """The next due, unheld reads in capture order, as journal rows of this batch."""
    read = PlateReadRow
    files = case((read.crop_path.is_not(None), 1), else_=0) + case(
        (read.frame_path.is_not(None), 1), else_=0
    )
    choose = (
        select(
            read.read_id,
            literal(batch.run_id, Integer),
            literal(batch.number, Integer),
            site_of_read(),
            read.captured_at,
            files,
            read.crop_path,
            read.frame_path,
        )
        .where(read.images_purged_at.is_(None), due_clause(policy), ~held_clause(policy.as_of))
        .order_by(read.captured_at)
        .limit(batch.size)
    )
    # Reads before the cursor were purged, held or not due when this run passed them.
    return choose if cursor is None else choose.where(read.captured_at >= cursor)


def _mark_batch(
    session: Session, policy: RetentionPolicy, batch: _BatchKey, cursor: datetime | None
) -> _Marked:
    """Step 1: journal and mark one batch of due, unheld reads."""
    read, item = PlateReadRow, RetentionPurgedRead
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_HOLD_LOCK})
        # The planner overestimates this LIMIT query and would spend ~1 s JIT-compiling a
        # plan that runs in ~50 ms.
        session.execute(text("SET LOCAL jit = off"))
    choose = _due_batch(policy, batch, cursor)
    session.execute(insert(RetentionBatch).values(run_id=batch.run_id, number=batch.number))
    columns = [
        item.read_id,
        item.run_id,
        item.batch,
        item.site_id,
        item.captured_at,
        item.files,
        item.crop_path,
        item.frame_path,
    ]
    journalled = session.execute(
        insert(item)
        .from_select(columns, choose)
        .returning(item.read_id, item.captured_at, item.crop_path, item.frame_path)
    ).all()
    if not journalled:  # nothing left to purge: the run is over, no batch to keep open
        session.execute(
            delete(RetentionBatch).where(
                RetentionBatch.run_id == batch.run_id, RetentionBatch.number == batch.number
            )
        )
        return _collect((), ())
    marks: dict[str, object] = {"images_purged_at": utcnow(), "crop_path": None, "frame_path": None}
    if not policy.keep_plate_text_without_hit:
        # The detail keeps the recognizer's alternatives, which spell the plate out too.
        marks["plate"] = case((read.has_hit, read.plate), else_=None)
        marks["detail"] = case((read.has_hit, read.detail), else_=literal({}, JSON))
    # Matching by batch, not by a list of ids: no statement with thousands of parameters.
    this_batch = select(item.read_id).where(item.run_id == batch.run_id, item.batch == batch.number)
    session.execute(
        update(read).where(read.read_id.in_(this_batch)).values(marks),
        execution_options={"synchronize_session": False},
    )
    return _collect(journalled, ((batch.run_id, batch.number),))


def _collect(
    rows: Iterable[tuple[str, datetime, str | None, str | None]],
    batches: tuple[tuple[int, int], ...],
) -> _Marked:
    rels: list[str] = []
    last: datetime | None = None
    read_ids: list[str] = []
    for read_id, captured_at, crop, frame in rows:
        read_ids.append(read_id)
        last = captured_at if last is None else max(last, captured_at)
        rels.extend(rel for rel in (crop, frame) if rel)
    return _Marked(tuple(read_ids), tuple(rels), last, batches)


def _open_batches(session: Session) -> _Marked:
    """The journalled files of every batch a killed run left open (or that failed)."""
    item, open_batch = RetentionPurgedRead, RetentionBatch
    keys = tuple(
        (run_id, number)
        for run_id, number in session.execute(
            select(open_batch.run_id, open_batch.number).where(open_batch.state != DONE)
        )
    )
    query = (
        select(item.read_id, item.captured_at, item.crop_path, item.frame_path)
        .join(open_batch, and_(open_batch.run_id == item.run_id, open_batch.number == item.batch))
        .where(open_batch.state != DONE)
    )
    return _collect(session.execute(query).all(), keys)


def _close_batches(session: Session, marked: _Marked, failed: Sequence[str]) -> None:
    """Step 3: a batch whose files are all gone is done; otherwise failed, for a retry."""
    if marked.batches:
        session.execute(
            update(RetentionBatch)
            .where(tuple_(RetentionBatch.run_id, RetentionBatch.number).in_(marked.batches))
            .values(state=FAILED if failed else DONE)
        )


@dataclass
class _Purge:
    """One purge process: the recovery of killed runs, then this run's batches."""

    factory: sessionmaker[Session]
    settings: RetentionSettings
    image_root: Path
    progress: ProgressCallback | None
    deleted: int = 0
    missing: int = 0
    failed: tuple[str, ...] = ()
    done: PurgeProgress = PurgeProgress(0, 0, 0)

    def delete(self, rels: Sequence[str], threads: int) -> tuple[str, ...]:
        outcome = delete_files(self.image_root, rels, threads)
        self.deleted += outcome.deleted
        self.missing += outcome.missing
        self.failed += outcome.failed
        return outcome.failed

    def recover(self) -> list[int]:
        """Finish what killed runs left: delete journalled files, then receipt those runs."""
        with self.factory.begin() as session:
            pending = _open_batches(session)
        if pending.batches:
            log.warning(
                "finishing an interrupted purge: %s reads, %s files journalled",
                pending.reads,
                len(pending.rels),
            )
            failed = self.delete(pending.rels, self.settings.delete_threads)
            prune_empty_dirs(
                self.image_root, folders_of(pending.rels), self.settings.delete_threads
            )
            with self.factory.begin() as session:
                _close_batches(session, pending, failed)
        with self.factory.begin() as session:
            shared = unfinished_paths(session)
        if shared:
            self.delete(shared, self.settings.delete_threads)
        receipts = []
        with self.factory.begin() as session:
            dead = session.scalars(
                select(RetentionRun)
                .where(RetentionRun.finished_at.is_(None))
                .order_by(RetentionRun.id)
            ).all()
            for run in dead:
                note = (
                    f"interrupted run (owner {run.owner}); its journalled files were deleted "
                    f"and this receipt written by {process_label()}"
                )
                receipts.append(issue_receipt(session, run, note=note, now=utcnow()).id)
        return receipts

    def run(self, now: datetime | None) -> int:
        """Purge everything due at `now`; returns the id of this run's receipt."""
        with self.factory.begin() as session:
            policy = load_policy(session, self.settings, now or utcnow())
            run = RetentionRun(owner=process_label(), policy=policy.as_json())
            session.add(run)
            session.flush()
            run_id = run.id
        log.debug("purge run %s: policy as of %s", run_id, policy.as_of.isoformat())
        folders = self.batches(policy, run_id)
        with self.factory.begin() as session:
            shared = mark_share_files(session, policy, run_id)
        self.delete(shared, self.settings.delete_threads)
        folders |= folders_of(shared)
        # Once per run, not per batch: most folders hold several batches' files.
        prune_empty_dirs(self.image_root, folders, self.settings.delete_threads)
        with self.factory.begin() as session:
            run = session.get_one(RetentionRun, run_id)
            note = ""
            if self.failed:
                note = f"{len(self.failed)} files could not be deleted; later runs retry them"
            return issue_receipt(session, run, note=note, now=utcnow()).id

    def batches(self, policy: RetentionPolicy, run_id: int) -> set[str]:
        """Purge batch after batch until nothing is due; returns the folders touched.

        The next batch is marked while the previous batch's files are being unlinked, so the
        database work hides behind the disk's; each batch is closed only after its own files.
        """
        settings = self.settings
        folders: set[str] = set()
        cursor: datetime | None = None
        batch = 0
        in_flight: tuple[_Marked, Future[tuple[str, ...]]] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="purge-unlink") as unlinker:
            while True:
                batch += 1
                key = _BatchKey(run_id, batch, settings.batch_size)
                with self.factory.begin() as session:
                    marked = _mark_batch(session, policy, key, cursor)
                if in_flight is not None:
                    self.finish(*in_flight)
                    _pause_if_asked(settings, "after_batch", batch - 1)
                if not marked.reads:
                    return folders
                _pause_if_asked(settings, "after_mark", batch)
                if settings.test_pause == "mid_delete" and batch == settings.test_pause_batch:
                    self.delete(marked.rels[: len(marked.rels) // 2], 1)
                    _pause_if_asked(settings, "mid_delete", batch)
                unlinking = unlinker.submit(self.delete, marked.rels, settings.delete_threads)
                in_flight = (marked, unlinking)
                folders |= folders_of(marked.rels)
                cursor = marked.last_captured_at

    def finish(self, marked: _Marked, unlinking: Future[tuple[str, ...]]) -> None:
        """Step 3 for one batch, once its files are gone."""
        failed = unlinking.result()
        with self.factory.begin() as session:
            _close_batches(session, marked, failed)
        done = self.done
        self.done = PurgeProgress(
            done.batches + 1, done.reads + marked.reads, done.files + len(marked.rels)
        )
        if self.progress is not None:
            self.progress(self.done)


def run_purge(
    engine: Engine,
    settings: RetentionSettings,
    image_root: Path,
    *,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
    checkpoints: CheckpointPaths | None = None,
) -> PurgeResult:
    """Purge everything due at `now` (default: the clock) under the retention lock.

    Finishes any run a kill interrupted first, and with `checkpoints` signs the heads of the
    receipt chain and the audit log once the receipt is committed. Raises
    PurgeAlreadyRunningError when another purge holds the lock (after `settings.lock_wait_s`).
    """
    started = time.monotonic()
    factory = make_session_factory(engine)
    purge = _Purge(factory, settings, image_root, progress)
    with purge_lock(engine, wait_s=settings.lock_wait_s):
        recovered = purge.recover()
        receipt_id = purge.run(now)
        checkpoint_error = _checkpoint(engine, checkpoints)
    with factory() as session:
        receipt = get_receipt(session, receipt_id)
        earlier = tuple(v for rid in recovered if (v := get_receipt(session, rid)) is not None)
    assert receipt is not None
    return PurgeResult(
        receipt=receipt,
        recovered=earlier,
        files_deleted=purge.deleted,
        files_missing=purge.missing,
        failed_paths=purge.failed,
        elapsed_s=time.monotonic() - started,
        checkpoint_error=checkpoint_error,
    )


def _checkpoint(engine: Engine, paths: CheckpointPaths | None) -> str | None:
    # After the receipt's commit: a checkpoint of an uncommitted head would accuse us later.
    if paths is None:
        return None
    try:
        publish_checkpoints(engine, paths)
    except (CheckpointError, CheckpointKeyError, OSError) as exc:
        problem = str(exc)
    else:
        return None
    log.error("purge done but no checkpoint signed: %s", problem)
    return problem
