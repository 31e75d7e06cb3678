"""The audit on both databases: strays and gaps on disk, overdue reads, tampered receipts."""

from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import delete, select, update

from retention.audit import AuditReport, audit_retention
from retention.purge import run_purge
from store.tables import (
    PlateReadRow,
    RetentionBatch,
    RetentionPurgedRead,
    RetentionReceipt,
    RetentionRun,
)
from tests.retention.world import NOW, World, days_ago, settings


def _audit(world: World, **overrides: object) -> AuditReport:
    with world.factory() as s:
        return audit_retention(s, settings(**overrides), world.image_root, now=NOW)


def _kinds(report: AuditReport) -> list[tuple[str, str]]:
    return sorted((v.kind, v.subject) for v in report.violations)


def _purged_world(world: World, runs: int = 3) -> list[int]:
    world.site("oak")
    receipts = []
    for i in range(runs):
        world.read("oak-cam0", days_ago(31 + i))
        world.read("oak-cam0", days_ago(35 + i))
        receipts.append(run_purge(world.engine, settings(), world.image_root, now=NOW).receipt.id)
    return receipts


def test_a_clean_store_passes(world: World) -> None:
    _purged_world(world)
    world.read("oak-cam0", days_ago(1))
    report = _audit(world)
    assert report.ok, report.violations
    assert (report.reads_checked, report.files_checked, report.receipts_checked) == (7, 2, 3)


def test_orphan_and_foreign_files_are_flagged_but_fresh_uploads_get_grace(world: World) -> None:
    world.site("oak")
    world.read("oak-cam0", days_ago(1))
    day = world.image_root / f"oak-cam0/{days_ago(1):%Y/%m/%d}"
    old_orphan = day / "ghost_crop.jpg"
    old_orphan.write_bytes(b"x")
    old = (NOW - timedelta(hours=5)).timestamp()
    os.utime(old_orphan, (old, old))
    (day / "notes.txt").write_text("?")
    (day / "incoming_frame.jpg").write_bytes(b"x")  # written just now, read not stored yet
    (day / ".tmp-k3j2.jpg").write_bytes(b"x")  # being written by the edge
    stale_temp = day / ".tmp-9f8e.jpg"  # the edge died while writing this, hours ago
    stale_temp.write_bytes(b"x")
    os.utime(stale_temp, (old, old))

    report = _audit(world, audit_grace_minutes=60)

    folder = f"oak-cam0/{days_ago(1):%Y/%m/%d}"
    assert _kinds(report) == [
        ("orphan_file", f"{folder}/ghost_crop.jpg"),
        ("stale_temp_file", f"{folder}/.tmp-9f8e.jpg"),
        ("unexpected_file", f"{folder}/notes.txt"),
    ]
    orphan = next(v for v in report.violations if v.kind == "orphan_file")
    assert "no read ghost in the database" in orphan.detail


def test_a_read_pointing_at_a_missing_file_is_flagged(world: World) -> None:
    world.site("oak")
    read_id = world.read("oak-cam0", days_ago(1))
    frame = world.files_of(read_id)[1]
    frame.unlink()
    report = _audit(world)
    assert _kinds(report) == [("missing_file", f"read:{read_id}")]
    assert frame.relative_to(world.image_root).as_posix() in report.violations[0].detail


def test_a_file_left_after_its_read_was_purged_is_flagged(world: World) -> None:
    world.site("oak")
    read_id = world.read("oak-cam0", days_ago(31))
    run_purge(world.engine, settings(), world.image_root, now=NOW)
    rel = f"oak-cam0/{days_ago(31):%Y/%m/%d}/{read_id}_frame.jpg"
    (world.image_root / rel).parent.mkdir(parents=True)
    (world.image_root / rel).write_bytes(b"x")
    assert _kinds(_audit(world)) == [("file_after_purge", rel)]


def test_an_overdue_read_is_flagged_and_a_purge_clears_it(world: World) -> None:
    world.site("oak")
    read_id = world.read("oak-cam0", days_ago(31))
    report = _audit(world)
    assert _kinds(report) == [("overdue", f"read:{read_id}")]
    assert "kept 30 days by site policy" in report.violations[0].detail
    run_purge(world.engine, settings(), world.image_root, now=NOW)
    assert _audit(world).ok


def test_an_edited_receipt_is_detected(world: World) -> None:
    receipts = _purged_world(world)
    with world.factory.begin() as s:
        s.execute(
            update(RetentionReceipt).where(RetentionReceipt.id == receipts[1]).values(read_count=1)
        )
    problems = [(v.subject, v.detail) for v in _audit(world).violations]
    assert (
        f"receipt:{receipts[1]}",
        "content does not match its hash: the receipt was edited",
    ) in problems


def test_a_rehashed_forgery_still_breaks_the_next_link(world: World) -> None:
    from retention.receipts import receipt_hash

    receipts = _purged_world(world)
    with world.factory.begin() as s:
        forged = s.get_one(RetentionReceipt, receipts[0])
        forged.file_count = 0
        forged.hash = receipt_hash(forged)
    problems = _audit(world).violations
    assert {v.subject for v in problems} == {f"receipt:{receipts[0]}", f"receipt:{receipts[1]}"}
    assert any("was removed or reordered" in v.detail for v in problems)
    assert any("audit event" in v.detail for v in problems)


def test_deleting_a_middle_or_the_last_receipt_is_detected(world: World) -> None:
    receipts = _purged_world(world)
    with world.factory.begin() as s:
        s.execute(delete(RetentionReceipt).where(RetentionReceipt.id == receipts[1]))
    details = [v.detail for v in _audit(world).violations]
    assert any("removed or reordered" in d for d in details)
    with world.factory.begin() as s:
        s.execute(delete(RetentionReceipt).where(RetentionReceipt.id == receipts[2]))
    # The tail has no successor to break; the audit log's announcement gives it away.
    last = [v for v in _audit(world).violations if v.subject == f"receipt:{receipts[2]}"]
    assert last and "receipts were deleted or rewritten" in last[0].detail


def test_an_altered_purge_journal_is_detected(world: World) -> None:
    receipts = _purged_world(world)
    with world.factory.begin() as s:
        victim = s.scalars(
            select(RetentionPurgedRead.read_id).where(RetentionPurgedRead.run_id == receipts[0])
        ).first()
        s.execute(delete(RetentionPurgedRead).where(RetentionPurgedRead.read_id == victim))
    kinds = _kinds(_audit(world))
    assert ("receipt", f"receipt:{receipts[0]}") in kinds
    assert ("unreceipted_purge", f"read:{victim}") in kinds


def test_bookkeeping_of_an_interrupted_run_is_flagged(world: World) -> None:
    world.site("oak")
    read_id = world.read("oak-cam0", days_ago(31))
    with world.factory.begin() as s:
        run = RetentionRun(owner="host:1", policy={})
        s.add(run)
        s.flush()
        s.add(RetentionBatch(run_id=run.id, number=1, state="deleting"))
        s.add(
            RetentionPurgedRead(
                read_id=read_id, run_id=run.id, batch=1, captured_at=days_ago(31), files=0
            )
        )
        s.execute(
            update(PlateReadRow)
            .where(PlateReadRow.read_id == read_id)
            .values(images_purged_at=NOW, crop_path=None, frame_path=None)
        )
    kinds = {k for k, _ in _kinds(_audit(world))}
    assert {"interrupted_run", "pending_deletion", "file_after_purge", "plate_text_kept"} <= kinds
