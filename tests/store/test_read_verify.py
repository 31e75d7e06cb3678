"""The live reads and sites against the digests the receipt checkpoints signed, on both
databases with a real key: every covered column edited, reads moved, deleted, inserted or
back-dated, a site's or a camera's retention changed, all fail naming the group; arrivals and
purges pass."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from retention.purge import run_purge
from store.base import utcnow
from store.checkpoints import ACCEPT_ACTION, publish_checkpoints, read_sink
from store.read_chain import ReadsOptions, decode
from store.read_digests import day_key, site_groups, site_key, stamp
from store.read_verify import ReadsProblem, verify_reads
from store.settings import CheckpointPaths
from store.tables import AuditEvent, Camera, PlateReadRow, Site
from tests.retention.world import NOW, World, days_ago, settings

CLOSED = days_ago(10)  # a capture day long over
CLOSED_DAY = day_key(CLOSED.date())


@pytest.fixture
def world(engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path) -> World:
    root = tmp_path / "images"
    root.mkdir()
    return World(engine, session_factory, root)


@pytest.fixture
def paths(tmp_path: Path) -> CheckpointPaths:
    return CheckpointPaths(key=tmp_path / "keys" / "cp.pem", sink=tmp_path / "sink.jsonl")


def _sign(world: World, paths: CheckpointPaths, *accept: str) -> None:
    """A checkpoint that covers every row that has arrived (no settling time)."""
    options = ReadsOptions(settle=timedelta(0), accept=frozenset(accept), actor="tester")
    publish_checkpoints(world.engine, paths, reads=options)


def _problems(world: World, paths: CheckpointPaths) -> list[ReadsProblem]:
    with world.factory() as s:
        return verify_reads(s, paths)


def _groups(world: World, paths: CheckpointPaths) -> list[str]:
    return [p.group for p in _problems(world, paths)]


def _signed_world(world: World, paths: CheckpointPaths) -> str:
    """Two sites, reads on a closed day and today, signed; returns the closed day's victim."""
    world.site("oak")
    world.site("elm", image_days=60)
    victim = world.read("oak-cam0", CLOSED)
    world.read("oak-cam0", CLOSED + timedelta(minutes=5))
    world.read("elm-cam0", days_ago(3))
    _sign(world, paths)
    assert _problems(world, paths) == []
    return victim


def _edit(world: World, read_id: str, **values: Any) -> None:
    with world.factory.begin() as s:
        s.execute(update(PlateReadRow).where(PlateReadRow.read_id == read_id).values(values))


def _column_edits() -> list[tuple[str, Any]]:
    return [
        ("captured_at", CLOSED + timedelta(hours=1)),
        ("received_at", days_ago(30, utcnow())),
        ("camera_id", "elm-cam0"),
        ("site_id", "elm"),
        ("resident", True),
        ("has_hit", True),
        ("crop_path", "elsewhere/x_crop.jpg"),
        ("frame_path", None),
        ("images_purged_at", NOW),
    ]


def test_an_edit_of_any_covered_column_names_its_day(world: World, paths: CheckpointPaths) -> None:
    victim = _signed_world(world, paths)
    row = world.row(victim)
    with world.factory() as s:
        elm = s.scalar(select(Site.id).where(Site.name == "elm"))
    for column, value in _column_edits():
        _edit(world, victim, **{column: elm if value == "elm" else value})
        problems = _problems(world, paths)
        assert [p.group for p in problems] == [CLOSED_DAY], f"an edit of {column} passed"
        assert f"reads captured {CLOSED.date().isoformat()} (UTC)" in problems[0].problem
        assert "restore them from a backup" in problems[0].problem
        assert f"--accept {CLOSED_DAY}" in problems[0].problem
        _edit(world, victim, **{column: getattr(row, column)})  # restored, it verifies again
        assert _problems(world, paths) == [], column


