"""Following alerts by id when transactions commit out of id order (PostgreSQL)."""

from __future__ import annotations

import pytest

from console.cursor import IdCursor
from console.feed import AlertFeed
from tests.console.conftest import World, only_alert


def test_cursor_hands_out_late_ids_once() -> None:
    cursor = IdCursor(floor=10, lookback=5)
    assert cursor.take([11, 13]) == [11, 13]
    assert cursor.low == 10
    assert cursor.take([11, 12, 13]) == [12]  # 12 committed late; 11 and 13 not again
    assert cursor.take(range(11, 21)) == [14, 15, 16, 17, 18, 19, 20]
    assert cursor.low == 15
    assert cursor.take([9, 10, 16]) == []


def test_cursor_keeps_up_after_more_alerts_than_its_lookback() -> None:
    # The poll reads `window(batch)` ids ascending from `low`, as the feed's query does; a
    # limit of only `batch` once returned the (already seen) lookback window forever.
    cursor = IdCursor(lookback=200)
    table: list[int] = []
    handed_out: list[int] = []
    for arriving in range(0, 1000, 7):
        table.extend(range(arriving + 1, arriving + 8))
        page = [i for i in table if i > cursor.low][: cursor.window(batch=200)]
        handed_out += cursor.take(page)
    assert handed_out == table == list(range(1, len(table) + 1))


def test_feed_does_not_skip_an_alert_that_commits_after_a_newer_one(world: World) -> None:
    if not world.url.startswith("postgresql"):
        pytest.skip("SQLite serializes writers: ids always commit in order")
    feed = AlertFeed(world.factory, poll_s=0.1)
    feed.start_from_now()
    metro = frozenset({world.ids["metro"]})
    slow, fast = world.session(), world.session()
    try:
        early = only_alert(world.ingest(slow, "r-ooo-early", "cam-oak-1", "LATE01", minutes_ago=0))
        late = only_alert(world.ingest(fast, "r-ooo-late", "cam-oak-1", "LATE02", minutes_ago=0))
        assert early < late
        fast.commit()
        assert [r.event.alert.id for r in feed.poll(metro)] == [late]
        slow.commit()
        assert [r.event.alert.id for r in feed.poll(metro)] == [early]
        assert feed.poll(metro) == []
    finally:
        slow.close()
        fast.close()
