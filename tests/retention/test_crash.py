"""A real `platewatch retention purge` killed mid-run, rerun, then audited; and two at once."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from retention.lock import PurgeAlreadyRunningError, purge_lock
from retention.purge import run_purge
from store.tables import PlateReadRow, RetentionReceipt
from tests.retention.cli import cli_env, run, start_paused
from tests.retention.world import World, settings


def _store(world: World) -> tuple[list[str], list[str]]:
    world.site("oak", cameras=2)
    now = datetime.now(UTC)
    due = [world.read(f"oak-cam{i % 2}", now - timedelta(days=31, hours=i)) for i in range(10)]
    young = [world.read("oak-cam0", now - timedelta(days=2, hours=i)) for i in range(2)]
    return due, young


def _no_unmarked_read_lost_a_file(world: World) -> None:
    """The invariant at any instant: a read not marked purged still has every file."""
    with world.factory() as s:
        rows = s.execute(
            select(PlateReadRow.crop_path, PlateReadRow.frame_path).where(
                PlateReadRow.images_purged_at.is_(None)
            )
        ).all()
    for crop, frame in rows:
        for rel in (crop, frame):
            assert rel is None or (world.image_root / rel).is_file(), rel


@pytest.mark.parametrize("point", ["after_mark", "mid_delete", "after_batch"])
def test_killed_purge_is_finished_by_the_next_run_and_the_audit_is_clean(
    world: World, db_url: str, point: str
) -> None:
    due, young = _store(world)
    env = cli_env(db_url, world.image_root, batch_size=3)

    proc = start_paused({**env, "PLATEWATCH_RETENTION__TEST_PAUSE": point})
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL
    proc.communicate()
    _no_unmarked_read_lost_a_file(world)

    before = run(env, "audit", "--json")
    assert before.returncode == 1, before.stderr
    assert "interrupted_run" in {v["kind"] for v in json.loads(before.stdout)["violations"]}

    rerun = run(env, "purge", "--json")
    assert rerun.returncode == 0, rerun.stderr
    result = json.loads(rerun.stdout)
    [recovered] = result["recovered"]
    assert "interrupted run" in recovered["note"]
    # Batches of 3: the dead run had marked batches 1 and 2, and when paused after batch 2
    # also batch 3, which is marked while batch 2's files are unlinked.
    assert recovered["read_count"] == (9 if point == "after_batch" else 6)
    assert recovered["read_count"] + result["receipt"]["read_count"] == len(due)

    after = run(env, "audit")
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stdout.startswith("retention audit: ok")
    assert all(world.files_of(r) == [] for r in due)
    assert all(len(world.files_of(r)) == 2 for r in young)


def test_a_second_purge_refuses_while_one_runs_and_says_so(world: World, db_url: str) -> None:
    _store(world)
    env = cli_env(db_url, world.image_root, batch_size=3)
    first = start_paused(
        {
            **env,
            "PLATEWATCH_RETENTION__TEST_PAUSE": "after_mark",
            "PLATEWATCH_RETENTION__TEST_PAUSE_BATCH": "1",
        }
    )
    try:
        second = run(env, "purge")
        assert second.returncode == 75
        assert "another retention purge is running" in second.stderr
        assert f":{first.pid}" in second.stderr  # names the holder
        busy_json = run(env, "purge", "--json")
        assert json.loads(busy_json.stdout)["status"] == "busy"
        assert run(env, "audit").returncode == 75
    finally:
        first.kill()
        first.communicate()
    with world.factory() as s:
        assert s.scalar(select(func.count()).select_from(RetentionReceipt)) == 0
    # The kernel or the server dropped the dead holder's lock: the next run proceeds.
    assert run(env, "purge").returncode == 0
    assert run(env, "audit").returncode == 0


def test_the_lock_excludes_within_one_process_too(world: World) -> None:
    _store(world)
    with purge_lock(world.engine), pytest.raises(PurgeAlreadyRunningError):
        run_purge(world.engine, settings(), world.image_root)
    assert run_purge(world.engine, settings(), world.image_root).receipt.read_count == 10
