"""Normalization and lookup keys: the properties every probe relies on."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpr.read import normalize_plate
from hotlist.plates import (
    EQUIVALENCE_CLASSES,
    MAX_KEY_LENGTH,
    canonical,
    confusion,
    key_of,
    normalize_entry_plate,
)
from org.regions import state_code, states_conflict

ALNUM = string.ascii_uppercase + string.digits
PLATE = st.text(alphabet=ALNUM, min_size=1, max_size=MAX_KEY_LENGTH)


@given(st.text(max_size=20))
def test_normalize_keeps_only_upper_alnum_and_is_idempotent(raw: str) -> None:
    plate = normalize_plate(raw)
    assert set(plate) <= set(ALNUM)
    assert normalize_plate(plate) == plate


@given(PLATE)
def test_canonical_is_idempotent_and_keeps_length(plate: str) -> None:
    assert canonical(canonical(plate)) == canonical(plate)
    assert len(canonical(plate)) == len(plate)


@given(PLATE, st.data())
def test_equivalent_spellings_share_one_key(plate: str, data: st.DataObject) -> None:
    classes = {c: cls for cls in EQUIVALENCE_CLASSES for c in cls}
    spelled = "".join(data.draw(st.sampled_from(classes.get(c, c))) for c in plate)
    assert key_of(canonical(spelled)) == key_of(canonical(plate))


@given(PLATE, PLATE)
def test_keys_of_different_canonical_plates_differ(a: str, b: str) -> None:
    ca, cb = canonical(a), canonical(b)
    assert (key_of(ca) == key_of(cb)) == (ca == cb)
    assert key_of(ca) < 2**64


def test_confusions_are_likelier_inside_equivalence_classes() -> None:
    assert confusion("0", "O") > confusion("7", "2") > 0
    assert confusion("B", "8") == confusion("8", "B")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc-123", "ABC123"),
        (" 7 xyz 123 ", "7XYZ123"),
        ("ab?1*", "AB?1*"),
        ("ab.12.cd", "AB12CD"),
    ],
)
def test_entry_plates_are_normalized(raw: str, expected: str) -> None:
    assert normalize_entry_plate(raw) == expected


def test_states_and_regions() -> None:
    assert state_code(" ca ") == "CA" and state_code("bra") == "BRA" and state_code("") is None
    with pytest.raises(ValueError, match="three-letter ISO country code"):
        state_code("BR")
    assert states_conflict("br", "CA") and states_conflict("US-NY", "CA")
    assert not states_conflict("us", "CA") and not states_conflict("eu", "SVK")
    assert not states_conflict(None, "CA") and not states_conflict("martian", "CA")
    assert not states_conflict("br", None)
