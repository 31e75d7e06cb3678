"""A large safe-list upload does not hold up the console: the import runs off the event loop."""

from __future__ import annotations

import threading
import time

import httpx
from sqlalchemy import delete, func, select

from console.app import create_app
from store.tables import SafelistEntry
from tests.console.conftest import LiveServer, World, token_headers

ROWS = 30_000


def test_health_and_pages_answer_while_a_big_upload_imports(world: World) -> None:
    site = world.ids["pine"]
    body = "plate,state,label,expires_at\n" + "".join(
        f"BIG{i:05d},CA,Unit {i},\n" for i in range(ROWS)
    )
    answered_during: list[float] = []
    result: dict[str, httpx.Response] = {}
    with LiveServer(create_app(world.settings, webhooks=False)) as live:

        def upload() -> None:
            result["import"] = httpx.post(
                f"{live.url}/api/sites/{site}/safelist/import",
                files={"file": ("big.csv", body, "text/csv")},
                headers=token_headers(world, "hoa_pine"),
                timeout=300,
            )

        uploader = threading.Thread(target=upload)
        uploader.start()
        while uploader.is_alive():
            started = time.monotonic()
            health = httpx.get(f"{live.url}/healthz", timeout=300)
            if uploader.is_alive():
                assert health.status_code == 200
                answered_during.append(time.monotonic() - started)
            time.sleep(0.05)
        uploader.join()
    assert result["import"].status_code == 200, result["import"].text
    assert result["import"].json()["added"] == ROWS
    # The loop answered while the import was still running (a blocked loop answers only after).
    assert len(answered_during) >= 3, answered_during
    with world.session() as s:
        listed = select(func.count()).where(
            SafelistEntry.site_id == site, SafelistEntry.plate.like("BIG%")
        )
        assert s.scalar(listed) == ROWS
        s.execute(delete(SafelistEntry).where(SafelistEntry.plate.like("BIG%")))
        s.commit()
