"""The receipt chain against its signed checkpoints, and every column the receipts cover."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from retention.audit import AuditReport, audit_retention
from retention.purge import run_purge
from retention.receipts import verify_receipts
from store.settings import CheckpointPaths
from store.tables import (
    AuditEvent,
    RetentionBatch,
    RetentionPurgedRead,
    RetentionReceipt,
    RetentionRun,
)
from tests.retention.world import NOW, World, days_ago, settings


@pytest.fixture
def paths(tmp_path: Path) -> CheckpointPaths:
    return CheckpointPaths(key=tmp_path / "keys" / "cp.pem", sink=tmp_path / "sink.jsonl")


def _purges(world: World, paths: CheckpointPaths | None, runs: int = 2) -> list[int]:
    world.site("oak")
    world.site("elm")
    receipts = []
    for i in range(runs):
        world.read("oak-cam0", days_ago(31 + i))
        world.read("elm-cam0", days_ago(35 + i))
        result = run_purge(world.engine, settings(), world.image_root, now=NOW, checkpoints=paths)
        assert result.checkpoint_error is None
        receipts.append(result.receipt.id)
    return receipts


def _audit(world: World, paths: CheckpointPaths) -> AuditReport:
    with world.factory() as s:
        return audit_retention(s, settings(), world.image_root, now=NOW, checkpoints=paths)


def test_purges_with_checkpoints_pass(world: World, paths: CheckpointPaths) -> None:
    _purges(world, paths)
    report = _audit(world, paths)
    assert report.ok, report.violations
    assert paths.sink.read_text().count('"chain":"receipts"') == 2


def test_cutting_the_last_receipt_with_its_run_and_audit_rows_fails(
    world: World, paths: CheckpointPaths
) -> None:
    receipts = _purges(world, paths)
    last = receipts[-1]
    with world.factory.begin() as s:
        run_id = s.get_one(RetentionReceipt, last).run_id
        s.execute(delete(AuditEvent).where(AuditEvent.subject == f"receipt:{last}"))
        s.execute(delete(RetentionReceipt).where(RetentionReceipt.id == last))
        s.execute(delete(RetentionPurgedRead).where(RetentionPurgedRead.run_id == run_id))
        s.execute(delete(RetentionBatch).where(RetentionBatch.run_id == run_id))
        s.execute(delete(RetentionRun).where(RetentionRun.id == run_id))
    with world.factory() as s:
        assert verify_receipts(s) == []  # the chain alone cannot see the cut
    report = _audit(world, paths)
    checkpoint = [v for v in report.violations if v.kind == "checkpoint"]
    assert checkpoint and checkpoint[0].subject == "chain:receipts"
    assert f"head row {last} no longer exists" in checkpoint[0].detail


def _column_edits() -> list[tuple[type[Any], str, Any]]:
    later = NOW + timedelta(days=1)
    return [
        (RetentionPurgedRead, "read_id", "young"),
        (RetentionPurgedRead, "run_id", "other_run"),
        (RetentionPurgedRead, "batch", 9),
        (RetentionPurgedRead, "site_id", 999),
        (RetentionPurgedRead, "captured_at", later),
        (RetentionPurgedRead, "files", 7),
        (RetentionPurgedRead, "crop_path", "elsewhere/x_crop.jpg"),
        (RetentionPurgedRead, "frame_path", "elsewhere/x_frame.jpg"),
        (RetentionReceipt, "run_id", "spare_run"),
        (RetentionReceipt, "issued_at", later),
        (RetentionReceipt, "run_started_at", later),
        (RetentionReceipt, "policy", {"image_days": 1}),
        (RetentionReceipt, "counts_by_site", {}),
        (RetentionReceipt, "read_count", 0),
        (RetentionReceipt, "file_count", 0),
        (RetentionReceipt, "range_start", later),
        (RetentionReceipt, "range_end", later),
        (RetentionReceipt, "ids_digest", "0" * 64),
        (RetentionReceipt, "items_digest", "0" * 64),
        (RetentionReceipt, "note", "nothing happened"),
        (RetentionReceipt, "prev_hash", "1" * 64),
        (RetentionReceipt, "hash", "2" * 64),
        (RetentionRun, "started_at", later),
        (RetentionRun, "policy", {"image_days": 1}),
        (RetentionRun, "finished_at", later),
    ]


@pytest.mark.parametrize(
    ("table", "column", "value"),
    _column_edits(),
    ids=[f"{t.__tablename__}.{c}" for t, c, _ in _column_edits()],
)
def test_an_edit_of_any_covered_column_fails(
    world: World, table: type[Any], column: str, value: Any
) -> None:
    receipts = _purges(world, None)
    young = world.read("oak-cam0", days_ago(1))
    with world.factory.begin() as s:
        first = s.get_one(RetentionReceipt, receipts[0])
        spare = RetentionRun(owner="host:2", policy={})
        s.add(spare)
        s.flush()
        value = (
            {
                "young": young,
                "other_run": s.get_one(RetentionReceipt, receipts[1]).run_id,
                "spare_run": spare.id,
            }.get(value, value)
            if isinstance(value, str)
            else value
        )
        if table is RetentionPurgedRead:
            victim = s.scalars(
                select(RetentionPurgedRead.read_id).where(
                    RetentionPurgedRead.run_id == first.run_id
                )
            ).first()
            where = RetentionPurgedRead.read_id == victim
        elif table is RetentionReceipt:
            where = RetentionReceipt.id == first.id
        else:
            where = RetentionRun.id == first.run_id
        s.execute(update(table).where(where).values({column: value}))
    with world.factory() as s:
        problems = verify_receipts(s)
    assert problems, f"an edit of {table.__tablename__}.{column} passed"


def test_purges_leave_the_reads_digests_whole_and_a_moved_read_fails(
    world: World, paths: CheckpointPaths
) -> None:
    from store.checkpoints import publish_checkpoints
    from store.read_chain import ReadsOptions
    from store.read_digests import day_key
    from store.tables import PlateReadRow

    world.site("oak")
    world.site("elm", resident_hours=12)
    world.read("oak-cam0", days_ago(31))
    world.read("elm-cam0", days_ago(2), resident=True)
    young = world.read("oak-cam0", days_ago(5))
    publish_checkpoints(world.engine, paths, reads=ReadsOptions(settle=timedelta(0)))
    for run in range(2):
        world.read("oak-cam0", days_ago(40 + run))  # a late arrival into a long-closed day
        result = run_purge(world.engine, settings(), world.image_root, now=NOW, checkpoints=paths)
        assert result.checkpoint_error is None and result.receipt.read_count == (3, 1)[run]
        report = _audit(world, paths)
        assert report.ok, report.violations
    with world.factory.begin() as s:
        s.execute(
            update(PlateReadRow)
            .where(PlateReadRow.read_id == young)
            .values(captured_at=days_ago(1))  # its images would outlive their 30 days
        )
    report = _audit(world, paths)
    assert {(v.kind, v.subject) for v in report.violations} == {
        ("reads", day_key(days_ago(5).date())),
        ("reads", day_key(days_ago(1).date())),
    }
