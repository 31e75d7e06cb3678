"""Policy edges on both databases: exactly 30 days, time zones, DST, per-site and resident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given
from hypothesis import settings as settings_
from hypothesis import strategies as st
from sqlalchemy import delete, select

from retention.plan import plan_purge
from retention.policy import Terms, due_clause, load_policy
from retention.purge import run_purge
from store.tables import PlateReadRow
from tests.retention.world import NOW, World, settings

MICRO = timedelta(microseconds=1)


def _due_ids(world: World, now: datetime, **overrides: object) -> set[str]:
    run_purge(world.engine, settings(**overrides), world.image_root, now=now)
    with world.factory() as s:
        return set(
            s.scalars(
                select(PlateReadRow.read_id).where(PlateReadRow.images_purged_at.is_not(None))
            )
        )


def test_exactly_thirty_days_is_due_and_one_microsecond_less_is_not(world: World) -> None:
    world.site("oak")
    at_limit = world.read("oak-cam0", NOW - timedelta(days=30))
    inside = world.read("oak-cam0", NOW - timedelta(days=30) + MICRO)
    assert _due_ids(world, NOW) == {at_limit}
    assert world.files_of(at_limit) == []
    assert len(world.files_of(inside)) == 2


def test_times_given_in_other_zones_are_compared_as_utc_instants(world: World) -> None:
    world.site("oak")
    tokyo = ZoneInfo("Asia/Tokyo")
    # 30 days before NOW, written as Tokyo wall time (UTC+9): the same instant.
    same_instant = (NOW - timedelta(days=30)).astimezone(tokyo)
    # Same wall-clock numbers as the UTC limit but in Tokyo: 9 hours earlier, so due too;
    # in Los Angeles the same numbers are 7 hours later than the limit, so not due.
    wall = (NOW - timedelta(days=30)).replace(tzinfo=None)
    earlier = world.read("oak-cam0", wall.replace(tzinfo=tokyo))
    later = world.read("oak-cam0", wall.replace(tzinfo=ZoneInfo("America/Los_Angeles")))
    exact = world.read("oak-cam0", same_instant)
    assert _due_ids(world, NOW) == {earlier, exact}
    assert world.row(later).images_purged_at is None


def test_dst_change_does_not_stretch_or_shrink_thirty_days(world: World) -> None:
    world.site("oak")
    new_york = ZoneInfo("America/New_York")
    # Captured at 01:30 EST on the night clocks sprang forward (2025-03-09).
    captured = datetime(2025, 3, 9, 1, 30, tzinfo=new_york)
    read_id = world.read("oak-cam0", captured)
    # Thirty local calendar days later the wall clock reads 01:30 EDT, which is one hour
    # *earlier* in UTC than 30 x 24 h: the read must not be due yet.
    local_same_time = datetime(2025, 4, 8, 1, 30, tzinfo=new_york)
    assert local_same_time - captured == timedelta(days=30)  # aware arithmetic is wall time
    assert local_same_time.astimezone(UTC) == captured.astimezone(UTC) + timedelta(
        days=30, hours=-1
    )
    assert _due_ids(world, local_same_time.astimezone(UTC)) == set()
    # Exactly 720 hours after capture in UTC it is due.
    assert _due_ids(world, captured.astimezone(UTC) + timedelta(hours=720)) == {read_id}


def test_per_site_policy_and_shorter_resident_policy(world: World) -> None:
    short = world.site("short", image_days=7)
    default = world.site("default")
    long_resident = world.site("odd", image_days=10, resident_hours=24 * 20)
    r_short_8d = world.read("short-cam0", NOW - timedelta(days=8))
    r_short_6d = world.read("short-cam0", NOW - timedelta(days=6))
    r_default_8d = world.read("default-cam0", NOW - timedelta(days=8))
    r_default_31d = world.read("default-cam0", NOW - timedelta(days=31))
    r_resident_25h = world.read("default-cam0", NOW - timedelta(hours=25), resident=True)
    r_resident_23h = world.read("default-cam0", NOW - timedelta(hours=23), resident=True)
    # A resident policy longer than the site's image policy never lengthens retention.
    r_odd_resident_11d = world.read("odd-cam0", NOW - timedelta(days=11), resident=True)
    # A read stored without a site follows its camera's site.
    r_no_site_8d = world.read("short-cam0", NOW - timedelta(days=8), site_id=None)

    with world.factory() as s:
        plan = plan_purge(s, settings(), now=NOW)
    assert plan.reads == 5
    assert {c.site_id: c.reads for c in plan.counts_by_site} == {
        short: 2,
        default: 2,
        long_resident: 1,
    }
    assert plan.policy["sites"] == {
        str(short): Terms(7, 24).as_json(),
        str(long_resident): Terms(10, 480).as_json(),
    }

    assert _due_ids(world, NOW) == {
        r_short_8d,
        r_default_31d,
        r_resident_25h,
        r_odd_resident_11d,
        r_no_site_8d,
    }
    for kept in (r_short_6d, r_default_8d, r_resident_23h):
        assert len(world.files_of(kept)) == 2


def test_settings_change_the_default_policy(world: World) -> None:
    world.site("oak")
    r_10d = world.read("oak-cam0", NOW - timedelta(days=10))
    world.read("oak-cam0", NOW - timedelta(days=8))
    resident_3h = world.read("oak-cam0", NOW - timedelta(hours=3), resident=True)
    assert _due_ids(world, NOW, image_days=9, resident_hours=2) == {r_10d, resident_3h}


@settings_(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    reads=st.lists(
        st.tuples(
            st.sampled_from(["plain", "short", "odd"]),
            st.integers(min_value=0, max_value=45 * 24 * 3600),  # age in seconds
            st.booleans(),  # resident
            st.booleans(),  # stored without a site (falls back to the camera's)
        ),
        max_size=15,
    )
)
def test_due_clause_agrees_with_the_policy_arithmetic(
    world: World, reads: list[tuple[str, int, bool, bool]]
) -> None:
    if not world.has_sites():
        world.site("plain")
        world.site("short", image_days=7, resident_hours=2)
        world.site("odd", image_days=10, resident_hours=24 * 20)
    with world.factory.begin() as s:
        s.execute(delete(PlateReadRow))
    expected = set()
    # (image days, resident hours) per site, worked out here independently of retention.policy.
    terms = {"plain": (30, 24), "short": (7, 2), "odd": (10, 480)}
    for site, age_s, resident, no_site in reads:
        captured = NOW - timedelta(seconds=age_s)
        read_id = world.read(
            f"{site}-cam0",
            captured,
            resident=resident,
            images=False,
            site_id=None if no_site else -1,
        )
        days, hours = terms[site]
        keep_hours = min(hours, days * 24) if resident else days * 24
        if age_s >= keep_hours * 3600:
            expected.add(read_id)
    with world.factory() as s:
        policy = load_policy(s, settings(), NOW)
        due = set(s.scalars(select(PlateReadRow.read_id).where(due_clause(policy))))
    assert due == expected
