"""Importing lists on both databases: all or nothing, versions bumped, replace in one swap."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from hotlist.errors import ImportRejectedError
from hotlist.lists import (
    add_entry,
    create_hotlist,
    export_hotlist,
    get_hotlist,
    hotlist_summaries,
    import_hotlist,
    remove_entries,
)
from hotlist.table_reader import RowError
from store.errors import AlreadyExistsError, NotFoundError
from store.tables import Hotlist, HotlistEntry

FEED = "plate,state,reason,make\nABC1234,CA,stolen,Honda\n7XYZ123,CA,stolen_plate,\nAB?12,,,\n"


def _plates(session: Session, name: str) -> list[str]:
    hotlist = get_hotlist(session, name)
    return sorted(
        session.scalars(select(HotlistEntry.plate).where(HotlistEntry.hotlist_id == hotlist.id))
    )


def test_import_creates_the_list_and_bumps_its_version(session: Session) -> None:
    report = import_hotlist(session, FEED, list_name="NCIC", list_source="ncic")
    session.commit()
    assert (report.created, report.imported, report.rows) == (True, 3, 3)
    hotlist = get_hotlist(session, "NCIC")
    assert hotlist.source == "ncic" and hotlist.version == 2 and hotlist.refreshed_at
    assert _plates(session, "NCIC") == ["7XYZ123", "AB?12", "ABC1234"]
    entry = session.scalar(select(HotlistEntry).where(HotlistEntry.plate == "ABC1234"))
    assert entry is not None and (entry.reason, entry.make) == ("stolen_vehicle", "Honda")


def test_a_bad_row_rejects_the_file_and_writes_nothing(session: Session) -> None:
    import_hotlist(session, FEED, list_name="NCIC")
    session.commit()
    before = get_hotlist(session, "NCIC").version
    bad = "plate,state\nNEW1111,CA\n,CA\nNEW2222,QQ\n"
    with pytest.raises(
        ImportRejectedError, match="2 of 3 rows are invalid; nothing was imported"
    ) as caught:
        import_hotlist(session, bad, list_name="NCIC", replace=True)
    session.rollback()
    errors = [e for e in caught.value.errors if isinstance(e, RowError)]
    assert [(e.line, e.field) for e in errors] == [(3, "plate"), (4, "state")]
    assert _plates(session, "NCIC") == ["7XYZ123", "AB?12", "ABC1234"]
    assert get_hotlist(session, "NCIC").version == before


def test_skip_invalid_imports_the_rest_and_counts_the_skipped(session: Session) -> None:
    report = import_hotlist(
        session, "plate,state\nNEW1111,CA\n,CA\n", list_name="L", skip_invalid=True
    )
    assert (report.imported, report.skipped_invalid) == (1, 1)
    assert _plates(session, "L") == ["NEW1111"]


def test_replace_swaps_the_contents_in_one_transaction(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    import_hotlist(session, FEED, list_name="NCIC")
    session.commit()
    kept_id = session.scalar(select(HotlistEntry.id).where(HotlistEntry.plate == "ABC1234"))
    feed = (
        "plate,state,reason,make\nABC1234,CA,stolen,Honda\n7XYZ123,CA,stolen_plate,\nNEW1111,CA,,\n"
    )
    report = import_hotlist(session, feed, list_name="NCIC", replace=True)
    assert (report.removed, report.imported, report.unchanged) == (1, 1, 2)
    # Unchanged entries keep their ids, so alerts keep pointing at them.
    assert session.scalar(select(HotlistEntry.id).where(HotlistEntry.plate == "ABC1234")) == kept_id
    # Before the commit, another connection still sees the whole old list.
    with session_factory() as reader:
        assert _plates(reader, "NCIC") == ["7XYZ123", "AB?12", "ABC1234"]
    session.commit()
    with session_factory() as reader:
        assert _plates(reader, "NCIC") == ["7XYZ123", "ABC1234", "NEW1111"]
    report = import_hotlist(session, "plate\nZZZ9999\n", list_name="NCIC", replace=True)
    session.commit()
    assert (report.removed, report.imported, report.unchanged) == (3, 1, 0)
    assert _plates(session, "NCIC") == ["ZZZ9999"]


def test_append_skips_entries_already_listed(session: Session) -> None:
    import_hotlist(session, FEED, list_name="NCIC")
    report = import_hotlist(session, FEED + "NEW1111,CA,,\n", list_name="NCIC")
    assert (report.imported, report.unchanged) == (1, 3)


def test_add_remove_and_export_round_trip(session: Session) -> None:
    create_hotlist(session, "custom", priority=2)
    with pytest.raises(AlreadyExistsError):
        create_hotlist(session, "custom")
    entry = add_entry(session, "custom", plate="abc 123", state="ny", make="Ford")
    assert (entry.plate, entry.state, entry.make) == ("ABC123", "NY", "Ford")
    with pytest.raises(ValueError, match="state: unknown state code 'ZZ'"):
        add_entry(session, "custom", plate="X12345", state="ZZ")
    version = get_hotlist(session, "custom").version
    out = io.StringIO()
    assert export_hotlist(session, "custom", out) == 1
    assert out.getvalue().splitlines()[1].startswith("ABC123,NY,stolen_vehicle,Ford")
    assert remove_entries(session, "custom", "ABC123") == 1
    session.expire_all()
    assert get_hotlist(session, "custom").version == version + 1
    assert hotlist_summaries(session)[0].entries == 0
    with pytest.raises(NotFoundError, match="no hotlist 'nope'"):
        get_hotlist(session, "nope")


def test_bulk_import_of_many_rows(session: Session) -> None:
    rows = "".join(f"P{i:06d},CA,,\n" for i in range(20_000))
    report = import_hotlist(session, "plate,state,reason,make\n" + rows, list_name="big")
    session.commit()
    assert report.imported == 20_000
    count = session.scalar(select(func.count()).select_from(HotlistEntry))
    assert count == 20_000
    assert session.scalar(select(Hotlist.version).where(Hotlist.name == "big")) == 2


def test_replace_with_the_same_feed_changes_nothing(session: Session) -> None:
    feed = (
        "plate,state,entered_at,expires_at\nABC1234,CA,2024-05-01,2030-01-01T10:30:00Z\n"
        "XYZ9876,,2024-05-02T08:00:00+02:00,\n"
    )
    import_hotlist(session, feed, list_name="NCIC")
    session.commit()
    ids = sorted(session.scalars(select(HotlistEntry.id)))
    report = import_hotlist(session, feed, list_name="NCIC", replace=True)
    session.commit()
    assert (report.removed, report.imported, report.unchanged) == (0, 0, 2)
    assert sorted(session.scalars(select(HotlistEntry.id))) == ids


def test_free_text_with_tabs_backslashes_and_quotes_is_stored_as_written(
    session: Session,
) -> None:
    feed = (
        "plate,state,make,model,color,record_number\n"
        'AAA111,CA,"Tab\there","back\\\\slash","line\nbreak",N1\n'
        "BBB222,CA,O'Brien,\\N,,N2\n"
        "CCC333,CA,O'Brien,Civic,,N3\n"
    )
    import_hotlist(session, feed, list_name="L")
    session.commit()
    stored = {
        e.plate: (e.make, e.model, e.color, e.record_number)
        for e in session.scalars(select(HotlistEntry))
    }
    assert stored == {
        "AAA111": ("Tab\there", "back\\\\slash", "line\nbreak", "N1"),
        "BBB222": ("O'Brien", "\\N", None, "N2"),
        "CCC333": ("O'Brien", "Civic", None, "N3"),
    }
    # The same text in every row is written once per statement, unless it needs quoting.
    import_hotlist(
        session, "plate,make,color\nDDD444,O'Brien,Red\nEEE555,O'Brien,Red\n", list_name="M"
    )
    session.commit()
    assert set(
        session.execute(
            select(HotlistEntry.make, HotlistEntry.color, HotlistEntry.reason).where(
                HotlistEntry.plate.in_(["DDD444", "EEE555"])
            )
        )
    ) == {("O'Brien", "Red", "stolen_vehicle")}


def test_a_large_load_rebuilds_the_plate_index_inside_the_transaction(
    session: Session, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    import hotlist.bulk

    # Every load counts as large here, so SQLite drops and rebuilds the list-plate index.
    monkeypatch.setattr(hotlist.bulk, "_REBUILD_AT", 2)
    import_hotlist(session, FEED, list_name="NCIC")
    import_hotlist(session, "plate\nOTHER11\n", list_name="other")
    session.commit()
    rows = "".join(f"N{i:05d}\n" for i in range(50))
    report = import_hotlist(session, "plate\n" + rows, list_name="NCIC", replace=True)
    assert (report.removed, report.imported) == (3, 50)
    with session_factory() as reader:
        assert _plates(reader, "NCIC") == ["7XYZ123", "AB?12", "ABC1234"]
    session.commit()
    assert _plates(session, "NCIC") == sorted(f"N{i:05d}" for i in range(50))
    assert _plates(session, "other") == ["OTHER11"]
    inspector = inspect(session.get_bind())
    assert "ix_hotlist_entries_list_plate" in {
        i["name"] for i in inspector.get_indexes("hotlist_entries")
    }


def test_replace_of_a_list_holding_identical_entries_keeps_one_per_feed_row(
    session: Session,
) -> None:
    create_hotlist(session, "custom")
    first = add_entry(session, "custom", plate="ABC1234", state="CA")
    add_entry(session, "custom", plate="ABC1234", state="CA")
    session.commit()
    report = import_hotlist(session, "plate,state\nABC1234,CA\n", list_name="custom", replace=True)
    session.commit()
    assert (report.removed, report.imported, report.unchanged) == (1, 0, 1)
    assert list(session.scalars(select(HotlistEntry.id))) in ([first.id], [first.id + 1])
