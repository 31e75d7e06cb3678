"""How rows are hashed: the same time text from either database as from Python, group keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from store.read_digests import Group, Line, day_groups, parse_key, stamp
from store.tables import Camera, PlateReadRow, Site


def test_the_database_stamps_times_as_python_does(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    captured = datetime(2025, 3, 1, 23, 59, 59, 5, tzinfo=UTC)
    received = datetime(2025, 3, 2, 0, 0, 0, tzinfo=UTC)  # no microseconds: still six digits
    with session_factory.begin() as s:
        s.add(Site(id=1, name="oak"))
        s.flush()
        s.add(Camera(id="c", site_id=1, name="c"))
        s.add(
            PlateReadRow(
                read_id="r1",
                camera_id="c",
                captured_at=captured,
                received_at=received,
                plate="ABC",
                confidence=0.9,
            )
        )
    with session_factory() as s:
        [group] = day_groups(s, [captured.date()])
    [line] = group.lines
    assert line.arrived == stamp(received) == "2025-03-02 00:00:00.000000"
    assert line.text.startswith(b'["r1","2025-03-01 23:59:59.000005","2025-03-02 00:00:00.000000"')
    assert group.tally(received).count == 1
    assert group.tally(received - timedelta(microseconds=1)).count == 0


def test_a_group_hashes_its_lines_in_byte_order() -> None:
    a, b = (
        Line(b'["a"]', "2025-01-01 00:00:00.000000"),
        Line(b'["b"]', "2025-01-01 00:00:00.000000"),
    )
    cut = datetime(2025, 1, 2, tzinfo=UTC)
    assert Group("day:x", (a, b)).tally(cut) == Group("day:x", (b, a)).tally(cut)


def test_group_keys_are_checked() -> None:
    assert parse_key("day:2025-03-01") == "day:2025-03-01"
    assert parse_key("site:12") == "site:12"
    for bad in ("2025-03-01", "day:yesterday", "site:oak", "camera:c"):
        with pytest.raises(ValueError, match="give day:YYYY-MM-DD"):
            parse_key(bad)


def test_reads_options_refuse_a_bad_group() -> None:
    from store.read_chain import ReadsOptions

    with pytest.raises(ValueError, match="'day:2025-13-01' is not a group"):
        ReadsOptions(accept=frozenset({"day:2025-13-01"}))
