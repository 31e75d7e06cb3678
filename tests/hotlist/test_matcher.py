"""Matching: exact, OCR-equivalent, one missing or extra character, wildcards, states.

Property tests run against a real mapped index file built from generated plates.
"""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from alpr.read import Alternative, CharChoice, PlateRead
from hotlist.index_build import write_index
from hotlist.index_file import IndexFile, ListInfo
from hotlist.matcher import Matcher
from hotlist.plates import EQUIVALENCE_CLASSES, canonical
from hotlist.settings import MatchSettings
from tests.hotlist.conftest import choices_at, make_read

NCIC = ListInfo(1, "NCIC", 1, 1, "ncic", None, None, None)
HOA = ListInfo(2, "HOA watch", 1, 2, "site", 7, None, None)
PLATES = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=5, max_size=8)
EQUIV = {c: cls for cls in EQUIVALENCE_CLASSES for c in cls}


def build(
    tmp: Path,
    entries: list[tuple[str, str]],
    lists: list[ListInfo] | None = None,
    owner: dict[str, int] | None = None,
) -> Matcher:
    """A matcher over (plate, state) entries, all on NCIC unless `owner` says otherwise."""
    lists = lists or [NCIC]
    rows = [
        (i + 1, (owner or {}).get(plate, 1), plate, state, 0)
        for i, (plate, state) in enumerate(entries)
    ]
    path = tmp / "index.pwx"
    write_index(path, lists, rows, [(info.id, info.version) for info in lists])
    return Matcher(IndexFile(path), settings=MatchSettings())


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    entries = [
        ("ABC1234", "CA"),
        ("7XYZ123", "CA"),
        ("BRX0D12", "BRA"),
        ("AB?12", ""),
        ("K*99", ""),
        ("RK123AB", "SVK"),
        ("8BG105", "NY"),
        ("Q1", "CA"),
    ]
    return build(tmp_path_factory.mktemp("idx"), entries)


def test_exact_read_alerts(matcher: Matcher) -> None:
    result = matcher.match(make_read("ABC1234"))
    assert result.decision == "alert"
    (match,) = result.matches
    assert (match.entry_plate, match.kind, match.list_name) == ("ABC1234", "exact", "NCIC")
    assert match.score >= 0.8


def test_equivalent_character_asks_to_verify(matcher: Matcher) -> None:
    # Plate fonts draw 8 and B alike, so even a sure reader may be wrong: verify, never a hit.
    (confident,) = matcher.match(make_read("A8C1234", confidence=0.99)).matches
    assert (confident.kind, confident.decision) == ("equivalent", "verify")
    assert matcher.match(make_read("A7C1234", confidence=0.99)).decision == "none"
    hesitant = make_read(
        "A8C1234", char_choices=choices_at("A8C1234", 1, [("8", 0.55), ("B", 0.40)])
    )
    (match,) = matcher.match(hesitant).matches
    assert (match.kind, match.substitutions, match.decision) == ("equivalent", 1, "verify")


def test_runner_up_character_finds_a_non_equivalent_substitution(matcher: Matcher) -> None:
    # The 7/2 misread: only the recognizer's own second choice makes it a candidate.
    read = make_read("2XYZ123", char_choices=choices_at("2XYZ123", 0, [("2", 0.5), ("7", 0.45)]))
    (match,) = matcher.match(read).matches
    assert (match.entry_plate, match.kind) == ("7XYZ123", "edit")
    assert match.decision == "verify"


def test_missing_and_extra_characters(matcher: Matcher) -> None:
    blank = CharChoice(char="_", p=0.6)
    extra = list(choices_at("ABC11234", 0, [("A", 0.97)]))
    extra[4] = (CharChoice(char="1", p=0.4), blank)
    (match,) = matcher.match(make_read("ABC11234", char_choices=tuple(extra))).matches
    assert (match.entry_plate, match.kind) == ("ABC1234", "edit")
    missing = matcher.match(make_read("ABC234", confidence=0.999))
    assert [m.kind for m in missing.matches] in ([], ["edit"])
    assert all(m.decision == "verify" for m in missing.matches)


def test_wildcard_entries_match_partial_plates_and_ask_to_verify(matcher: Matcher) -> None:
    result = matcher.match(make_read("ABQ12"))
    assert [(m.entry_plate, m.kind, m.decision) for m in result.matches] == [
        ("AB?12", "wildcard", "verify")
    ]
    assert matcher.match(make_read("K123499")).matches[0].entry_plate == "K*99"
    assert matcher.match(make_read("K1234")).decision == "none"


