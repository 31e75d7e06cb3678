"""Plate-format priors per region, and the choice of one reading among a plate's crops.

Formats are public knowledge about how plates are issued, not learned from any data set:
L is a letter, N a digit. A reading is pulled onto a format only when the recognizer's own
probabilities for the formatted path come within `FREE_PENALTY` nats of its unconstrained best
path; vanity plates and formats not listed keep the free reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from alpr.ctc import Reading, constrained_reading, greedy_reading

FORMATS: dict[str, tuple[str, ...]] = {
    # Brazil: the pre-2018 grey plates ABC1234 and the Mercosur ABC1D23.
    "br": ("LLLNNNN", "LLLNLNN"),
    # Europe: IT/FR/SK/HR AB123CD, ES 1234ABC, UK AB12CDE, CZ 1A2 3456 and 1AB 2345,
    # PL/CZ/AT ABC1234 and AB12345.
    "eu": ("LLNNNLL", "NNNNLLL", "LLNNLLL", "NLNNNNN", "NLLNNNN", "LLLNNNN", "LLNNNNN"),
    # United States: CA 1ABC234, the many states' ABC1234, older ABC123 and 123ABC.
    "us": ("NLLLNNN", "LLLNNNN", "LLLNNN", "NNNLLL"),
}
# Most US states print O and 0 with one glyph and leave the letter O out of serial plates, and
# hotlists key them with the digit; the read follows that convention.
SUBSTITUTIONS: dict[str, dict[str, str]] = {"us": {"O": "0"}}
FREE_PENALTY = 4.0
MIN_CHARS = 2
MAX_CHARS = 10


def patterns_for(region: str | None) -> list[tuple[str, str]]:
    """(pattern, region) pairs to try; every region's when the camera's region is unset."""
    regions = [region] if region else list(FORMATS)
    pairs = [(p, r) for r in regions for p in FORMATS.get(r, ())]
    return list({p: (p, r) for p, r in reversed(pairs)}.values())


def pattern_region(pattern: str | None, region: str | None) -> str | None:
    """The region a reading belongs to: the camera's, or the only one whose formats match."""
    if region:
        return region
    if pattern is None:
        return None
    owners = [r for r, pats in FORMATS.items() if pattern in pats]
    return owners[0] if len(owners) == 1 else None


def substitute(reading: Reading, region: str | None) -> Reading:
    table = SUBSTITUTIONS.get(region or "", {})
    if not table or not any(c in table for c in reading.text):
        return reading
    text = "".join(table.get(c, c) for c in reading.text)
    choices = []
    for position in reading.char_choices:
        merged: dict[str, float] = {}
        for char, share in position:
            merged[table.get(char, char)] = round(merged.get(table.get(char, char), 0.0) + share, 4)
        choices.append(tuple(merged.items()))
    probs = tuple(
        max(p, dict(c).get(t, 0.0))
        for p, c, t in zip(reading.char_probs, choices, text, strict=True)
    )
    return replace(reading, text=text, char_choices=tuple(choices), char_probs=probs)


def read_plate(q: np.ndarray, region: str | None) -> tuple[Reading, float]:
    """The best reading of one crop and its selection score (higher is better)."""
    free = greedy_reading(q)
    best, best_score = free, free.log_prob - FREE_PENALTY
    for pattern, _owner in patterns_for(region):
        # A format more than one character away from the free text would need the recognizer
        # to have missed or invented two characters; not worth the decoding time.
        if abs(len(pattern) - len(free.text)) > 1:
            continue
        constrained = constrained_reading(q, pattern)
        if constrained is not None and constrained.log_prob > best_score:
            best, best_score = constrained, constrained.log_prob
    chosen_region = pattern_region(best.pattern, region)
    return substitute(best, chosen_region), best_score / max(1, len(q))


def choose_reading(
    probabilities: Sequence[np.ndarray], region: str | None
) -> tuple[Reading, str | None] | None:
    """Pick one reading among several crops of the same plate (tight, band, rectified)."""
    best: tuple[float, Reading] | None = None
    for q in probabilities:
        if len(q) == 0:
            continue
        reading, score = read_plate(q, region)
        if not MIN_CHARS <= len(reading.text) <= MAX_CHARS:
            continue
        if best is None or score > best[0]:
            best = (score, reading)
    if best is None:
        return None
    reading = best[1]
    return reading, pattern_region(reading.pattern, region)
