"""Legal holds on both databases: admin holds, confirmed cases, release, audit log, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from retention.audit import AuditReport, audit_retention
from retention.holds import HoldError, is_held, list_holds, place_hold, release_hold
from retention.plan import plan_purge
from retention.purge import run_purge
from store.audit import verify_audit_chain
from store.tables import AuditEvent, RetentionHold
from tests.retention.world import NOW, World, days_ago, settings


def _hold(world: World, read_id: str, until_days: float, **kw: str) -> int:
    with world.factory.begin() as s:
        view = place_hold(
            s,
            read_id=read_id,
            actor="admin-ann",
            reason="FOIA request 12",
            until=NOW + timedelta(days=until_days),
            now=NOW,
            **kw,
        )
        return view.id


def test_admin_hold_keeps_images_until_its_end_then_they_go(world: World) -> None:
    world.site("oak")
    held = world.read("oak-cam0", days_ago(31))
    free = world.read("oak-cam0", days_ago(31))
    hold_id = _hold(world, held, 10, case_number="2025-0042")

    run_purge(world.engine, settings(), world.image_root, now=NOW)
    assert len(world.files_of(held)) == 2 and world.row(held).plate == "ABC123"
    assert world.files_of(free) == []
    with world.factory() as s:
        assert is_held(s, held, now=NOW)
        assert plan_purge(s, settings(), now=NOW).held == 1
        # Held images past policy are not a violation.
        assert audit_retention(s, settings(), world.image_root, now=NOW).ok
        [view] = list_holds(s, now=NOW)
    assert (view.id, view.read_id, view.case_number, view.active) == (
        hold_id,
        held,
        "2025-0042",
        True,
    )

    later = NOW + timedelta(days=10)
    with world.factory() as s:
        assert not is_held(s, held, now=later)
        assert list_holds(s, now=later) == []
        assert [h.active for h in list_holds(s, include_ended=True, now=later)] == [False]
    run_purge(world.engine, settings(), world.image_root, now=later)
    assert world.files_of(held) == []


def test_release_ends_the_hold_and_both_are_audited(world: World) -> None:
    world.site("oak")
    read_id = world.read("oak-cam0", days_ago(31))
    hold_id = _hold(world, read_id, 30)
    with world.factory.begin() as s:
        view = release_hold(s, hold_id, actor="admin-bob", reason="request withdrawn", now=NOW)
    assert (view.active, view.released_by, view.release_reason) == (
        False,
        "admin-bob",
        "request withdrawn",
    )
    with world.factory() as s:
        events = s.execute(
            select(
                AuditEvent.actor, AuditEvent.action, AuditEvent.subject, AuditEvent.purpose
            ).order_by(AuditEvent.id)
        ).all()
        assert verify_audit_chain(s) == []
    assert [tuple(e) for e in events] == [
        ("admin-ann", "retention.hold.place", f"read:{read_id}", "FOIA request 12"),
        ("admin-bob", "retention.hold.release", f"read:{read_id}", "request withdrawn"),
    ]
    run_purge(world.engine, settings(), world.image_root, now=NOW)
    assert world.files_of(read_id) == []


def test_confirmed_alert_with_a_case_number_holds_its_read_and_sightings(world: World) -> None:
    world.site("oak")
    hit = world.read("oak-cam0", days_ago(40), has_hit=True)
    sighting = world.read("oak-cam0", days_ago(39), has_hit=True)
    no_case = world.read("oak-cam0", days_ago(40), has_hit=True)
    dismissed = world.read("oak-cam0", days_ago(40), has_hit=True)
    world.alert(hit, sightings=(sighting,))
    world.alert(no_case, case_number=None)
    world.alert(dismissed, status="dismissed", case_number="C-9")

    run_purge(world.engine, settings(), world.image_root, now=NOW)

    assert len(world.files_of(hit)) == 2 and len(world.files_of(sighting)) == 2
    assert world.files_of(no_case) == [] and world.files_of(dismissed) == []


@pytest.mark.parametrize(
    ("until_days", "reason", "message"),
    [
        (-1, "FOIA", "is not in the future"),
        (5, "   ", "needs a reason"),
    ],
)
def test_bad_holds_are_refused_and_nothing_is_written(
    world: World, until_days: float, reason: str, message: str
) -> None:
    world.site("oak")
    read_id = world.read("oak-cam0", days_ago(3))
    with pytest.raises(HoldError, match=message), world.factory.begin() as s:
        place_hold(
            s,
            read_id=read_id,
            actor="a",
            reason=reason,
            until=NOW + timedelta(days=until_days),
            now=NOW,
        )
    _assert_nothing_written(world)


def test_naive_end_unknown_read_and_purged_read_are_refused(world: World) -> None:
    world.site("oak")
    old = world.read("oak-cam0", days_ago(31))
    run_purge(world.engine, settings(), world.image_root, now=NOW)
    with world.factory() as s:
        audit_events = s.scalar(select(func.count()).select_from(AuditEvent))
    cases = [
        ({"read_id": old, "until": (NOW + timedelta(days=1)).replace(tzinfo=None)}, "time zone"),
        ({"read_id": "nope", "until": NOW + timedelta(days=1)}, "no read with id 'nope'"),
        ({"read_id": old, "until": NOW + timedelta(days=1)}, "images purged at"),
    ]
    for kwargs, message in cases:
        with pytest.raises(HoldError, match=message), world.factory.begin() as s:
            place_hold(s, actor="a", reason="r", now=NOW, **kwargs)  # type: ignore[arg-type]
    with world.factory() as s:
        assert s.scalar(select(func.count()).select_from(RetentionHold)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == audit_events


def test_releasing_twice_or_an_unknown_hold_is_refused(world: World) -> None:
    world.site("oak")
    read_id = world.read("oak-cam0", days_ago(3))
    hold_id = _hold(world, read_id, 5)
    with world.factory.begin() as s:
        release_hold(s, hold_id, actor="b", reason="done", now=NOW)
    for target, message in ((hold_id, "already released"), (999, "no hold with id 999")):
        with pytest.raises(HoldError, match=message), world.factory.begin() as s:
            release_hold(s, target, actor="c", reason="again", now=NOW)
    with world.factory() as s:
        [view] = list_holds(s, include_ended=True, now=NOW)
        assert view.released_by == "b"
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 2


def _assert_nothing_written(world: World) -> None:
    with world.factory() as s:
        assert s.scalar(select(func.count()).select_from(RetentionHold)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0


def _hold_audit(world: World) -> AuditReport:
    with world.factory() as s:
        return audit_retention(s, settings(), world.image_root, now=NOW)


_HOLD_EDITS = [
    ("read_id", "other"),
    ("reason", "nothing"),
    ("case_number", "2025-9999"),
    ("placed_by", "someone-else"),
    ("until", NOW + timedelta(days=900)),
    ("released_at", None),
    ("released_by", "someone-else"),
    ("release_reason", "whim"),
]


@pytest.mark.parametrize(("column", "value"), _HOLD_EDITS, ids=[c for c, _ in _HOLD_EDITS])
def test_an_edited_hold_is_flagged(world: World, column: str, value: object) -> None:
    world.site("oak")
    held = world.read("oak-cam0", days_ago(1))
    other = world.read("oak-cam0", days_ago(1))
    placed = _hold(world, held, 10, case_number="2025-0042")
    released = _hold(world, held, 20)
    with world.factory.begin() as s:
        release_hold(s, released, actor="admin-bob", reason="case closed", now=NOW)
    assert _hold_audit(world).ok
    target = released if column.startswith("release") else placed
    with world.factory.begin() as s:
        s.get_one(RetentionHold, target).__setattr__(column, other if value == "other" else value)
    report = _hold_audit(world)
    assert [(v.kind, v.subject) for v in report.violations] == [("hold", f"hold:{target}")]
    assert "edited" in report.violations[0].detail


def test_a_deleted_or_slipped_in_hold_is_flagged(world: World) -> None:
    world.site("oak")
    held = world.read("oak-cam0", days_ago(1))
    placed = _hold(world, held, 10)
    with world.factory.begin() as s:
        s.delete(s.get_one(RetentionHold, placed))
        s.add(RetentionHold(read_id=held, reason="quiet", placed_by="x", until=NOW + timedelta(1)))
    report = _hold_audit(world)
    details = sorted(v.detail for v in report.violations if v.kind == "hold")
    assert len(details) == 2
    assert "placed this hold but it is missing" in details[0]
    assert "no audit event placed this hold" in details[1]
