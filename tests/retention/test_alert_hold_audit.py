"""Alert holds against the audit log and the reads: a row edited to hold reads, or to let the
purge take a confirmed case's evidence, is named by the retention audit."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from hotlist.dispositions import set_disposition
from retention.alert_hold_audit import verify_alert_holds
from retention.audit import audit_retention
from retention.purge import run_purge
from store.tables import Alert, AlertSighting, AuditEvent
from tests.retention.world import NOW, World, days_ago, settings


def _problems(world: World) -> list[tuple[str, str]]:
    with world.factory() as s:
        return verify_alert_holds(s)


def _confirmed_with_sighting(world: World) -> tuple[int, str, str]:
    world.site("oak", cameras=3)
    hit = world.read("oak-cam0", days_ago(40), has_hit=True, plate="7ABC123")
    # A sighting one substitution away, as the matcher accepts.
    seen = world.read("oak-cam1", days_ago(39), has_hit=True, plate="7ABG123")
    return world.alert(hit, sightings=(seen,)), hit, seen


def test_a_confirmation_announced_in_the_log_passes_and_holds_through_a_purge(
    world: World,
) -> None:
    _, hit, seen = _confirmed_with_sighting(world)
    assert _problems(world) == []
    run_purge(world.engine, settings(), world.image_root, now=NOW)
    assert len(world.files_of(hit)) == 2 and len(world.files_of(seen)) == 2
    with world.factory() as s:
        report = audit_retention(s, settings(), world.image_root, now=NOW)
    assert report.violations == ()


def test_an_alert_edited_to_confirmed_with_a_case_is_named(world: World) -> None:
    world.site("oak")
    read = world.read("oak-cam0", days_ago(40), has_hit=True)
    alert = world.alert(read, status="new", case_number=None)
    with world.factory.begin() as s:
        s.execute(
            update(Alert).where(Alert.id == alert).values(status="confirmed", case_number="C-77")
        )
    assert _problems(world) == [
        (
            f"alert:{alert}",
            "confirmed with case C-77 but no audit event confirmed it: the alert was edited, "
            "and its reads are held without cause",
        )
    ]
    with world.factory() as s:
        report = audit_retention(s, settings(), world.image_root, now=NOW)
    assert [(v.kind, v.subject) for v in report.violations] == [("hold", f"alert:{alert}")]


@pytest.mark.parametrize(
    ("values", "row_says"),
    [
        ({"status": "dismissed"}, "dismissed with case C-1"),
        ({"case_number": "C-2"}, "confirmed with case C-2"),
        ({"case_number": None}, "confirmed with case (none)"),
    ],
)
def test_a_confirmed_alert_edited_away_from_its_case_is_named(
    world: World, values: dict[str, object], row_says: str
) -> None:
    alert, _, _ = _confirmed_with_sighting(world)
    with world.factory.begin() as s:
        s.execute(update(Alert).where(Alert.id == alert).values(**values))
    [(subject, problem)] = _problems(world)
    assert subject == f"alert:{alert}"
    assert "confirmed it with case C-1" in problem
    assert f"but the row says {row_says}: the alert was edited" in problem


def test_a_deleted_confirmed_alert_is_named(world: World) -> None:
    alert, _, _ = _confirmed_with_sighting(world)
    with world.factory.begin() as s:
        s.execute(delete(AlertSighting).where(AlertSighting.alert_id == alert))
        s.execute(delete(Alert).where(Alert.id == alert))
    [(subject, problem)] = _problems(world)
    assert subject == f"alert:{alert}"
    assert problem.endswith("confirmed this alert but it is missing: deleted")


def test_a_sighting_pointed_at_another_plate_is_named(world: World) -> None:
    alert, _, _ = _confirmed_with_sighting(world)
    # The read someone wants kept: another car, another camera.
    other = world.read("oak-cam2", days_ago(45), plate="XYZ9876")
    with world.factory.begin() as s:
        s.execute(
            update(AlertSighting)
            .where(AlertSighting.alert_id == alert)
            .values(read_id=other, camera_id="oak-cam2", seen_at=days_ago(45))
        )
    [(subject, problem)] = _problems(world)
    assert subject == f"alert:{alert}"
    assert f"holds read {other}, which is not a read of the alert's plate" in problem


def test_a_sighting_moved_to_another_pass_of_the_same_plate_is_named(world: World) -> None:
    alert, _, seen = _confirmed_with_sighting(world)
    with world.factory.begin() as s:
        s.execute(
            update(AlertSighting)
            .where(AlertSighting.alert_id == alert)
            .values(seen_at=days_ago(20))
        )
    [(_, problem)] = _problems(world)
    assert f"holds read {seen}, which is not a read of the alert's plate by that camera" in problem


def test_an_alert_pointed_at_another_read_is_named(world: World) -> None:
    alert, _, _ = _confirmed_with_sighting(world)
    other = world.read("oak-cam0", days_ago(50), plate="QQQ111")
    with world.factory.begin() as s:
        s.execute(update(Alert).where(Alert.id == alert).values(read_id=other))
    [(_, problem)] = _problems(world)
    assert problem == f"its read {other} is not the plate and camera the alert recorded: edited"


def test_a_wildcard_entry_holds_only_reads_its_pattern_matches(world: World) -> None:
    world.site("oak")
    hit = world.read("oak-cam0", days_ago(40), has_hit=True, plate="7ABC123")
    fits = world.read("oak-cam0", days_ago(39), has_hit=True, plate="7ABC999")
    alert = world.alert(hit, sightings=(fits,))
    with world.factory.begin() as s:
        s.execute(update(Alert).where(Alert.id == alert).values(entry_plate="7ABC*"))
    assert _problems(world) == []
    misfit = world.read("oak-cam0", days_ago(38), plate="8XYZ999")
    with world.factory.begin() as s:
        s.execute(
            update(AlertSighting)
            .where(AlertSighting.alert_id == alert)
            .values(read_id=misfit, seen_at=days_ago(38))
        )
    [(_, problem)] = _problems(world)
    assert f"holds read {misfit}, which is not a read of the alert's plate" in problem


def test_a_confirmation_by_an_officer_passes(world: World) -> None:
    world.site("oak")
    read = world.read("oak-cam0", days_ago(3), has_hit=True)
    alert = world.alert(read, status="new", case_number=None)
    with world.factory.begin() as s:
        set_disposition(s, alert, actor="officer 3", action="acknowledge", case_number="C-9")
    with world.factory.begin() as s:
        set_disposition(s, alert, actor="officer 3", action="confirm")
    assert _problems(world) == []
    with world.factory() as s:
        [event] = [e for e in s.query(AuditEvent) if e.action == "alert.confirm"]
        assert (event.subject, event.case_number) == (f"alert:{alert}", "C-9")
