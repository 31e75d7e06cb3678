"""The text of a vehicle pass: a confidence-weighted vote per character over its frames.

Frames disagree (a 7 in one frame, a 1 in the next as the plate blurs); each frame's reading
votes for every candidate it saw at each position with weight x probability, so two clear frames
outvote one blurred frame, and a character read as 8 with 0.6 and B with 0.4 gives weight to
both. Readings of the most supported length vote; the others only count as alternatives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from alpr.ctc import Reading

MAX_ALTERNATIVES = 3


@dataclass(frozen=True)
class Vote:
    text: str
    char_confidences: tuple[float, ...]
    char_choices: tuple[tuple[tuple[str, float], ...], ...]
    alternatives: tuple[tuple[str, float], ...]
    support: int

    @property
    def confidence(self) -> float:
        """The weakest character's share of the vote."""
        return min(self.char_confidences, default=0.0)


def reading_weight(reading: Reading, detector_confidence: float) -> float:
    """How much one frame's reading counts: sure readings of sure detections most."""
    return max(1e-3, detector_confidence) * max(1e-3, reading.confidence)


def vote(ballots: Sequence[tuple[Reading, float]]) -> Vote | None:
    """Combine (reading, weight) ballots into one text; None without a non-empty reading."""
    ballots = [(r, w) for r, w in ballots if r.text]
    if not ballots:
        return None
    by_length: dict[int, float] = defaultdict(float)
    for reading, weight in ballots:
        by_length[len(reading.text)] += weight
    length = max(by_length, key=lambda n: (by_length[n], n))
    voters = [(r, w) for r, w in ballots if len(r.text) == length]
    total = sum(w for _, w in voters)
    positions: list[dict[str, float]] = [defaultdict(float) for _ in range(length)]
    for reading, weight in voters:
        for slot, choices in zip(positions, reading.char_choices, strict=True):
            for char, share in choices:
                slot[char] += weight * share
    text, confidences, choices_out = "", [], []
    for slot in positions:
        ranked = sorted(slot.items(), key=lambda kv: -kv[1])
        text += ranked[0][0]
        confidences.append(round(min(1.0, ranked[0][1] / total), 4))
        choices_out.append(tuple((c, round(min(1.0, v / total), 4)) for c, v in ranked[:3]))
    return Vote(
        text=text,
        char_confidences=tuple(confidences),
        char_choices=tuple(choices_out),
        alternatives=_alternatives(text, ballots, choices_out),
        support=len(voters),
    )


def _alternatives(
    text: str,
    ballots: Sequence[tuple[Reading, float]],
    choices: Sequence[tuple[tuple[str, float], ...]],
) -> tuple[tuple[str, float], ...]:
    """Other whole-plate readings: texts frames actually read, then the weakest-character swap."""
    weights: dict[str, float] = defaultdict(float)
    total = sum(w for _, w in ballots)
    for reading, weight in ballots:
        weights[reading.text] += weight
    found = {t: w / total for t, w in weights.items() if t != text}
    if choices:
        weakest = min(range(len(choices)), key=lambda i: choices[i][0][1])
        if len(choices[weakest]) > 1:
            runner_up, share = choices[weakest][1]
            swapped = text[:weakest] + runner_up + text[weakest + 1 :]
            found.setdefault(swapped, share)
    ranked = sorted(found.items(), key=lambda kv: -kv[1])[:MAX_ALTERNATIVES]
    return tuple((t, round(min(1.0, c), 4)) for t, c in ranked)