def test_clearing_the_purge_mark_of_a_purged_read_fails(
    world: World, paths: CheckpointPaths
) -> None:
    world.site("oak")
    old = world.read("oak-cam0", days_ago(40))
    run_purge(world.engine, settings(), world.image_root, now=NOW)
    _sign(world, paths)
    assert world.row(old).images_purged_at is not None
    _edit(world, old, images_purged_at=None)
    assert _groups(world, paths) == [day_key(days_ago(40).date())]


def test_a_read_moved_to_another_day_names_both(world: World, paths: CheckpointPaths) -> None:
    victim = _signed_world(world, paths)
    later = days_ago(1)
    _edit(world, victim, captured_at=later)  # kept past its 30 days, were it not seen
    problems = {p.group: p.problem for p in _problems(world, paths)}
    assert set(problems) == {CLOSED_DAY, day_key(later.date())}
    assert "1 were deleted, moved away" in problems[CLOSED_DAY]
    assert "claim to have arrived before checkpoint" in problems[day_key(later.date())]


def test_a_deleted_read_fails(world: World, paths: CheckpointPaths) -> None:
    victim = _signed_world(world, paths)
    with world.factory.begin() as s:
        s.execute(delete(PlateReadRow).where(PlateReadRow.read_id == victim))
    [problem] = _problems(world, paths)
    assert problem.group == CLOSED_DAY
    assert "2 reads had arrived by checkpoint 1" in problem.problem
    assert "1 now: 1 were deleted" in problem.problem


def test_a_read_inserted_with_a_back_dated_arrival_fails(
    world: World, paths: CheckpointPaths
) -> None:
    _signed_world(world, paths)
    intruder = world.read("oak-cam0", CLOSED + timedelta(hours=2))
    _edit(world, intruder, received_at=days_ago(9, utcnow()))
    [problem] = _problems(world, paths)
    assert problem.group == CLOSED_DAY
    assert "1 were inserted or moved in" in problem.problem
    empty_day = days_ago(20)
    world.read("oak-cam0", empty_day)  # arriving now: a late read, no violation
    _edit(world, world.read("oak-cam0", empty_day), received_at=days_ago(19, utcnow()))
    assert _groups(world, paths) == [day_key(empty_day.date()), CLOSED_DAY]


def test_late_and_new_arrivals_pass_and_are_covered_next(
    world: World, paths: CheckpointPaths
) -> None:
    _signed_world(world, paths)
    late = world.read("oak-cam0", CLOSED + timedelta(hours=3))  # an edge that was offline
    today = world.read("oak-cam0", NOW)
    assert _problems(world, paths) == []
    _sign(world, paths)
    assert _problems(world, paths) == []
    [line] = [ln.checkpoint for ln in read_sink(paths.sink)][-1:]
    assert line is not None and line.reads is not None
    signed = dict(decode(line.reads).groups)
    assert set(signed) == {CLOSED_DAY, day_key(NOW.date())}  # only what changed is re-signed
    _edit(world, late, resident=True)
    _edit(world, today, has_hit=True)
    assert _groups(world, paths) == [CLOSED_DAY, day_key(NOW.date())]


def test_a_site_retention_change_or_camera_move_names_the_site(
    world: World, paths: CheckpointPaths
) -> None:
    _signed_world(world, paths)
    with world.factory() as s:
        oak, elm = (s.scalar(select(Site.id).where(Site.name == n)) for n in ("oak", "elm"))
    assert oak is not None and elm is not None
    world.site("ash", image_days=7)  # a new site is no violation
    assert _problems(world, paths) == []
    with world.factory.begin() as s:
        s.execute(update(Site).where(Site.id == elm).values(image_retention_days=365))
    [problem] = _problems(world, paths)
    assert problem.group == site_key(elm)
    assert f"site {elm}'s retention settings and cameras" in problem.problem
    assert "one of them was edited (image retention days" in problem.problem
    with world.factory.begin() as s:
        s.execute(update(Site).where(Site.id == elm).values(image_retention_days=60))
        s.execute(update(Camera).where(Camera.id == "oak-cam0").values(site_id=elm))
    assert _groups(world, paths) == [site_key(oak), site_key(elm)]


