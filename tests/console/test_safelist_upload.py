"""A large safe-list upload does not hold up the console: the upload answers with a job at
once, and the health check answers while the worker imports the rows."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import delete, func, select

from console.app import create_app
from store.tables import SafelistEntry
from tests.console.conftest import LiveServer, World, token_headers

ROWS = 100_000


def test_health_answers_while_a_big_upload_imports(world: World) -> None:
    site = world.ids["pine"]
    body = "plate,state,label,expires_at\n" + "".join(
        f"BIG{i:06d},CA,Unit {i},\n" for i in range(ROWS)
    )
    headers = token_headers(world, "hoa_pine")
    answered_while_running = 0
    with (
        LiveServer(create_app(world.settings, webhooks=False)) as live,
        httpx.Client(base_url=live.url, headers=headers, timeout=300) as http,
    ):
        queued = http.post(
            f"/api/sites/{site}/safelist/import",
            files={"file": ("big.csv", body, "text/csv")},
        )
        assert queued.status_code == 202, queued.text
        job_url = queued.headers["location"]
        while (job := http.get(job_url).json())["status"] in ("queued", "running"):
            health = http.get("/healthz")
            assert health.status_code == 200
            # Counted only if the import was still running after the answer came.
            if job["status"] == "running" and http.get(job_url).json()["status"] == "running":
                answered_while_running += 1
            time.sleep(0.05)
    assert job["status"] == "done", job
    assert job["rows_done"] == ROWS and job["counts"]["added"] == ROWS
    assert answered_while_running >= 1
    with world.session() as s:
        listed = select(func.count()).where(
            SafelistEntry.site_id == site, SafelistEntry.plate.like("BIG%")
        )
        assert s.scalar(listed) == ROWS
        s.execute(delete(SafelistEntry).where(SafelistEntry.plate.like("BIG%")))
        s.commit()
