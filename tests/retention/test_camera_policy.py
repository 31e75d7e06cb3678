"""A camera's own image retention on both databases: it cuts its site's period short (a read is
kept for the shorter of the two), the resident policy still only shortens, and the purge, its
receipt and the retention audit agree."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as settings_
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from retention.audit import audit_retention
from retention.plan import plan_purge
from retention.policy import Terms, due_clause, load_policy
from retention.purge import run_purge
from store.tables import Camera, PlateReadRow
from tests.retention.world import NOW, World, days_ago, settings

# (image days, resident hours) per site and each site's second camera's own period (the odd
# site's is longer than the site's: possible only behind org.admin's back).
SITES = {"plain": (30, 24), "short": (7, 2), "odd": (10, 480)}
CAMERA_DAYS = {"plain-cam1": 5, "short-cam1": 3, "odd-cam1": 12}


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


@settings_(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    reads=st.lists(
        st.tuples(
            st.sampled_from(sorted(SITES)),
            st.integers(min_value=0, max_value=1),  # which camera
            st.integers(min_value=0, max_value=45 * 24 * 3600),  # age in seconds
            st.booleans(),  # resident
            st.booleans(),  # stored without a site (falls back to the camera's)
        ),
        max_size=15,
    )
)
def test_due_clause_agrees_with_min_of_camera_and_site(
    world: World, reads: list[tuple[str, int, int, bool, bool]]
) -> None:
    if not world.has_sites():
        for name, (days, hours) in SITES.items():
            world.site(name, image_days=days, resident_hours=hours, cameras=2)
        for camera_id, days in CAMERA_DAYS.items():
            _own_days(world, camera_id, days)
    with world.factory.begin() as s:
        s.execute(delete(PlateReadRow))
    expected = set()
    for site, camera, age_s, resident, no_site in reads:
        camera_id = f"{site}-cam{camera}"
        read_id = world.read(
            camera_id,
            NOW - timedelta(seconds=age_s),
            resident=resident,
            images=False,
            site_id=None if no_site else -1,
        )
        site_days, hours = SITES[site]
        days = min(site_days, CAMERA_DAYS.get(camera_id, site_days))
        keep_hours = min(hours, days * 24) if resident else days * 24
        if age_s >= keep_hours * 3600:
            expected.add(read_id)
    with world.factory() as s:
        policy = load_policy(s, settings(), NOW)
        due = set(s.scalars(select(PlateReadRow.read_id).where(due_clause(policy))))
    assert due == expected
