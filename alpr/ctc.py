"""CTC decoding of plate text: greedy, and constrained to a plate format.

Input everywhere is a (frames x 38) probability matrix: column 0 blank, 1-36 A-Z then 0-9, 37 a
separator (space, dash, dot) that is decoded like a blank. The constrained decoder finds the best
CTC path whose text has exactly the format's length with letters and digits where the format
puts them, so an emblem between characters can fall to blank and an O in a digit place becomes
the 0 the recognizer also saw, using the recognizer's own probabilities rather than a lookup.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

ALPHABET = string.ascii_uppercase + string.digits
SEPARATOR = len(ALPHABET) + 1
TOP_CHOICES = 3
FORMAT_DOUBT = 0.05
_NEG = -1e9
_IS_LETTER = np.array([c.isalpha() for c in ALPHABET])
CLASS_MASKS = {
    "L": _IS_LETTER,
    "N": ~_IS_LETTER,
    "A": np.ones(len(ALPHABET), bool),
}


@dataclass(frozen=True)
class Reading:
    """One decoded text with per-character probabilities and ranked candidates."""

    text: str
    char_probs: tuple[float, ...]
    char_choices: tuple[tuple[tuple[str, float], ...], ...]
    log_prob: float
    frames: int
    pattern: str | None = None

    @property
    def confidence(self) -> float:
        """The weakest character: a plate is only as sure as its least sure character."""
        return min(self.char_probs, default=0.0)

    @property
    def score(self) -> float:
        """Path log-probability per frame, comparable between crops of different widths."""
        return self.log_prob / max(1, self.frames)


def _choices(share: np.ndarray, chosen: int) -> tuple[tuple[str, float], ...]:
    """Top candidates for one position, the chosen one first."""
    order = [chosen] + [int(i) for i in np.argsort(-share) if int(i) != chosen]
    return tuple((ALPHABET[i], round(float(share[i]), 4)) for i in order[:TOP_CHOICES])


def _reading(
    q: np.ndarray, groups: list[list[int]], chars: list[int], log_prob: float, pattern: str | None
) -> Reading:
    """Per position: the candidates' share of the position's mass; under a format, candidates
    of the wrong kind (a letter where a digit goes) keep only `FORMAT_DOUBT` of their weight,
    so a 1 that the recognizer rated below I becomes the sure digit it is, while I stays on
    the list for the matcher."""
    probs, choices = [], []
    for i, (frames, char) in enumerate(zip(groups, chars, strict=True)):
        position = q[frames, 1:SEPARATOR].max(axis=0)
        if pattern is not None:
            position = position * np.where(CLASS_MASKS[pattern[i]], 1.0, FORMAT_DOUBT)
        share = position / max(float(position.sum()), 1e-9)
        probs.append(round(float(share[char]), 4))
        choices.append(_choices(share, char))
    return Reading(
        text="".join(ALPHABET[c] for c in chars),
        char_probs=tuple(probs),
        char_choices=tuple(choices),
        log_prob=log_prob,
        frames=len(q),
        pattern=pattern,
    )


def greedy_reading(q: np.ndarray) -> Reading:
    """Best class per frame, repeats merged, blanks and separators dropped."""
    best = q.argmax(axis=1)
    groups: list[list[int]] = []
    chars: list[int] = []
    previous = -1
    for t, cls in enumerate(best.tolist()):
        if cls not in (0, SEPARATOR):
            if cls == previous:
                groups[-1].append(t)
            else:
                groups.append([t])
                chars.append(cls - 1)
        previous = cls
    log_prob = float(np.log(np.maximum(q.max(axis=1), 1e-9)).sum())
    return _reading(q, groups, chars, log_prob, None)


def constrained_reading(q: np.ndarray, pattern: str) -> Reading | None:
    """Best CTC path spelling `pattern` (L letter, N digit, A either), or None if impossible."""
    n, frames = len(pattern), len(q)
    if frames < n:
        return None
    skip = np.log(np.maximum(np.maximum(q[:, 0], q[:, SEPARATOR]), 1e-9))
    emit = np.log(np.maximum(q[:, 1:SEPARATOR], 1e-9))
    mask = np.stack([np.where(CLASS_MASKS[p], 0.0, _NEG) for p in pattern])
    blank = np.full(n + 1, _NEG)
    char = np.full((n, len(ALPHABET)), _NEG)
    blank[0], char[0] = skip[0], emit[0] + mask[0]
    # Back-pointers: per char state 0 stay, 1 from the blank before, 2 from the previous char.
    from_kind = np.zeros((frames, n, len(ALPHABET)), np.int8)
    from_char = np.zeros((frames, n, len(ALPHABET)), np.int16)
    blank_from = np.full((frames, n + 1), -1, np.int16)
    rows = np.arange(n - 1)
    for t in range(1, frames):
        best_char, best_idx = char.max(axis=1), char.argmax(axis=1)
        new_blank = blank.copy()
        better = best_char > blank[1:]
        new_blank[1:] = np.maximum(blank[1:], best_char)
        blank_from[t, 1:] = np.where(better, best_idx, -1)
        prev_char = np.full((n, len(ALPHABET)), _NEG)
        prev_idx = np.zeros((n, len(ALPHABET)), np.int16)
        if n > 1:
            # CTC needs a blank between two equal characters, so from char c' != c only.
            runner_up = char[:-1].copy()
            runner_up[rows, best_idx[:-1]] = _NEG
            second, second_idx = runner_up.max(axis=1), runner_up.argmax(axis=1)
            same = np.arange(len(ALPHABET))[None] == best_idx[:-1, None]
            prev_char[1:] = np.where(same, second[:, None], best_char[:-1, None])
            prev_idx[1:] = np.where(same, second_idx[:, None], best_idx[:-1, None])
        candidates = np.stack([char, np.broadcast_to(blank[:-1, None], char.shape), prev_char])
        from_kind[t] = candidates.argmax(axis=0)
        from_char[t] = prev_idx
        char = candidates.max(axis=0) + emit[t][None] + mask
        blank = new_blank + skip[t]
    return _backtrack(q, pattern, (blank, char), (from_kind, from_char, blank_from))


def _backtrack(
    q: np.ndarray,
    pattern: str,
    final: tuple[np.ndarray, np.ndarray],
    pointers: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> Reading | None:
    """Walk the back-pointers from the best final state to the characters' frames."""
    blank, char = final
    from_kind, from_char, blank_from = pointers
    n = len(pattern)
    end_char = float(char[n - 1].max())
    log_prob = max(float(blank[n]), end_char)
    if log_prob < _NEG / 2:
        return None
    on_char, position = end_char > blank[n], n - 1 if end_char > blank[n] else n
    current = int(char[n - 1].argmax())
    groups: list[list[int]] = [[] for _ in range(n)]
    chars = [-1] * n
    for t in range(len(q) - 1, -1, -1):
        if on_char:
            groups[position].append(t)
            chars[position] = current
            if t == 0:
                break
            kind = int(from_kind[t, position, current])
            if kind == 1:
                on_char = False
            elif kind == 2:
                current, position = int(from_char[t, position, current]), position - 1
        else:
            if t == 0:
                break
            source = int(blank_from[t, position])
            if source >= 0:
                on_char, current, position = True, source, position - 1
    if min(chars) < 0:
        return None
    return _reading(q, [sorted(g) for g in groups], chars, log_prob, pattern)