def test_the_writer_never_re_signs_a_change_until_it_is_accepted(
    world: World, paths: CheckpointPaths
) -> None:
    victim = _signed_world(world, paths)
    _edit(world, victim, captured_at=CLOSED + timedelta(hours=4))
    world.read("oak-cam0", CLOSED + timedelta(hours=5))  # an arrival makes the writer look
    _sign(world, paths)
    assert _groups(world, paths) == [CLOSED_DAY]
    _sign(world, paths, CLOSED_DAY)
    assert _problems(world, paths) == []
    with world.factory() as s:
        accepted = s.scalars(select(AuditEvent).where(AuditEvent.action == ACCEPT_ACTION)).one()
    assert (accepted.actor, accepted.detail) == ("tester", {"groups": [CLOSED_DAY]})


def test_reads_no_checkpoint_covers_are_reported(world: World, paths: CheckpointPaths) -> None:
    world.site("oak")
    world.read("oak-cam0", CLOSED)
    publish_checkpoints(world.engine, paths, ("audit",))
    [problem] = _problems(world, paths)
    assert problem.group == "reads"
    assert "no signed checkpoint" in problem.problem and "audit checkpoint" in problem.problem
    _sign(world, paths)
    assert _problems(world, paths) == []


def test_a_checkpoint_cut_from_the_middle_of_the_sink_breaks_the_root(
    world: World, paths: CheckpointPaths
) -> None:
    _signed_world(world, paths)
    world.read("oak-cam0", NOW)
    _sign(world, paths)
    _sign(world, paths)
    lines = paths.sink.read_text().splitlines(keepends=True)
    receipts = [i for i, line in enumerate(lines) if '"chain":"receipts"' in line]
    del lines[receipts[1]]
    paths.sink.write_text("".join(lines))
    problems = _problems(world, paths)
    assert problems[0].group == "checkpoints"
    assert "receipts checkpoint 3: its reads root does not match" in problems[0].problem


def test_a_camera_retention_edited_after_a_checkpoint_names_its_site(
    world: World, paths: CheckpointPaths
) -> None:
    _signed_world(world, paths)
    with world.factory() as s:
        oak = s.scalar(select(Site.id).where(Site.name == "oak"))
    assert oak is not None
    with world.factory.begin() as s:
        s.execute(update(Camera).where(Camera.id == "oak-cam0").values(image_retention_days=3))
    [problem] = _problems(world, paths)
    assert problem.group == site_key(oak)
    assert "one of them was edited (" in problem.problem
    assert "a camera's site or image retention days" in problem.problem
    _sign(world, paths, site_key(oak))  # the change accepted (audited) and signed
    assert _problems(world, paths) == []
    with world.factory.begin() as s:  # and taken away again, behind the checkpoint's back
        s.execute(update(Camera).where(Camera.id == "oak-cam0").values(image_retention_days=None))
    assert _groups(world, paths) == [site_key(oak)]


def test_a_site_without_camera_periods_hashes_as_it_did_before_them(world: World) -> None:
    """Checkpoints signed before cameras had a period of their own keep verifying."""
    oak = world.site("oak", image_days=14, cameras=2)
    with world.factory() as s:
        site = s.get_one(Site, oak)
        cameras = s.scalars(select(Camera).order_by(Camera.id)).all()
        rows = [["site", oak, 14, None, stamp(site.created_at)]] + [
            ["camera", c.id, oak, stamp(c.created_at)] for c in cameras
        ]
        [group] = site_groups(s, [oak])
    texts = sorted(json.dumps(r, separators=(",", ":")).encode() for r in rows)
    before = hashlib.sha256(b"\n".join(texts) + b"\n").hexdigest()
    assert group.tally(utcnow()).digest == before
    assert group.tally(utcnow()).count == 3