def test_known_region_that_differs_from_the_entry_state_is_flagged(matcher: Matcher) -> None:
    (match,) = matcher.match(make_read("ABC1234", region="br")).matches
    assert match.state_mismatch and match.decision == "alert"
    (same,) = matcher.match(make_read("ABC1234", region="us")).matches
    assert not same.state_mismatch and same.decision == "alert"
    (eu,) = matcher.match(make_read("RK123AB", region="eu")).matches
    assert not eu.state_mismatch


@pytest.mark.parametrize("guess", ["Canada", "Mexico", "br", "US-NV", "eu"])
def test_a_wrong_region_guess_never_hides_a_ca_hotlist_hit(tmp_path: Path, guess: str) -> None:
    """California's 7ABC123 read with the wrong country or state still alerts, flagged."""
    matcher = build(tmp_path, [("7ABC123", "CA")])
    result = matcher.match(make_read("7ABC123", region=guess))
    assert result.decision == "alert"
    assert [(m.entry_state, m.state_mismatch) for m in result.matches] == [("CA", True)]
    (batched,) = matcher.match_many([make_read("7ABC123", region=guess)])
    assert batched.decision == "alert"


def test_short_entries_match_only_exactly(matcher: Matcher) -> None:
    assert matcher.match(make_read("Q1")).decision == "alert"
    hesitant = make_read("O1", char_choices=choices_at("O1", 0, [("O", 0.5), ("Q", 0.5)]))
    assert matcher.match(hesitant).decision == "none"


def test_expired_entries_do_not_match(tmp_path: Path) -> None:
    path = tmp_path / "i.pwx"
    write_index(path, [NCIC], [(1, 1, "OLD1234", "CA", 1_000_000)], [(1, 1)])
    assert Matcher(IndexFile(path)).match(make_read("OLD1234")).decision == "none"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plates=st.lists(PLATES, min_size=1, max_size=30, unique=True), data=st.data())
def test_every_listed_plate_read_exactly_alerts(
    tmp_path_factory: pytest.TempPathFactory, plates: list[str], data: st.DataObject
) -> None:
    matcher = build(tmp_path_factory.mktemp("p"), [(p, "") for p in plates])
    plate = data.draw(st.sampled_from(plates))
    result = matcher.match(make_read(plate, confidence=0.99))
    assert result.decision == "alert"
    assert any(m.entry_plate == plate and m.kind == "exact" for m in result.matches)
    hesitant = make_read(plate, char_choices=choices_at(plate, 0, [(plate[0], 0.6)]))
    exact = [m for m in matcher.match(hesitant).matches if m.entry_plate == plate]
    assert exact and exact[0].decision == "verify"  # the reader itself was unsure


@settings(max_examples=60, deadline=None)
@given(plate=PLATES, data=st.data())
def test_an_equivalent_misread_is_found_when_the_reader_offers_the_true_character(
    plate: str, data: st.DataObject
) -> None:
    positions = [i for i, c in enumerate(plate) if c in EQUIV]
    assume(positions)
    i = data.draw(st.sampled_from(positions))
    wrong = data.draw(st.sampled_from([c for c in EQUIV[plate[i]] if c != plate[i]]))
    misread = plate[:i] + wrong + plate[i + 1 :]
    assert canonical(misread) == canonical(plate)
    matcher = _shared_matcher(plate)
    read = make_read(misread, char_choices=choices_at(misread, i, [(wrong, 0.5), (plate[i], 0.45)]))
    found = {m.entry_plate: m for m in matcher.match(read).matches}
    assert plate in found and found[plate].kind == "equivalent"
    assert found[plate].decision == "verify"


@settings(max_examples=80, deadline=None)
@given(plate=PLATES, other=PLATES)
def test_a_confident_read_of_a_different_plate_never_alerts(plate: str, other: str) -> None:
    assume(canonical(plate) != canonical(other))
    result = _shared_matcher(plate).match(make_read(other, confidence=0.995))
    assert result.decision == "none"


_MATCHERS: dict[str, Matcher] = {}


def _shared_matcher(plate: str) -> Matcher:
    if plate not in _MATCHERS:
        if len(_MATCHERS) > 200:
            _MATCHERS.clear()
        _MATCHERS[plate] = build(Path(tempfile.mkdtemp(prefix="pw-match-")), [(plate, "")])
    return _MATCHERS[plate]


