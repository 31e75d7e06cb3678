"""Import jobs: a small JSON view to poll and a page with a progress bar (console.imports)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from console import imports
from console.deps import AnyUser, DbSession, Principal
from console.errors import NotFound
from console.pages import render
from console.schemas.imports import ImportJobPublic
from console.scope import import_jobs_of
from store.tables import ImportJob

router = APIRouter()
# Where the owner goes once a job of each kind has finished.
KIND_PAGES = {
    "safelist": ("/safelist", "Back to the safe list"),
    "hotlist": ("/admin/hotlists", "Back to the hotlists"),
}


def job_view(request: Request, db: Session, me: Principal, job_id: int) -> ImportJobPublic:
    job = db.scalar(select(ImportJob).where(ImportJob.id == job_id, import_jobs_of(me)))
    # Someone else's job is "not found", not "forbidden": its existence is not theirs to know.
    if job is None:
        msg = f"no import job {job_id} of yours"
        raise NotFound(msg)
    runner: imports.ImportRunner = request.app.state.import_runner
    return imports.public(job, runner.live(job_id))


@router.get("/api/import-jobs/{job_id}", tags=["imports"])
def api_job(request: Request, job_id: int, me: AnyUser, db: DbSession) -> ImportJobPublic:
    """An import's status and progress: poll until `done` or `failed` (then `errors` lists
    the bad rows, at most the first 1000; `rows_rejected` counts them all)."""
    return job_view(request, db, me, job_id)


@router.get("/imports/{job_id}", include_in_schema=False)
def job_page(request: Request, job_id: int, me: AnyUser, db: DbSession) -> Response:
    job = job_view(request, db, me, job_id)
    back_href, back_label = KIND_PAGES.get(job.kind, ("/", "Home"))
    return render(
        request, "import_job.html", me, job=job, back_href=back_href, back_label=back_label
    )
