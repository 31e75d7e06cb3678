"""Ingesting reads on both databases: stored once, residents, alerts, cooldown, outbox."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotlist.alerts import INSTRUCTION, alert_view
from hotlist.index_cache import IndexCache
from hotlist.ingest import ReadOutcome, UnknownCamera, ingest_read, ingest_reads
from hotlist.lists import add_entry, create_hotlist, import_hotlist, remove_entries
from hotlist.safelists import add_safelist_entry
from hotlist.settings import MatchSettings
from org.registry import create_camera
from store.errors import DomainError
from store.tables import Alert, AlertOutbox, AlertSighting, PlateReadRow
from tests.hotlist.conftest import World, make_read

FEED = (
    "plate,state,reason,make,model,color,record_number,entered_at\n"
    "ABC1234,CA,stolen_vehicle,Honda,Civic,Blue,N-77,2024-05-01\n"
)
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _ingest(
    session: Session, cache: IndexCache, settings: MatchSettings, plate: str, **kw: object
) -> ReadOutcome:
    outcome = ingest_read(
        session,
        make_read(plate, confidence=0.99, **kw),  # type: ignore[arg-type]
        cache.current(session),
        settings,
    )
    session.commit()
    return outcome


def _count(session: Session, table: type[object]) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_hit_raises_an_alert_with_the_record_and_its_outbox_row(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    import_hotlist(session, FEED, list_name="NCIC", list_source="ncic")
    session.commit()
    cache = cache_factory()
    outcome = _ingest(
        session, cache, fresh_settings, "ABC1234", at=T0, crop_path="gate-1/2025/03/01/1_crop.jpg"
    )
    assert outcome.stored and outcome.decision == "alert" and not outcome.resident
    (alert_id,) = outcome.alert_ids
    view = alert_view(session, alert_id)
    assert view.instruction == INSTRUCTION == "Confirm with dispatch before acting."
    assert (view.plate_read, view.match_kind, view.decision, view.status) == (
        "ABC1234",
        "exact",
        "alert",
        "new",
    )
    record = view.record
    assert (
        record.plate,
        record.state,
        record.list_name,
        record.reason,
        record.make,
        record.model,
        record.color,
        record.record_number,
    ) == ("ABC1234", "CA", "NCIC", "stolen_vehicle", "Honda", "Civic", "Blue", "N-77")
    assert record.record_age_s is not None and record.record_age_s > 0
    assert record.list_refresh_age_s is not None
    assert (view.camera.id, view.camera.name, view.camera.location) == (
        "gate-1",
        "Main gate",
        "Oak Ridge Dr",
    )
    assert view.crop_path == "gate-1/2025/03/01/1_crop.jpg" and view.captured_at == T0
    (outbox,) = session.scalars(select(AlertOutbox)).all()
    assert outbox.kind == "raised" and json.loads(outbox.payload)["alert_id"] == alert_id
    read = session.get(PlateReadRow, outcome.read_id)
    assert read is not None and read.has_hit and read.site_id == world.site_id


def test_a_redelivered_read_creates_nothing_twice(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    import_hotlist(session, FEED, list_name="NCIC")
    session.commit()
    cache = cache_factory()
    first = _ingest(session, cache, fresh_settings, "ABC1234", read_id="r-1", at=T0)
    again = _ingest(session, cache, fresh_settings, "ABC1234", read_id="r-1", at=T0)
    assert first.stored and first.alert_ids
    assert not again.stored and again.alert_ids == () and again.decision == "alert"
    assert (
        _count(session, PlateReadRow),
        _count(session, Alert),
        _count(session, AlertOutbox),
        _count(session, AlertSighting),
    ) == (1, 1, 1, 0)


def test_repeats_within_the_cooldown_become_sightings(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    import_hotlist(session, FEED, list_name="NCIC")
    create_camera(session, "gate-2", site=world.site_id, name="Back gate")
    session.commit()
    cache = cache_factory()
    first = _ingest(session, cache, fresh_settings, "ABC1234", at=T0)
    second = _ingest(
        session, cache, fresh_settings, "ABC1234", at=T0 + timedelta(minutes=4), camera="gate-2"
    )
    assert second.alert_ids == first.alert_ids
    alert = session.get(Alert, first.alert_ids[0])
    assert alert is not None and alert.sightings == 2
    assert alert.last_seen_at == T0 + timedelta(minutes=4)
    view = alert_view(session, alert.id)
    assert [s.camera_id for s in view.recent_sightings] == ["gate-2"]
    kinds = session.scalars(select(AlertOutbox.kind).order_by(AlertOutbox.id)).all()
    assert kinds == ["raised", "sighting"]
    later = _ingest(session, cache, fresh_settings, "ABC1234", at=T0 + timedelta(minutes=15))
    assert later.alert_ids and later.alert_ids != first.alert_ids
    assert _count(session, Alert) == 2


def test_safe_listed_resident_is_silent_on_the_site_list_but_a_hotlist_hit_alerts(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    create_hotlist(session, "HOA watch", source="site", owner_site=world.site_id)
    import_hotlist(session, "plate\nRES1234\nRES9999\n", list_name="HOA watch")
    add_safelist_entry(session, world.site_id, "RES1234", label="Unit 4", added_by="admin")
    session.commit()
    cache = cache_factory()
    resident = _ingest(session, cache, fresh_settings, "RES1234")
    assert resident.resident and resident.decision == "resident" and resident.alert_ids == ()
    row = session.get(PlateReadRow, resident.read_id)
    assert row is not None and row.resident and not row.has_hit
    # The same plate at another site's camera is not a resident there.
    elsewhere = _ingest(session, cache, fresh_settings, "RES1234", camera=world.other_camera)
    assert not elsewhere.resident and elsewhere.decision == "alert"
    # A resident's car can be stolen: an agency hotlist hit alerts, safe-listed or not.
    import_hotlist(session, "plate\nRES1234\n", list_name="NCIC")
    session.commit()
    stolen = _ingest(session, cache, fresh_settings, "RES1234")
    assert stolen.resident and stolen.decision == "alert"
    (alert,) = [session.get(Alert, i) for i in stolen.alert_ids]
    assert alert is not None and alert.list_name == "NCIC"


def test_list_changes_reach_the_matcher_without_a_restart(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    cache = cache_factory()
    assert _ingest(session, cache, fresh_settings, "NEW7777").decision == "none"
    matcher = cache.current(session)
    assert cache.current(session) is matcher  # nothing changed: same index
    import_hotlist(session, "plate\nNEW7777\n", list_name="NCIC")
    session.commit()
    assert _ingest(session, cache, fresh_settings, "NEW7777").decision == "alert"
    remove_entries(session, "NCIC", "NEW7777")
    session.commit()
    assert _ingest(session, cache, fresh_settings, "NEW7777").decision == "none"
    add_safelist_entry(session, world.site_id, "NEW7777", added_by="admin")
    session.commit()
    assert _ingest(session, cache, fresh_settings, "NEW7777").decision == "resident"


def test_an_unregistered_camera_is_refused_with_how_to_fix_it(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    with pytest.raises(
        UnknownCamera,
        match=r"camera 'cam-x' is not registered.*"
        r"platewatch camera add cam-x --site SITE",
    ) as caught:
        ingest_read(
            session,
            make_read("ABC1234", camera="cam-x"),
            cache_factory().current(session),
            fresh_settings,
        )
    assert isinstance(caught.value, DomainError) and isinstance(caught.value, ValueError)
    session.rollback()
    assert _count(session, PlateReadRow) == 0


def test_two_matchers_racing_on_one_read_store_it_once(
    session: Session,
    world: World,
    session_factory: sessionmaker[Session],
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    import_hotlist(session, FEED, list_name="NCIC")
    session.commit()
    read = make_read("ABC1234", confidence=0.99, read_id="race-1", at=T0)
    barrier = threading.Barrier(2)
    outcomes: list[ReadOutcome] = []

    def matcher_process() -> None:
        cache = cache_factory()
        with session_factory() as own, own.begin():
            matcher = cache.current(own)
            barrier.wait()
            outcomes.append(ingest_read(own, read, matcher, fresh_settings))

    threads = [threading.Thread(target=matcher_process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o.stored for o in outcomes) == [False, True]
    session.expire_all()
    assert (
        _count(session, PlateReadRow),
        _count(session, Alert),
        _count(session, AlertOutbox),
    ) == (1, 1, 1)


def test_matcher_processes_share_one_index_file(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
) -> None:
    import_hotlist(session, FEED, list_name="NCIC")
    session.commit()
    first, second = cache_factory(), cache_factory()
    a, b = first.current(session).index, second.current(session).index
    assert a is not None and b is not None and a.path == b.path
    assert len(list(a.path.parent.glob("hotlists-*.pwx"))) == 1


def test_a_sighting_at_another_site_raises_that_sites_own_alert(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    # Sites share with different agencies: folding this read into the first site's alert
    # would hide it from whoever the second site shares with.
    import_hotlist(session, FEED, list_name="NCIC")
    session.commit()
    cache = cache_factory()
    first = _ingest(session, cache, fresh_settings, "ABC1234", at=T0)
    elsewhere = _ingest(
        session,
        cache,
        fresh_settings,
        "ABC1234",
        at=T0 + timedelta(minutes=4),
        camera=world.other_camera,
    )
    assert elsewhere.alert_ids and elsewhere.alert_ids != first.alert_ids
    sites = session.scalars(select(Alert.site_id).order_by(Alert.id)).all()
    assert sites == [world.site_id, world.other_site_id]


def test_a_batch_is_ingested_as_each_read_would_be(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    import_hotlist(session, FEED, list_name="NCIC", list_source="ncic")
    add_safelist_entry(session, world.site_id, "RES1234", label="Unit 4", added_by="admin")
    session.commit()
    cache = cache_factory()
    reads = [
        make_read("ABC1234", confidence=0.99, at=T0, read_id="b-1"),
        make_read("RES1234", confidence=0.99, at=T0, read_id="b-2"),
        make_read("ZZZ9999", confidence=0.99, at=T0, camera=world.other_camera, read_id="b-3"),
        make_read("ABC1234", confidence=0.99, at=T0 + timedelta(minutes=1), read_id="b-4"),
    ]
    outcomes = ingest_reads(session, reads, cache.current(session), fresh_settings)
    session.commit()
    assert [(o.read_id, o.decision, o.resident) for o in outcomes] == [
        ("b-1", "alert", False),
        ("b-2", "resident", True),
        ("b-3", "none", False),
        ("b-4", "alert", False),
    ]
    # The second sighting within the cooldown updated the first alert.
    assert outcomes[3].alert_ids == outcomes[0].alert_ids
    assert (_count(session, PlateReadRow), _count(session, Alert)) == (4, 1)


def test_a_batch_stores_each_read_id_once_whether_redelivered_or_repeated_in_it(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    import_hotlist(session, FEED, list_name="NCIC")
    session.commit()
    cache = cache_factory()
    earlier = _ingest(session, cache, fresh_settings, "ABC1234", read_id="d-1", at=T0)
    reads = [
        make_read("ABC1234", confidence=0.99, at=T0, read_id="d-1"),
        make_read("XYZ0001", confidence=0.99, at=T0, read_id="d-2"),
        make_read("XYZ0001", confidence=0.99, at=T0, read_id="d-2"),
        make_read("ABC1234", confidence=0.99, at=T0 + timedelta(minutes=2), read_id="d-3"),
    ]
    outcomes = ingest_reads(session, reads, cache.current(session), fresh_settings)
    session.commit()
    assert [(o.read_id, o.stored, o.decision) for o in outcomes] == [
        ("d-1", False, "alert"),
        ("d-2", True, "none"),
        ("d-2", False, "none"),
        ("d-3", True, "alert"),
    ]
    assert outcomes[3].alert_ids == earlier.alert_ids
    assert (
        _count(session, PlateReadRow),
        _count(session, Alert),
        _count(session, AlertSighting),
        _count(session, AlertOutbox),
    ) == (3, 1, 1, 2)


def test_a_batch_with_an_unregistered_camera_writes_nothing(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    reads = [make_read("ABC1234", read_id="ok-1"), make_read("ABC1234", camera="cam-x")]
    with pytest.raises(UnknownCamera, match="camera 'cam-x' is not registered"):
        ingest_reads(session, reads, cache_factory().current(session), fresh_settings)
    session.rollback()
    assert _count(session, PlateReadRow) == 0


def _on_lists(session: Session, plate: str, lists: list[str]) -> None:
    for name in lists:
        create_hotlist(session, name)
        add_entry(session, name, plate=plate, reason="stolen_vehicle")
    session.commit()


def test_a_plate_on_three_lists_seen_twice_in_the_cooldown_is_one_alert_per_list(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    # The stall that filed issue 12: the second read was a sighting of three alerts at once,
    # and a sighting's read id was unique, so the batch failed on every redelivery.
    _on_lists(session, "ABC1234", ["L1", "L2", "L3"])
    cache = cache_factory()
    first = _ingest(session, cache, fresh_settings, "ABC1234", at=T0)
    again = _ingest(session, cache, fresh_settings, "ABC1234", at=T0 + timedelta(minutes=3))
    assert len(first.alert_ids) == 3
    assert sorted(again.alert_ids) == sorted(first.alert_ids)
    assert _count(session, Alert) == 3
    sightings = session.execute(select(AlertSighting.alert_id, AlertSighting.read_id)).all()
    assert sorted(a for a, _ in sightings) == sorted(first.alert_ids)
    assert {r for _, r in sightings} == {again.read_id}
    assert {a.sightings for a in session.scalars(select(Alert))} == {2}
    # The matcher keeps going: a later read of another plate is stored.
    assert _ingest(session, cache, fresh_settings, "ZZZ9876", at=T0 + timedelta(minutes=4)).stored


def test_a_list_holding_a_plate_twice_raises_one_alert_for_it(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    create_hotlist(session, "L1")
    add_entry(session, "L1", plate="ABC1234", state="CA", reason="stolen_vehicle")
    add_entry(session, "L1", plate="ABC1234", state="NV", reason="stolen_vehicle")
    session.commit()
    cache = cache_factory()
    first = _ingest(session, cache, fresh_settings, "ABC1234", at=T0)
    again = _ingest(session, cache, fresh_settings, "ABC1234", at=T0 + timedelta(minutes=1))
    assert len(first.alert_ids) == 1 and again.alert_ids == first.alert_ids
    assert _count(session, Alert) == 1 and _count(session, AlertSighting) == 1


def test_several_lists_a_safe_list_and_the_cooldown_at_once_store_the_read_once(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    _on_lists(session, "ABC1234", ["L1", "L2"])
    add_safelist_entry(session, world.site_id, "ABC1234", label="Unit 4", added_by="hoa")
    session.commit()
    cache = cache_factory()
    reads = [
        make_read("ABC1234", confidence=0.99, at=T0 + timedelta(seconds=i), camera=camera)
        for i, camera in enumerate([world.camera, world.camera, world.camera])
    ]
    # One batch: the first read raises, the others are sightings of both alerts.
    outcomes = ingest_reads(session, [*reads, reads[1]], cache.current(session), fresh_settings)
    session.commit()
    assert [o.stored for o in outcomes] == [True, True, True, False]
    assert all(o.resident for o in outcomes)
    assert _count(session, PlateReadRow) == 3
    assert _count(session, Alert) == 2 and _count(session, AlertSighting) == 4
    assert {a.sightings for a in session.scalars(select(Alert))} == {3}


def test_a_read_from_the_future_is_stored_at_its_arrival(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> None:
    cache = cache_factory()
    ahead = datetime.now(UTC) + timedelta(hours=2)
    outcome = _ingest(session, cache, fresh_settings, "ZZZ9876", at=ahead)
    row = session.get(PlateReadRow, outcome.read_id)
    assert row is not None
    assert row.captured_at <= row.received_at < ahead
