"""Historical hits on both databases: a new entry looked for among the reads already stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from alpr.read import PlateRead
from hotlist.alerts import alert_view
from hotlist.historical import HistoryCheck
from hotlist.index_cache import IndexCache
from hotlist.ingest import ingest_read
from hotlist.lists import add_entry, create_hotlist, import_hotlist, remove_entries
from hotlist.matcher import Matcher
from hotlist.plates import canonical
from hotlist.safelists import add_safelist_entry
from hotlist.settings import MatchSettings
from org.registry import create_agency, create_camera, set_site_sharing
from store.tables import Alert, AlertOutbox, AlertSighting, Camera, PlateReadRow, Site
from store.tables.reads import plate_key
from tests.hotlist.conftest import World, make_read

NOW = datetime.now(UTC).replace(microsecond=0)
Ingest = Callable[..., str]


@pytest.fixture
def shared(session: Session, world: World) -> World:
    """The world with its main site sharing with the agency; the other site shares with none."""
    set_site_sharing(session, world.site_id, "Springfield PD", actor="test")
    session.commit()
    return world


@pytest.fixture
def ingest(
    session: Session, cache_factory: Callable[[], IndexCache], fresh_settings: MatchSettings
) -> Ingest:
    """Store a read as the pipeline does (matched against the lists as they stand), committed."""
    cache = cache_factory()

    def store(plate: str, *, days_ago: float = 2, **kw: object) -> str:
        read = make_read(plate, at=NOW - timedelta(days=days_ago), **kw)  # type: ignore[arg-type]
        ingest_read(session, read, cache.current(session), fresh_settings)
        session.commit()
        return read.read_id

    return store


def _alerts(session: Session) -> list[Alert]:
    return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_a_new_entry_raises_a_historical_alert_for_a_stored_read(
    session: Session, shared: World, ingest: Ingest
) -> None:
    read_id = ingest("7ABC123", crop_path="gate-1/2025/03/01/1_crop.jpg")
    create_hotlist(session, "Stolen")
    add_entry(session, "Stolen", plate="7ABC123", state="CA", reason="stolen_vehicle")
    session.commit()

    [alert] = _alerts(session)
    assert alert.historical is True
    assert (alert.read_id, alert.camera_id, alert.site_id) == (read_id, "gate-1", shared.site_id)
    assert alert.match_kind == "exact"
    assert alert.decision == "alert"
    view = alert_view(session, alert.id)
    assert view.historical is True
    assert view.camera.name == "Main gate"
    assert abs(view.last_seen_at - (NOW - timedelta(days=2))) < timedelta(seconds=1)
    assert view.crop_path == "gate-1/2025/03/01/1_crop.jpg"
    [outbox] = session.scalars(select(AlertOutbox).where(AlertOutbox.alert_id == alert.id))
    assert outbox.kind == "raised"
    assert json.loads(outbox.payload)["historical"] is True
    assert session.get(PlateReadRow, read_id).has_hit is True  # type: ignore[union-attr]


def test_an_ocr_equivalent_read_is_found_and_asks_to_verify(
    session: Session, shared: World, ingest: Ingest
) -> None:
    ingest("7A8C123")  # B read as 8
    create_hotlist(session, "Stolen")
    add_entry(session, "Stolen", plate="7ABC123")
    session.commit()
    [alert] = _alerts(session)
    assert (alert.match_kind, alert.decision, alert.historical) == ("equivalent", "verify", True)
    assert alert.entry_plate == "7ABC123"
    assert alert.plate_read == "7A8C123"


def test_a_wildcard_entry_finds_the_reads_it_fits(
    session: Session, shared: World, ingest: Ingest
) -> None:
    ingest("7ABC123")
    ingest("7XYZ999")
    create_hotlist(session, "Witness")
    add_entry(session, "Witness", plate="7AB?12*")
    session.commit()
    [alert] = _alerts(session)
    assert (alert.match_kind, alert.decision, alert.plate_read) == ("wildcard", "verify", "7ABC123")


def test_reads_of_one_site_make_one_alert_with_their_sightings(
    session: Session, shared: World, ingest: Ingest
) -> None:
    first = ingest("7ABC123", days_ago=5)
    middle = ingest("7ABC123", days_ago=3)
    last = ingest("7ABC123", days_ago=1)
    create_hotlist(session, "Stolen")
    add_entry(session, "Stolen", plate="7ABC123")
    session.commit()
    [alert] = _alerts(session)
    assert alert.read_id == last
    assert alert.sightings == 3
    assert abs(alert.first_seen_at - (NOW - timedelta(days=5))) < timedelta(seconds=1)
    sightings = set(session.scalars(select(AlertSighting.read_id)))
    assert sightings == {first, middle}
    assert len(alert_view(session, alert.id).recent_sightings) == 2


def test_a_read_outside_the_retention_window_is_not_looked_at(
    session: Session, shared: World, ingest: Ingest
) -> None:
    ingest("7ABC123", days_ago=31)
    ingest("8DEF456", days_ago=10)
    create_hotlist(session, "Stolen")
    add_entry(session, "Stolen", plate="7ABC123")
    # The window given by the caller (the CLI passes retention.image_days) bounds the search.
    add_entry(session, "Stolen", plate="8DEF456", history=HistoryCheck(window_days=7))
    assert _alerts(session) == []
    # A site keeping its reads longer is searched as far back as it keeps them.
    session.execute(update(Site).where(Site.id == shared.site_id).values(image_retention_days=60))
    add_entry(session, "Stolen", plate="7ABC123", state="CA")
    assert [(a.entry_plate, a.historical) for a in _alerts(session)] == [("7ABC123", True)]


def test_a_camera_keeping_less_than_its_site_bounds_the_search_of_its_reads(
    session: Session, shared: World, ingest: Ingest
) -> None:
    create_camera(session, "pool-1", site=shared.site_id)
    session.execute(update(Camera).where(Camera.id == "pool-1").values(image_retention_days=5))
    session.commit()
    ingest("7ABC123", camera="pool-1", days_ago=10)  # past its camera's 5 days
    ingest("8DEF456", camera="pool-1", days_ago=3)
    ingest("5GHI789", camera="gate-1", days_ago=10)  # its camera keeps the site's 30
    create_hotlist(session, "Stolen")
    for plate in ("7ABC123", "8DEF456", "5GHI789"):
        add_entry(session, "Stolen", plate=plate)
    assert sorted((a.entry_plate, a.camera_id) for a in _alerts(session)) == [
        ("5GHI789", "gate-1"),
        ("8DEF456", "pool-1"),
    ]


def test_a_purged_read_is_not_looked_at(session: Session, shared: World, ingest: Ingest) -> None:
    read_id = ingest("7ABC123")
    session.execute(
        update(PlateReadRow).where(PlateReadRow.read_id == read_id).values(images_purged_at=NOW)
    )
    create_hotlist(session, "Stolen")
    add_entry(session, "Stolen", plate="7ABC123")
    assert _alerts(session) == []


def test_reads_of_sites_not_sharing_with_the_lists_agency_are_not_looked_at(
    session: Session, shared: World, ingest: Ingest
) -> None:
    ingest("7ABC123", camera="elm-1")  # the other site shares with nobody
    create_agency(session, "Shelbyville PD")
    create_hotlist(session, "Shelbyville stolen", owner_agency="Shelbyville PD")
    ingest("7XYZ999")  # the main site shares with Springfield only
    add_entry(session, "Shelbyville stolen", plate="7XYZ999")
    create_hotlist(session, "Stolen")
    add_entry(session, "Stolen", plate="7ABC123")
    assert _alerts(session) == []
    # A share switched off hides the site's reads as if it never shared.
    set_site_sharing(session, shared.site_id, "Springfield PD", enabled=False, actor="test")
    add_entry(session, "Stolen", plate="7XYZ999")
    assert _alerts(session) == []


def test_safelisted_and_resident_reads_never_alert(
    session: Session, shared: World, ingest: Ingest
) -> None:
    add_safelist_entry(session, shared.site_id, "RES1234", added_by="cli:test")
    session.commit()
    resident = ingest("RES1234")
    assert session.get(PlateReadRow, resident).resident is True  # type: ignore[union-attr]
    ingest("NEW5678")
    # Safe-listed after the read was stored: still a resident's car at that site.
    add_safelist_entry(session, shared.site_id, "NEW5678", added_by="cli:test")
    create_hotlist(session, "Stolen")
    add_entry(session, "Stolen", plate="RES1234")
    add_entry(session, "Stolen", plate="NEW5678")
    assert _alerts(session) == []


def test_adding_the_entry_again_raises_nothing_new(
    session: Session, shared: World, ingest: Ingest
) -> None:
    ingest("7ABC123")
    create_hotlist(session, "Stolen")
    add_entry(session, "Stolen", plate="7ABC123")
    session.commit()
    add_entry(session, "Stolen", plate="7ABC123", state="CA")
    remove_entries(session, "Stolen", "7ABC123")
    add_entry(session, "Stolen", plate="7ABC123")
    feed = "plate,state,reason\n7ABC123,,stolen_vehicle\n"
    import_hotlist(session, feed, list_name="Stolen")
    report = import_hotlist(session, feed, list_name="Stolen", replace=True)
    session.commit()
    assert report.historical_alerts == 0
    assert len(_alerts(session)) == 1


def test_an_import_checks_its_new_entries_in_one_go(
    session: Session, shared: World, ingest: Ingest
) -> None:
    ingest("7ABC123")
    ingest("8DEF456", days_ago=10)
    feed = "plate,state,reason\n7ABC123,CA,stolen_vehicle\n8DEF456,,stolen_plate\n9GHI789,,other\n"
    report = import_hotlist(session, feed, list_name="NCIC", list_source="ncic")
    session.commit()
    assert (report.imported, report.historical_alerts) == (3, 2)
    assert {(a.entry_plate, a.reason, a.historical) for a in _alerts(session)} == {
        ("7ABC123", "stolen_vehicle", True),
        ("8DEF456", "stolen_plate", True),
    }


def test_a_bulk_load_may_opt_out(session: Session, shared: World, ingest: Ingest) -> None:
    ingest("7ABC123")
    feed = "plate,state,reason\n7ABC123,CA,stolen_vehicle\n"
    report = import_hotlist(session, feed, list_name="NCIC", history=None)
    add_entry(session, "NCIC", plate="7ABC123", history=None)
    assert report.historical_alerts == 0
    assert _alerts(session) == []


def test_a_live_read_after_a_historical_hit_raises_a_live_alert(
    session: Session, shared: World, ingest: Ingest
) -> None:
    """The officer must hear about the car seen now: a live read never folds into the
    historical lead, even inside the cooldown of its last sighting."""
    ingest("7ABC123", days_ago=1 / 24 / 60 * 2)  # two minutes ago
    create_hotlist(session, "Stolen")
    add_entry(session, "Stolen", plate="7ABC123")
    session.commit()
    [historical] = _alerts(session)
    live_id = ingest("7ABC123", days_ago=0)
    again_id = ingest("7ABC123", days_ago=0)
    historical_after, live = _alerts(session)
    assert historical_after.id == historical.id
    assert historical_after.sightings == 1
    assert (live.historical, live.read_id, live.decision) == (False, live_id, "alert")
    # Later live reads fold into the live alert as ever.
    assert live.sightings == 2
    sighted = session.scalar(select(AlertSighting.read_id).where(AlertSighting.alert_id == live.id))
    assert sighted == again_id


def test_the_sql_fold_is_the_matchers_canonical_plate(session: Session) -> None:
    everything = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    assert session.scalar(select(plate_key(literal(everything)))) == canonical(everything)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plate=st.text(alphabet="ABDGILOQSZ0125678XY", min_size=1, max_size=10))
def test_any_plate_folds_alike_in_sql_and_python(session: Session, plate: str) -> None:
    assert session.scalar(select(plate_key(literal(plate)))) == canonical(plate)


def test_only_matching_reads_are_counted(session: Session, shared: World, ingest: Ingest) -> None:
    for n in range(5):
        ingest(f"ZZZ{n:04d}")
    create_hotlist(session, "Stolen")
    add_entry(session, "Stolen", plate="ZZZ0003")
    session.commit()
    assert session.scalar(select(func.count()).select_from(Alert)) == 1


def test_a_replacing_import_checks_the_entries_it_brings(
    session: Session, shared: World, ingest: Ingest
) -> None:
    """The replace that clears the list and loads it whole (SQLite then hands the cleared ids
    out again) still checks every entry it loads."""
    ingest("8DEF456")
    import_hotlist(session, "plate\n7ABC123\n", list_name="Stolen")
    report = import_hotlist(session, "plate\n8DEF456\n", list_name="Stolen", replace=True)
    session.commit()
    assert (report.removed, report.historical_alerts) == (1, 1)
    assert [a.entry_plate for a in _alerts(session)] == ["8DEF456"]


_FOLDS = {"0": "OD", "O": "0D", "D": "0O", "1": "IL", "I": "1L", "8": "B", "B": "8", "5": "S"}
_EXAMPLES = iter(range(1_000))


@st.composite
def _spellings(draw: st.DrawFn) -> tuple[str, list[tuple[str, bool, int]]]:
    """An entry plate and reads of it: OCR-equivalent spellings, exact ones and others, each
    at the sharing site or not, and days ago."""
    entry = draw(st.text(alphabet="0O1I8B5KMX", min_size=4, max_size=7))
    reads = []
    for _ in range(draw(st.integers(1, 6))):
        plate = "".join(
            draw(st.sampled_from([ch, *_FOLDS.get(ch, "")])) if draw(st.booleans()) else ch
            for ch in entry
        )
        reads.append((plate, draw(st.booleans()), draw(st.sampled_from([1, 4, 29, 31, 45]))))
    return entry, reads


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=_spellings())
def test_history_finds_what_live_matching_would_have_alerted_on(
    session: Session,
    shared: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
    case: tuple[str, list[tuple[str, bool, int]]],
) -> None:
    """The oracle is the live matcher itself: a stored read becomes a historical hit exactly
    when it is shared, inside the window, and would have alerted (exact or OCR-equivalent)
    had the entry been listed when it was read."""
    entry, reads = case
    # Each example its own list and cameras' worth of plates: a prefix no fold touches.
    tag = f"{next(_EXAMPLES):03d}".translate(str.maketrans("0123456789", "KMNPRTUVWX"))
    entry = tag + entry
    stored: list[tuple[str, PlateRead, int]] = []
    for n, (plate, at_shared_site, days_ago) in enumerate(reads):
        camera, site = (
            ("gate-1", shared.site_id) if at_shared_site else ("elm-1", shared.other_site_id)
        )
        read = make_read(tag + plate, camera=camera, at=NOW - timedelta(days=days_ago))
        read = read.model_copy(update={"read_id": f"{tag}-{n}"})
        ingest_read(session, read, Matcher(None), fresh_settings)
        stored.append((read.read_id, read, site))
    name = f"List {tag}"
    create_hotlist(session, name)
    add_entry(session, name, plate=entry, history=HistoryCheck(settings=fresh_settings))
    session.commit()
    oracle = cache_factory().current(session)
    expected = set()
    for read_id, read, site in stored:
        live = oracle.match(read, fresh_settings, site_id=site)
        on_list = [m for m in live.matches if m.list_name == name]
        if site == shared.site_id and read.captured_at >= NOW - timedelta(days=30) and on_list:
            expected.add(read_id)
    list_id = session.scalar(select(Alert.hotlist_id).where(Alert.list_name == name))
    raised = set(session.scalars(select(Alert.read_id).where(Alert.hotlist_id == list_id)))
    sighted = set(
        session.scalars(
            select(AlertSighting.read_id)
            .join(Alert, Alert.id == AlertSighting.alert_id)
            .where(Alert.hotlist_id == list_id)
        )
    )
    assert raised | sighted == expected


def test_a_read_that_alerted_live_is_not_raised_again_for_another_entry_of_its_list(
    session: Session, shared: World, ingest: Ingest
) -> None:
    create_hotlist(session, "Stolen")
    add_entry(session, "Stolen", plate="7ABC123")
    session.commit()
    ingest("7ABC123", days_ago=0)
    [live] = _alerts(session)
    assert live.historical is False
    add_entry(session, "Stolen", plate="7A8C123")  # an OCR-equivalent spelling of the same car
    session.commit()
    assert _alerts(session) == [live]
