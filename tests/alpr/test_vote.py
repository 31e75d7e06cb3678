from __future__ import annotations

from alpr.ctc import Reading
from alpr.vote import reading_weight, vote


def reading(text: str, p: float = 0.95, runner_up: str | None = None) -> Reading:
    choices = tuple(
        ((c, p), (runner_up or "Z", round(1 - p, 4))) if c != (runner_up or "Z") else ((c, p),)
        for c in text
    )
    return Reading(text, tuple(p for _ in text), choices, 0.0, 20)


def test_two_clear_frames_outvote_a_blurred_one() -> None:
    result = vote(
        [(reading("7ABC123"), 1.0), (reading("7ABC123"), 1.0), (reading("1ABC123", 0.6), 0.6)]
    )
    assert result is not None
    assert result.text == "7ABC123"
    assert result.support == 3
    assert result.char_confidences[0] < result.char_confidences[1]
    assert ("1ABC123", round(0.6 / 2.6, 4)) in result.alternatives


def test_probabilities_of_second_choices_count() -> None:
    # Each frame is unsure between 8 and B; together they agree B is likelier.
    ballots = [
        (Reading("AB", (0.9, 0.55), ((("A", 0.9),), (("B", 0.55), ("8", 0.45))), 0, 9), 1.0),
        (Reading("A8", (0.9, 0.5), ((("A", 0.9),), (("8", 0.5), ("B", 0.48))), 0, 9), 1.0),
    ]
    result = vote(ballots)
    assert result is not None and result.text == "AB"
    assert result.char_choices[1][1][0] == "8"


def test_most_supported_length_wins_and_empty_is_none() -> None:
    result = vote([(reading("ABC123"), 1.0), (reading("ABC1234"), 0.4), (reading("ABC123"), 1.0)])
    assert result is not None and result.text == "ABC123"
    assert any(text == "ABC1234" for text, _ in result.alternatives)
    assert vote([]) is None
    assert vote([(Reading("", (), (), 0.0, 5), 1.0)]) is None


def test_weight_prefers_sure_readings_of_sure_detections() -> None:
    assert reading_weight(reading("AB", 0.9), 0.9) > reading_weight(reading("AB", 0.5), 0.9)
    assert reading_weight(reading("AB", 0.9), 0.9) > reading_weight(reading("AB", 0.9), 0.3)