def test_resident_reads_stay_silent_on_their_own_site_list_only(tmp_path: Path) -> None:
    from hotlist.matcher import SafeEntry

    base = build(
        tmp_path, [("RES1234", ""), ("RES1234", "CA")], lists=[NCIC, HOA], owner={"RES1234": 2}
    )
    safe: dict[int, dict[str, tuple[SafeEntry, ...]]] = {
        7: {canonical("RES1234"): (SafeEntry("RES1234", None, "Unit 4", 0),)}
    }
    matcher = Matcher(base.index, safe)
    at_home = matcher.match(make_read("RES1234"), site_id=7)
    assert at_home.resident and at_home.decision == "resident"
    elsewhere = matcher.match(make_read("RES1234"), site_id=8)
    assert not elsewhere.resident and elsewhere.decision == "alert"


def test_letters_the_reader_tells_apart_by_shape_need_its_own_doubt(matcher: Matcher) -> None:
    # O and D are both letters: a reader sure of the O saw its round side, so the listed D
    # needs the reader's own doubt, where the digit 0 (drawn like O) needs none.
    listed = build(Path(tempfile.mkdtemp(prefix="pw-shape-")), [("ABD1234", ""), ("AB01234", "")])
    found = {m.entry_plate: m for m in listed.match(make_read("ABO1234", confidence=0.99)).matches}
    assert set(found) == {"AB01234"} and found["AB01234"].decision == "verify"
    hesitant = make_read(
        "ABO1234", char_choices=choices_at("ABO1234", 2, [("O", 0.6), ("D", 0.35)])
    )
    assert "ABD1234" in {m.entry_plate for m in listed.match(hesitant).matches}


def test_two_confident_twin_swaps_are_not_a_match(tmp_path: Path) -> None:
    listed = build(tmp_path, [("8DJO529", ""), ("BDJO529", "")])
    one = listed.match(make_read("BDJ0529", confidence=0.99))
    assert [(m.entry_plate, m.decision) for m in one.matches] == [("BDJO529", "verify")]
    two = build(tmp_path / "two", [("8DJO529", "")]).match(make_read("BDJ0529", confidence=0.99))
    assert two.decision == "none"


def test_an_extra_character_the_reader_doubted_is_taken_for_an_emblem(tmp_path: Path) -> None:
    listed = build(tmp_path, [("AG4V3U", "")])
    doubted = make_read(
        "AG4AV3U", char_choices=choices_at("AG4AV3U", 3, [("A", 0.55), ("4", 0.1)], 0.99)
    )
    (match,) = listed.match(doubted).matches
    assert (match.entry_plate, match.kind, match.decision) == ("AG4V3U", "edit", "verify")
    assert listed.match(make_read("AG4AV3U", confidence=0.99)).decision == "none"


READS = st.builds(
    lambda plate, hesitate, runner, alt, region: make_read(
        plate,
        char_choices=choices_at(
            plate, hesitate % len(plate), [(plate[hesitate % len(plate)], 0.6), (runner, 0.3)]
        ),
        alternatives=(Alternative(plate=alt, confidence=0.2),) if alt else (),
        region=region,
    ),
    plate=st.text(alphabet="ABC0O1I8B5S", min_size=4, max_size=8),
    hesitate=st.integers(0, 7),
    runner=st.sampled_from("A0O1I8BX"),
    alt=st.one_of(st.just(""), st.text(alphabet="ABC0O1I8B5S", min_size=4, max_size=8)),
    region=st.sampled_from([None, "us", "br"]),
)


@settings(max_examples=40, deadline=None)
@given(
    plates=st.lists(
        st.text(alphabet="ABC0O1I8B5S", min_size=4, max_size=8), min_size=1, max_size=40
    ),
    reads=st.lists(READS, min_size=1, max_size=30),
    sites=st.lists(st.sampled_from([None, 7, 8]), min_size=30, max_size=30),
)
def test_a_batch_is_matched_exactly_as_read_by_read(
    plates: list[str], reads: list[PlateRead], sites: list[int | None]
) -> None:
    from hotlist.matcher import SafeEntry

    entries = [(p, "CA" if i % 3 else "") for i, p in enumerate(plates)] + [("AB?0*", "")]
    base = build(Path(tempfile.mkdtemp(prefix="pw-batch-")), entries)
    safe: dict[int, dict[str, tuple[SafeEntry, ...]]] = {
        7: {canonical(plates[0]): (SafeEntry(plates[0], None, "Unit 1", 0),)}
    }
    matcher = Matcher(base.index, safe)
    site_ids = sites[: len(reads)]
    one_by_one = [matcher.match(r, site_id=s) for r, s in zip(reads, site_ids, strict=True)]
    assert matcher.match_many(reads, site_ids=site_ids) == one_by_one
