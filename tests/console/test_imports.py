"""Import jobs: an upload answers at once with a job, the worker fills it in, only its owner
(or their site's HOA admins) may see it, and a restart fails what it cut short."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from console.app import create_app
from console.imports import MAX_ROW_ERRORS, RESTARTED
from store.base import utcnow
from store.tables import AuditEvent, ImportJob, SafelistEntry, User
from tests.console.conftest import Caller, World, finished_job

ROWS = 2_500


def _csv(prefix: str, rows: int) -> str:
    return "plate,state,label,expires_at\n" + "".join(
        f"{prefix}{i:05d},CA,Unit {i},\n" for i in range(rows)
    )


def _listed(world: World, site: int, prefix: str) -> int:
    with world.session() as s:
        query = select(func.count()).where(
            SafelistEntry.site_id == site, SafelistEntry.plate.like(f"{prefix}%")
        )
        return int(s.scalar(query) or 0)


def _forget(world: World, prefix: str) -> None:
    with world.session() as s:
        s.execute(delete(SafelistEntry).where(SafelistEntry.plate.like(f"{prefix}%")))
        s.commit()


def test_upload_answers_with_a_job_that_ends_done_with_its_rows_counted(
    world: World, by_token: dict[str, Caller]
) -> None:
    site = world.ids["pine"]
    admin = by_token["hoa_pine"]
    queued = admin.post(
        f"/api/sites/{site}/safelist/import",
        files={"file": ("homes.csv", _csv("JOB", ROWS), "text/csv")},
    )
    assert queued.json()["status"] in ("queued", "running", "done")
    job = finished_job(admin, queued)
    assert job["status"] == "done", job
    assert (job["rows_total"], job["rows_done"], job["rows_rejected"]) == (ROWS, ROWS, 0)
    assert job["percent"] == 100 and job["errors"] == []
    assert job["counts"] == {"added": ROWS, "updated": 0, "removed": 0}
    assert job["message"] == f"Imported homes.csv: {ROWS} added, 0 updated."
    assert job["started_at"] and job["finished_at"] and job["finished_at"] >= job["started_at"]
    assert _listed(world, site, "JOB") == ROWS
    with world.session() as s:
        logged = s.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "safelist.import", AuditEvent.actor == "hoa_pine")
            .order_by(AuditEvent.id.desc())
        ).first()
    assert logged is not None and logged["added"] == ROWS
    _forget(world, "JOB")


def test_a_bad_row_fails_the_job_with_each_bad_row_and_writes_nothing(
    world: World, by_token: dict[str, Caller]
) -> None:
    site = world.ids["pine"]
    admin = by_token["hoa_pine"]
    body = _csv("BAD", ROWS) + "BAD*9,CA,Unit 9,\nBADX01,Atlantis,Unit 10,\n"
    job = finished_job(
        admin,
        admin.post(
            f"/api/sites/{site}/safelist/import",
            files={"file": ("homes.csv", body, "text/csv")},
        ),
    )
    assert job["status"] == "failed"
    assert job["message"] == (
        f"2 of {ROWS + 2} rows are invalid, so nothing was imported. "
        "Fix the rows below and upload the file again."
    )
    assert (job["rows_done"], job["rows_rejected"]) == (0, 2)
    assert [(e["line"], e["field"]) for e in job["errors"]] == [
        (ROWS + 2, "plate"),
        (ROWS + 3, "state"),
    ]
    assert _listed(world, site, "BAD") == 0


def test_a_file_without_the_columns_fails_the_job_saying_why(
    world: World, by_token: dict[str, Caller]
) -> None:
    site = world.ids["pine"]
    admin = by_token["hoa_pine"]
    job = finished_job(
        admin,
        admin.post(
            f"/api/sites/{site}/safelist/import",
            files={"file": ("wrong.csv", "car,flat\nHDR001,4\n", "text/csv")},
        ),
    )
    assert job["status"] == "failed"
    assert job["message"].startswith("wrong.csv was not imported: ")
    assert _listed(world, site, "HDR") == 0


def test_only_the_owner_and_their_site_see_a_job(
    world: World, by_token: dict[str, Caller], as_user: dict[str, Caller]
) -> None:
    site = world.ids["pine"]
    queued = by_token["hoa_pine"].post(
        f"/api/sites/{site}/safelist/import",
        files={"file": ("mine.csv", _csv("OWN", 3), "text/csv")},
    )
    job = finished_job(by_token["hoa_pine"], queued)
    url = f"/api/import-jobs/{job['id']}"
    assert as_user["hoa_pine"].get(url).json()["id"] == job["id"]  # same user, as a session
    for other in ("hoa_oak", "officer_b", "auditor", "admin"):
        response = as_user[other].get(url)
        assert response.status_code == 404, (other, response.text)
        assert response.json()["detail"] == f"no import job {job['id']} of yours"
        assert as_user[other].get(f"/imports/{job['id']}").status_code == 404
    page = as_user["hoa_pine"].get(f"/imports/{job['id']}")
    assert page.status_code == 200 and "Imported mine.csv: 3 added" in page.text
    _forget(world, "OWN")


def test_a_restart_fails_the_jobs_it_cut_short(world: World) -> None:
    with world.session() as s:
        owner = s.scalars(select(User.id).where(User.username == "hoa_oak")).one()
        cut = [
            ImportJob(kind="safelist", owner_user_id=owner, site_id=world.ids["oak"], status=st)
            for st in ("queued", "running")
        ]
        finished = ImportJob(
            kind="safelist", owner_user_id=owner, status="done", finished_at=utcnow()
        )
        s.add_all([*cut, finished])
        s.commit()
        ids = [job.id for job in cut]
    with TestClient(create_app(world.settings, webhooks=False)):
        pass
    with world.session() as s:
        jobs = s.scalars(select(ImportJob).where(ImportJob.id.in_(ids))).all()
        assert {(j.status, j.message) for j in jobs} == {("failed", RESTARTED)}
        assert all(j.finished_at is not None for j in jobs)
        kept = s.get(ImportJob, finished.id)
        assert kept is not None and kept.status == "done"


def test_a_file_of_bad_rows_keeps_the_first_thousand_and_counts_them_all(
    world: World, by_token: dict[str, Caller], as_user: dict[str, Caller]
) -> None:
    site = world.ids["pine"]
    body = "plate,state,label,expires_at\n" + "BAD*1,CA,,\n" * 1_005
    job = finished_job(
        by_token["hoa_pine"],
        by_token["hoa_pine"].post(
            f"/api/sites/{site}/safelist/import",
            files={"file": ("wild.csv", body, "text/csv")},
        ),
    )
    assert job["status"] == "failed" and job["rows_rejected"] == 1_005
    assert len(job["errors"]) == MAX_ROW_ERRORS and job["errors"][0]["line"] == 2
    page = as_user["hoa_pine"].get(f"/imports/{job['id']}")
    assert "Bad rows (the first 1000 of 1005)" in page.text
