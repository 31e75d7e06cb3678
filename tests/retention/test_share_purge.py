"""Residents' shared footage under the purge: kept for the image period unless a legal hold
names the case, withdrawn shares deleted at once, each file journalled as a receipt row."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from community.evidence import Upload
from community.request_settings import RequestSettings
from community.shares import ShareAnswer, share_footage, withdraw_share
from retention.purge import run_purge
from store.tables import AuditEvent, RetentionHold, ShareFile, ShareFilePurge
from tests.community.residents import SeededResident, open_request
from tests.retention.world import NOW, World, days_ago, settings

CLIP = Path(__file__).resolve().parents[3] / "shared" / "data" / "samples" / "car.jpg"


def _share(world: World, request_id: int, resident: SeededResident) -> int:
    with world.factory.begin() as s:
        share = share_footage(
            s, request_id, user_id=resident.user_id, actor=resident.username,
            answer=ShareAnswer(resident.camera_id, "", False, False),
            uploads=[Upload("porch.jpg", CLIP.read_bytes())], image_root=world.image_root,
            settings=RequestSettings(),
        )  # fmt: skip
        return share.id


def test_shared_files_are_purged_with_receipt_rows_unless_the_case_is_held(
    engine: Engine, world: World
) -> None:
    world.site("Oak")
    held_read = world.read("Oak-cam0", days_ago(1))
    with world.factory.begin() as s:
        req = open_request(s)
        s.add(
            RetentionHold(
                read_id=held_read, reason="burglary case", case_number=req.case_number,
                placed_by="admin", placed_at=days_ago(2), until=NOW + timedelta(days=60),
            )
        )  # fmt: skip
    kept = _share(world, req.request_id, req.ana)
    withdrawn = _share(world, req.request_id, req.ben)
    with world.factory.begin() as s:
        withdraw_share(s, withdrawn, user_id=req.ben.user_id, actor="ben")
        for row in s.scalars(select(ShareFile)):
            row.created_at = days_ago(31)  # past the 30-day image period at NOW
    paths = {sid: _path(world, sid) for sid in (kept, withdrawn)}

    first = run_purge(engine, settings(), world.image_root, now=NOW)
    assert (world.image_root / paths[kept]).is_file()  # held: a legal hold names the case
    assert not (world.image_root / paths[withdrawn]).exists()

    with world.factory.begin() as s:
        s.scalars(select(RetentionHold)).one().released_at = NOW
    second = run_purge(engine, settings(), world.image_root, now=NOW)
    assert not (world.image_root / paths[kept]).exists()
    with world.factory() as s:
        journal = s.execute(
            select(ShareFilePurge.run_id, ShareFilePurge.path, ShareFilePurge.case_number).order_by(
                ShareFilePurge.run_id
            )
        ).all()
        runs = [r.receipt.run_id for r in (first, second)]
        assert journal == [
            (runs[0], paths[withdrawn], req.case_number),
            (runs[1], paths[kept], req.case_number),
        ]
        assert all(f.purged_at == NOW for f in s.scalars(select(ShareFile)))
        purges = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "share_file.purge"))
        assert list(purges) == [{"files": 1}, {"files": 1}]


def _path(world: World, share_id: int) -> str:
    with world.factory() as s:
        return s.scalars(select(ShareFile.path).where(ShareFile.share_id == share_id)).one()
