"""A camera's own image retention on both databases: it cuts its site's period short (a read is
kept for the shorter of the two), the resident policy still only shortens, and the purge, its
receipt and the retention audit agree."""

from __future__ import annotations

from sqlalchemy import update

from retention.audit import audit_retention
from retention.plan import plan_purge
from retention.policy import Terms, load_policy
from retention.purge import run_purge
from store.tables import Camera
from tests.retention.world import NOW, World, days_ago, settings


def _own_days(world: World, camera_id: str, days: int | None) -> None:
    # Straight to the table: org.admin refuses a camera period longer than its site's, and
    # one test needs that case to show the policy takes the shorter anyway.
    with world.factory.begin() as s:
        s.execute(update(Camera).where(Camera.id == camera_id).values(image_retention_days=days))


def test_a_camera_period_shorter_than_its_site_decides_its_reads(world: World) -> None:
    oak = world.site("oak", cameras=2)  # the default: 30 days
    elm = world.site("elm", image_days=10)
    _own_days(world, "oak-cam0", 7)
    _own_days(world, "elm-cam0", 3)
    gone = [
        world.read("oak-cam0", days_ago(7)),  # exactly the camera's period
        world.read("oak-cam0", days_ago(8), site_id=None),  # siteless: still its camera's
        world.read("elm-cam0", days_ago(4)),
        world.read("oak-cam1", days_ago(31)),  # the site's period, for the camera without one
    ]
    kept = [
        world.read("oak-cam0", days_ago(6.9)),
        world.read("oak-cam1", days_ago(8)),  # its sibling camera's period is not its own
        world.read("elm-cam0", days_ago(2)),
        world.read("elm-cam0", days_ago(0.5), resident=True),  # resident 24 h still applies
    ]
    resident_gone = world.read("oak-cam0", days_ago(1.5), resident=True)

    with world.factory() as s:
        plan = plan_purge(s, settings(), now=NOW)
        policy = load_policy(s, settings(), NOW)
    assert plan.reads == 5
    assert plan.policy["cameras"] == {"elm-cam0": 3, "oak-cam0": 7}
    assert policy.terms_for(oak, "oak-cam0") == Terms(7, 24)
    assert policy.terms_for(oak, "oak-cam1") == Terms(30, 24)
    assert policy.terms_for(elm, "elm-cam0") == Terms(3, 24)

    result = run_purge(world.engine, settings(), world.image_root, now=NOW)
    assert result.receipt.read_count == 5
    for read_id in [*gone, resident_gone]:
        assert world.row(read_id).images_purged_at is not None
        assert world.files_of(read_id) == []
    for read_id in kept:
        assert world.row(read_id).images_purged_at is None
        assert len(world.files_of(read_id)) == 2
    with world.factory() as s:
        assert audit_retention(s, settings(), world.image_root, now=NOW).violations == ()


def test_a_camera_period_longer_than_its_site_never_lengthens_it(world: World) -> None:
    world.site("ash", image_days=7)
    _own_days(world, "ash-cam0", 20)  # as if the site was shortened after the camera was set
    due = world.read("ash-cam0", days_ago(8))
    young = world.read("ash-cam0", days_ago(6))
    run_purge(world.engine, settings(), world.image_root, now=NOW)
    assert world.row(due).images_purged_at is not None
    assert world.row(young).images_purged_at is None


def test_the_retention_audit_flags_a_read_kept_past_its_camera_period(world: World) -> None:
    world.site("oak")
    late = world.read("oak-cam0", days_ago(10))
    run_purge(world.engine, settings(), world.image_root, now=NOW)
    assert world.row(late).images_purged_at is None  # inside the site's 30 days
    _own_days(world, "oak-cam0", 5)  # the camera is shortened; the purge has not run since
    with world.factory() as s:
        [violation] = audit_retention(s, settings(), world.image_root, now=NOW).violations
    assert violation.subject == f"read:{late}"
    assert "kept 5 days by camera policy" in violation.detail


def test_without_camera_periods_the_recorded_policy_is_as_before(world: World) -> None:
    world.site("oak")
    with world.factory() as s:
        assert "cameras" not in plan_purge(s, settings(), now=NOW).policy
