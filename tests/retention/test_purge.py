"""The purge on both databases with real files: what goes, what stays, receipts, batches."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select, update

from retention.audit import audit_retention
from retention.plan import plan_purge
from retention.purge import run_purge
from retention.receipts import GENESIS, list_receipts, receipt_read_ids
from store.audit import verify_audit_chain
from store.tables import AuditEvent, PlateReadRow, RetentionBatch
from tests.retention.world import NOW, World, days_ago, settings


def test_purge_deletes_images_marks_reads_and_removes_plate_text_without_hit(
    world: World,
) -> None:
    site = world.site("oak")
    miss = world.read("oak-cam0", days_ago(31))
    hit = world.read("oak-cam0", days_ago(40), has_hit=True, plate="STOLEN1")
    young = world.read("oak-cam0", days_ago(29))

    result = run_purge(world.engine, settings(), world.image_root, now=NOW)

    assert (result.files_deleted, result.files_missing, result.failed_paths) == (4, 0, ())
    for read_id in (miss, hit):
        row = world.row(read_id)
        assert row.images_purged_at is not None
        assert (row.crop_path, row.frame_path) == (None, None)
        assert world.files_of(read_id) == []
    assert (world.row(miss).plate, world.row(miss).detail) == (None, {})
    assert world.row(hit).plate == "STOLEN1"
    assert world.row(hit).detail["alternatives"]
    young_row = world.row(young)
    assert young_row.images_purged_at is None and young_row.plate == "ABC123"
    assert len(world.files_of(young)) == 2
    # Emptied day folders go; the camera folder and the young read's day stay.
    assert not (world.image_root / f"oak-cam0/{days_ago(31):%Y/%m/%d}").exists()
    assert (world.image_root / "oak-cam0").is_dir()

    receipt = result.receipt
    assert (receipt.read_count, receipt.file_count) == (2, 4)
    assert [(c.site_id, c.reads, c.files) for c in receipt.counts_by_site] == [(site, 2, 4)]
    assert (receipt.range_start, receipt.range_end) == (days_ago(40), days_ago(31))
    assert receipt.prev_hash == GENESIS
    expected = hashlib.sha256("".join(f"{r}\n" for r in sorted([miss, hit])).encode())
    assert receipt.ids_digest == expected.hexdigest()
    assert receipt.policy["default"] == {"image_days": 30, "resident_hours": 24}
    with world.factory() as s:
        assert receipt_read_ids(s, receipt.id) == sorted([miss, hit])
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge")).one()
        assert event.detail["receipt_hash"] == receipt.hash
        assert verify_audit_chain(s) == []
        assert audit_retention(s, settings(), world.image_root, now=NOW).violations == ()


def test_many_batches_one_receipt_and_the_next_run_chains(world: World) -> None:
    world.site("oak", cameras=2)
    ids = [world.read(f"oak-cam{i % 2}", days_ago(31 + i / 7)) for i in range(23)]
    kept = world.read("oak-cam0", days_ago(2))

    first = run_purge(world.engine, settings(batch_size=4), world.image_root, now=NOW)
    assert first.receipt.read_count == 23 and first.files_deleted == 46
    assert world.all_files() == [
        p.relative_to(world.image_root).as_posix() for p in world.files_of(kept)
    ]

    second = run_purge(world.engine, settings(batch_size=4), world.image_root, now=NOW)
    assert (
        second.receipt.read_count == 0
        and second.receipt.ids_digest == hashlib.sha256(b"").hexdigest()
    )
    assert second.receipt.prev_hash == first.receipt.hash
    with world.factory() as s:
        assert [r.id for r in list_receipts(s)] == [second.receipt.id, first.receipt.id]
        assert s.scalar(select(RetentionBatch.state).distinct()) == "done"
        assert len(receipt_read_ids(s, first.receipt.id)) == len(ids)


def test_plate_text_kept_when_the_policy_says_so(world: World) -> None:
    world.site("oak")
    read_id = world.read("oak-cam0", days_ago(31))
    run_purge(world.engine, settings(keep_plate_text_without_hit=True), world.image_root, now=NOW)
    row = world.row(read_id)
    assert row.images_purged_at is not None and row.plate == "ABC123"


def test_reads_without_images_still_lose_plate_text_on_time(world: World) -> None:
    world.site("oak")
    read_id = world.read("oak-cam0", days_ago(31), images=False)
    result = run_purge(world.engine, settings(), world.image_root, now=NOW)
    assert (result.receipt.read_count, result.receipt.file_count) == (1, 0)
    assert world.row(read_id).plate is None


def test_dry_run_counts_without_changing_anything(world: World) -> None:
    world.site("oak")
    due = [world.read("oak-cam0", days_ago(31 + i)) for i in range(3)]
    world.read("oak-cam0", days_ago(3))
    before = world.all_files()
    with world.factory() as s:
        plan = plan_purge(s, settings(), now=NOW)
    assert (plan.reads, plan.files, plan.held) == (3, 6, 0)
    assert (plan.range_start, plan.range_end) == (days_ago(33), days_ago(31))
    assert world.all_files() == before
    assert all(world.row(r).images_purged_at is None for r in due)


def test_a_file_already_gone_is_counted_missing_not_failed(world: World) -> None:
    world.site("oak")
    read_id = world.read("oak-cam0", days_ago(31))
    world.files_of(read_id)[0].unlink()
    result = run_purge(world.engine, settings(), world.image_root, now=NOW)
    assert (result.files_deleted, result.files_missing, result.failed_paths) == (1, 1, ())


def test_a_path_escaping_the_image_root_is_refused_and_left_for_the_audit(world: World) -> None:
    world.site("oak")
    read_id = world.read("oak-cam0", days_ago(31))
    outside = world.image_root.parent / "precious.txt"
    outside.write_text("keep me")
    with world.factory.begin() as s:
        s.execute(
            update(PlateReadRow)
            .where(PlateReadRow.read_id == read_id)
            .values(crop_path="../precious.txt")
        )

    result = run_purge(world.engine, settings(), world.image_root, now=NOW)

    assert outside.read_text() == "keep me"
    assert result.failed_paths == ("../precious.txt",)
    assert "could not be deleted" in result.receipt.note
    with world.factory() as s:
        report = audit_retention(s, settings(), world.image_root, now=NOW)
    # The crop the row pointed at before the edit is now a stray on disk too.
    crop = f"oak-cam0/{days_ago(31):%Y/%m/%d}/{read_id}_crop.jpg"
    assert sorted((v.kind, v.subject) for v in report.violations) == [
        ("file_after_purge", crop),
        ("pending_deletion", f"run:{result.receipt.run_id}/batch:1"),
    ]
    assert "1 reads marked purged but the batch is failed" in report.violations[-1].detail


def test_audit_grace_tolerates_reads_that_fell_due_since_the_last_purge(world: World) -> None:
    world.site("oak")
    world.read("oak-cam0", NOW - timedelta(days=30, minutes=30))
    with world.factory() as s:
        assert audit_retention(s, settings(audit_grace_minutes=60), world.image_root, now=NOW).ok
        late = audit_retention(s, settings(audit_grace_minutes=10), world.image_root, now=NOW)
    assert [v.kind for v in late.violations] == ["overdue"]
