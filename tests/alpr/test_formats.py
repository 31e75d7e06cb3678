from __future__ import annotations

import numpy as np

from alpr.formats import FORMATS, choose_reading, pattern_region, patterns_for, read_plate

from .test_ctc import frames, spell


def test_brazilian_reading_follows_the_format() -> None:
    columns = spell("ABC1234")
    columns[2] = {"B": 0.55, "8": 0.4, "_": 0.05}  # B read where the format has a letter...
    columns[6] = {"I": 0.55, "1": 0.4, "_": 0.05}  # ...and I where it has a digit
    reading, _ = read_plate(frames(*columns), "br")
    assert reading.text == "ABC1234"
    assert reading.pattern == "LLLNNNN"


def test_vanity_plate_keeps_the_free_reading() -> None:
    reading, _ = read_plate(frames(*spell("GWAGEN")), "eu")
    assert reading.text == "GWAGEN"
    assert reading.pattern is None


def test_us_reads_o_as_zero_and_merges_the_choices() -> None:
    columns = spell("HL0KTY1")
    columns[4] = {"O": 0.7, "0": 0.25, "_": 0.05}
    reading, _ = read_plate(frames(*columns), "us")
    assert reading.text == "HL0KTY1"
    chars = [c for c, _ in reading.char_choices[2]]
    assert chars.count("0") == 1 and "O" not in chars


def test_region_is_inferred_only_from_a_format_unique_to_it() -> None:
    assert pattern_region("NLLLNNN", None) == "us"
    assert pattern_region("LLLNNNN", None) is None  # BR, EU and US all issue it
    assert pattern_region(None, "eu") == "eu"
    assert len({p for p, _ in patterns_for(None)}) == len(patterns_for(None))
    assert all(p in {q for q, _ in patterns_for(None)} for pats in FORMATS.values() for p in pats)


def test_choose_reading_takes_the_surest_crop_and_skips_junk() -> None:
    clear = frames(*spell("7ABC123"))
    muddy = frames(*[{k: 0.4, "_": 0.6} for k in "7A8C1Z3"])
    reading, region = choose_reading([muddy, clear], None) or (None, None)
    assert reading is not None and reading.text == "7ABC123"
    assert region == "us"
    assert choose_reading([frames({"_": 0.99})], None) is None
    assert choose_reading([np.zeros((0, 38), np.float32)], None) is None
