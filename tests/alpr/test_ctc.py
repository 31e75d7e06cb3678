from __future__ import annotations

import numpy as np

from alpr.ctc import ALPHABET, SEPARATOR, constrained_reading, greedy_reading

BLANK = 0


def frames(*columns: dict[str, float]) -> np.ndarray:
    """A probability matrix from per-frame {class: p}; '_' is blank, '-' the separator."""
    q = np.full((len(columns), SEPARATOR + 1), 1e-4, np.float32)
    for t, column in enumerate(columns):
        for name, p in column.items():
            index = {"_": BLANK, "-": SEPARATOR}.get(name)
            q[t, index if index is not None else 1 + ALPHABET.index(name)] = p
    normalized: np.ndarray = q / q.sum(axis=1, keepdims=True)
    return normalized


def spell(text: str) -> list[dict[str, float]]:
    out: list[dict[str, float]] = []
    for char in text:
        out += [{char: 0.9, "_": 0.1}, {"_": 0.9}]
    return out


def test_greedy_merges_repeats_and_drops_blanks_and_separators() -> None:
    q = frames({"A": 0.9}, {"A": 0.9}, {"_": 0.9}, {"A": 0.9}, {"-": 0.9}, {"7": 0.9})
    reading = greedy_reading(q)
    assert reading.text == "AA7"
    assert len(reading.char_probs) == 3
    assert reading.char_choices[2][0][0] == "7"


def test_constrained_turns_o_into_zero_where_a_digit_goes() -> None:
    columns = spell("AB12C")
    columns[4] = {"O": 0.6, "0": 0.35, "_": 0.05}  # the recognizer prefers O at position 3
    q = frames(*columns)
    assert greedy_reading(q).text == "ABO2C"
    constrained = constrained_reading(q, "LLNNL")
    assert constrained is not None
    assert constrained.text == "AB02C"
    # Under the format the digit is sure; the letter stays as a weak candidate for the matcher.
    choices = dict(constrained.char_choices[2])
    assert choices["0"] > 0.8 and 0 < choices["O"] < 0.2


def test_constrained_lets_an_emblem_fall_to_blank() -> None:
    columns = [*spell("KC4"), {"M": 0.5, "_": 0.45}, {"_": 0.9}, *spell("Z3X")]
    q = frames(*columns)
    assert greedy_reading(q).text == "KC4MZ3X"
    reading = constrained_reading(q, "LLNLNL")
    assert reading is not None and reading.text == "KC4Z3X"
    assert reading.log_prob < greedy_reading(q).log_prob


def test_equal_neighbours_need_a_blank_between() -> None:
    q = frames({"A": 0.9}, {"A": 0.9}, {"7": 0.9})
    reading = constrained_reading(q, "LLN")
    # Two A's without a blank between are one A in CTC, so "AA7" cannot be spelled here.
    assert reading is None or not reading.text.startswith("AA")


def test_impossible_format_is_none() -> None:
    assert constrained_reading(frames({"A": 0.9}, {"B": 0.9}), "LLL") is None
