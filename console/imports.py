"""Uploaded files imported in the console's worker thread, with progress people can watch.

An upload only creates an `import_jobs` row and hands the file to `ImportRunner`; the request
answers at once. One worker thread runs one job at a time (SQLite has one writer, and parsing
holds the GIL), so later uploads wait as `queued`. Each kind of import is an `ImportTask`: a
site's safe list (console.safelist), a hotlist (console.admin_lists). A task writes everything
in the one session it is given and the runner commits it together with the job's `done`; a
rejected file writes nothing.

Progress goes to an in-memory board every chunk and, where the database has more than one
writer (PostgreSQL), to the job row in its own short transaction. SQLite would make that second
writer wait for the import's own lock, so there the board alone carries a running job's count.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from console.schemas.imports import ImportJobPublic, RowErrorPublic
from store.base import utcnow
from store.tables import ImportJob

log = logging.getLogger(__name__)

MAX_ROW_ERRORS = 1_000
PROGRESS_WRITE_S = 0.25
RESTARTED = (
    "The console restarted during the import, so nothing was imported; upload the file again."
)
# Told (rows written so far, rows to write).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportOutcome:
    rows_total: int
    rows_done: int
    rows_rejected: int
    message: str
    counts: dict[str, int] = field(default_factory=dict)
    errors: tuple[RowErrorPublic, ...] = ()


class ImportRejectedFileError(ValueError):
    """The file cannot be imported (bad rows, a bad header); nothing was written."""

    def __init__(
        self, message: str, *, rows_total: int = 0, errors: tuple[RowErrorPublic, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.rows_total = rows_total
        self.errors = errors


class ImportTask(Protocol):
    """One kind of import. `run` writes in `session` and never commits; it raises
    ImportRejectedFileError for a file it will not import."""

    @property
    def kind(self) -> str: ...

    def run(self, session: Session, progress: Progress) -> ImportOutcome: ...


@dataclass(frozen=True)
class JobScope:
    """Who sent the file and where it goes (a site's safe list, an agency's hotlist)."""

    owner_user_id: int
    site_id: int | None = None
    agency_id: int | None = None


def _error_rows(errors: tuple[RowErrorPublic, ...]) -> list[dict[str, object]]:
    return [e.model_dump() for e in errors[:MAX_ROW_ERRORS]]


def public(job: ImportJob, live: tuple[int, int] | None = None) -> ImportJobPublic:
    """The job as its owner sees it; `live` is the board's (done, total) of a running job."""
    done, total = job.rows_done, job.rows_total
    if live is not None and job.status == "running":
        done, total = max(done, live[0]), max(total, live[1])
    to_write = total - job.rows_rejected
    if job.status == "done":
        percent = 100
    else:
        percent = min(99, done * 100 // to_write) if to_write > 0 else 0
    return ImportJobPublic(
        id=job.id,
        kind=job.kind,
        filename=job.filename,
        site_id=job.site_id,
        status=job.status,
        rows_total=total,
        rows_done=done,
        rows_rejected=job.rows_rejected,
        percent=percent,
        message=job.message,
        counts=dict(job.counts),
        errors=[RowErrorPublic.model_validate(e) for e in job.row_errors],
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def fail_interrupted(session: Session) -> int:
    """Mark jobs a previous console left queued or running as failed (their transaction
    died with the process, so nothing of them was written); returns how many."""
    result = session.execute(
        update(ImportJob)
        .where(ImportJob.status.in_(("queued", "running")))
        .values(status="failed", message=RESTARTED, finished_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


class _JobProgress:
    """The progress callback of one job: the board always, the job row now and then."""

    def __init__(self, runner: ImportRunner, job_id: int) -> None:
        self.runner = runner
        self.job_id = job_id
        self.last_write = 0.0

    def __call__(self, done: int, total: int) -> None:
        self.runner.board_set(self.job_id, done, total)
        if not self.runner.separate_writes:
            return
        now = time.monotonic()
        if now - self.last_write < PROGRESS_WRITE_S and done < total:
            return
        self.last_write = now
        with self.runner.factory() as session:
            session.execute(
                update(ImportJob)
                .where(ImportJob.id == self.job_id)
                .values(rows_done=done, rows_total=total)
            )
            session.commit()


class ImportRunner:
    """The console's import worker: one thread, jobs in upload order."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        engine = factory.kw["bind"]
        assert isinstance(engine, Engine)
        self.separate_writes = engine.dialect.name != "sqlite"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import")
        self._board: dict[int, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def board_set(self, job_id: int, done: int, total: int) -> None:
        with self._lock:
            self._board[job_id] = (done, total)

    def live(self, job_id: int) -> tuple[int, int] | None:
        with self._lock:
            return self._board.get(job_id)

    def enqueue(self, task: ImportTask, scope: JobScope, filename: str) -> ImportJobPublic:
        """Record a queued job and hand it to the worker (blocking: call it off the loop)."""
        with self.factory() as session:
            job = ImportJob(
                kind=task.kind,
                owner_user_id=scope.owner_user_id,
                site_id=scope.site_id,
                agency_id=scope.agency_id,
                filename=filename[:255],
            )
            session.add(job)
            session.commit()
            view = public(job)
        future = self._pool.submit(self._run, view.id, task)
        future.add_done_callback(lambda f: self._after(view.id, f))
        return view

    def recover(self) -> int:
        with self.factory() as session:
            failed = fail_interrupted(session)
            session.commit()
        if failed:
            log.warning("%s import job(s) cut short by a restart marked failed", failed)
        return failed

    def shutdown(self) -> None:
        """Drop queued jobs (the next start marks them failed); a running one finishes."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _set(self, session: Session, job_id: int, **values: object) -> None:
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))

    def _run(self, job_id: int, task: ImportTask) -> None:
        with self.factory() as session:
            self._set(session, job_id, status="running", started_at=utcnow())
            session.commit()
        with self.factory() as session:
            try:
                outcome = task.run(session, _JobProgress(self, job_id))
            except ImportRejectedFileError as exc:
                session.rollback()
                self._finish_rejected(session, job_id, exc)
                return
            # In the import's transaction: the rows and `done` commit together or not at all.
            self._set(
                session,
                job_id,
                status="done",
                rows_total=outcome.rows_total,
                rows_done=outcome.rows_done,
                rows_rejected=outcome.rows_rejected,
                message=outcome.message,
                counts=outcome.counts,
                row_errors=_error_rows(outcome.errors),
                finished_at=utcnow(),
            )
            session.commit()

    def _finish_rejected(self, session: Session, job_id: int, exc: ImportRejectedFileError) -> None:
        self._set(
            session,
            job_id,
            status="failed",
            rows_total=exc.rows_total,
            rows_done=0,
            rows_rejected=len(exc.errors),
            message=exc.message,
            row_errors=_error_rows(exc.errors),
            finished_at=utcnow(),
        )
        session.commit()

    def _after(self, job_id: int, future: Future[None]) -> None:
        with self._lock:
            self._board.pop(job_id, None)
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            return
        # Any other failure (the database went away, a bug): the import's session was rolled
        # back when it closed, so only the job row needs to say so.
        log.error("import job %s failed", job_id, exc_info=error)
        message = (
            f"The import failed ({type(error).__name__}), so nothing was imported; "
            "upload the file again, and tell your administrator if it fails again."
        )
        with self.factory() as session:
            self._set(session, job_id, status="failed", message=message, finished_at=utcnow())
            session.commit()
