"""One reading from two recognizers: PP-OCRv4's CTC frames and CCT's fixed slots, with formats.

The two models segment a plate differently (CTC emits per column of the crop, CCT per slot with
a pad after the last character), so they are aligned on whole texts rather than frame by slot:
each candidate text is scored by its CTC forward probability under PP-OCRv4 (summed over every
path spelling it, blank and separator alike), by the probability of its characters and then
pads under CCT's slots, and by the region's format prior (a text no listed format spells pays
`free_penalty` nats). Candidates are both models' free readings of every crop, CCT's format-
constrained ones, and from the best of them the per-position best of the fused score, repeated
until no single character change scores higher.

Per position, the character shares are the fused score of the text with that one character
changed, so the char confidences, runner-ups and the matcher's verify tier see what both
models and the format think of every character.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alpr.cct import FORMAT_REGIONS, PAD, CctOutput, slot_reading
from alpr.ctc import (
    ALPHABET,
    SEPARATOR,
    TOP_CHOICES,
    Reading,
    greedy_reading,
)
from alpr.formats import (
    FREE_PENALTY,
    MAX_CHARS,
    MIN_CHARS,
    pattern_region,
    patterns_for,
    substitute,
)

_NEG = -1e9
_LETTER = frozenset(ALPHABET[:26])
REFINE_ROUNDS = 3


@dataclass(frozen=True)
class FusionWeights:
    """How much each source counts (log-linear), and how sharp the per-character shares are."""

    ctc: float = 1.0
    cct: float = 1.0
    free_penalty: float = FREE_PENALTY
    sharpness: float = 1.0


@dataclass(frozen=True)
class PlateEvidence:
    """What the recognizers saw of one plate: CTC matrices and CCT outputs of its crops."""

    ctc: tuple[np.ndarray, ...]
    cct: tuple[CctOutput, ...]


def ctc_log_probs(q: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    """log P(text | crop) under CTC for each text (separators count as blank)."""
    out = np.full(len(texts), _NEG)
    if len(q) == 0:
        return out
    merged = np.column_stack([q[:, 0] + q[:, SEPARATOR], q[:, 1:SEPARATOR]])
    merged = np.maximum(merged, 1e-12)
    by_length: dict[int, list[int]] = {}
    for k, text in enumerate(texts):
        by_length.setdefault(len(text), []).append(k)
    for length, ks in by_length.items():
        if 0 < length <= len(q):
            labels = np.array([[1 + ALPHABET.index(c) for c in texts[k]] for k in ks])
            out[ks] = _forward(merged, labels)
    return out


def _forward(q: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """CTC forward over a batch of equal-length labels, in probability space rescaled every
    frame (the log of the scales sums to the log-probability)."""
    batch, n = labels.shape
    ext = np.zeros((batch, 2 * n + 1), np.int64)
    ext[:, 1::2] = labels
    skip = np.zeros(ext.shape)
    skip[:, 3::2] = labels[:, 1:] != labels[:, :-1]
    skip = skip[:, 2:]
    emit = q[:, ext]  # frames x batch x states
    alpha = np.zeros(ext.shape)
    alpha[:, :2] = emit[0, :, :2]
    log_scale = np.zeros(batch)
    step = np.empty_like(alpha)
    for t in range(1, len(q)):
        step[:] = alpha
        step[:, 1:] += alpha[:, :-1]
        step[:, 2:] += alpha[:, :-2] * skip
        alpha = step * emit[t]
        scale = alpha.max(axis=1, keepdims=True)
        scale = np.maximum(scale, 1e-300)
        alpha /= scale
        log_scale += np.log(scale[:, 0])
    end = alpha[:, -1] + alpha[:, -2]
    result: np.ndarray = np.log(np.maximum(end, 1e-300)) + log_scale
    return result


def cct_log_probs(slots: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    """log P(text) under CCT's slots: each character in its slot, then pads to the end."""
    log_s = np.log(np.maximum(slots, 1e-9))
    pad_tail = np.concatenate([np.cumsum(log_s[::-1, PAD])[::-1], [0.0]])
    out = np.full(len(texts), _NEG)
    for k, text in enumerate(texts):
        if len(text) <= len(slots):
            cols = [ALPHABET.index(c) for c in text]
            out[k] = float(log_s[np.arange(len(text)), cols].sum() + pad_tail[len(text)])
    return out


class _Scorer:
    """The fused score of texts for one plate, cached per text."""

    def __init__(self, evidence: PlateEvidence, region: str | None, weights: FusionWeights):
        self.evidence = evidence
        self.weights = weights
        self.patterns = [p for p, _ in patterns_for(region)]
        self.cache: dict[str, float] = {}

    def pattern_of(self, text: str) -> str | None:
        for pattern in self.patterns:
            if len(pattern) == len(text) and all(
                p == "A" or (p == "L") == (c in _LETTER) for p, c in zip(pattern, text, strict=True)
            ):
                return pattern
        return None

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            total = np.zeros(len(todo))
            w = self.weights
            if w.ctc and self.evidence.ctc:
                total += w.ctc * np.max([ctc_log_probs(q, todo) for q in self.evidence.ctc], axis=0)
            if w.cct and self.evidence.cct:
                total += w.cct * np.max(
                    [cct_log_probs(o.slots, todo) for o in self.evidence.cct], axis=0
                )
            for text, value in zip(todo, total, strict=True):
                prior = 0.0 if self.pattern_of(text) else -w.free_penalty
                self.cache[text] = float(value) + prior
        return np.array([self.cache[t] for t in texts])


def _candidates(
    evidence: PlateEvidence, patterns: Sequence[str], weights: FusionWeights
) -> set[str]:
    """Both models' free readings of every crop, and CCT's under each format (CTC's
    format-constrained paths add nothing here that the refinement does not find)."""
    found: list[Reading | None] = []
    if weights.ctc:
        found += [greedy_reading(q) for q in evidence.ctc]
    for output in evidence.cct if weights.cct else ():
        found.append(slot_reading(output.slots, None))
        found += [slot_reading(output.slots, p) for p in patterns]
    return {r.text for r in found if r is not None and MIN_CHARS <= len(r.text) <= MAX_CHARS}


def _substitutions(text: str) -> list[str]:
    return [text[:i] + c + text[i + 1 :] for i in range(len(text)) for c in ALPHABET]


def _refine(scorer: _Scorer, text: str) -> tuple[str, np.ndarray]:
    """Change single characters while that raises the fused score; the final text's
    (positions x 36) matrix of scores with each position's character replaced."""
    for _ in range(REFINE_ROUNDS):
        grid = scorer.scores(_substitutions(text)).reshape(len(text), len(ALPHABET))
        best = grid.argmax(axis=1)
        improved = "".join(ALPHABET[int(j)] for j in best)
        if improved == text or scorer.scores([improved])[0] <= scorer.scores([text])[0]:
            return text, grid
        text = improved
    return text, scorer.scores(_substitutions(text)).reshape(len(text), len(ALPHABET))


def _reading(
    text: str, grid: np.ndarray, score: float, pattern: str | None, sharpness: float
) -> Reading:
    probs, choices = [], []
    for i, char in enumerate(text):
        logits = sharpness * (grid[i] - grid[i].max())
        share = np.exp(logits) / np.exp(logits).sum()
        chosen = ALPHABET.index(char)
        order = [chosen] + [int(j) for j in np.argsort(-share) if int(j) != chosen]
        probs.append(round(float(share[chosen]), 4))
        choices.append(tuple((ALPHABET[j], round(float(share[j]), 4)) for j in order[:TOP_CHOICES]))
    return Reading(
        text=text,
        char_probs=tuple(probs),
        char_choices=tuple(choices),
        log_prob=score,
        frames=1,
        pattern=pattern,
    )


def fuse(
    evidence: PlateEvidence, region: str | None, weights: FusionWeights | None = None
) -> tuple[Reading, str | None] | None:
    """The best text under both recognizers and the formats, with fused per-character shares;
    the region is the camera's, else the format's, else CCT's country (a hint only)."""
    weights = weights or FusionWeights()
    scorer = _Scorer(evidence, region, weights)
    texts = sorted(_candidates(evidence, scorer.patterns, weights))
    if not texts:
        return None
    scores = scorer.scores(texts)
    text, grid = _refine(scorer, texts[int(scores.argmax())])
    pattern = scorer.pattern_of(text)
    reading = _reading(text, grid, scorer.scores([text])[0], pattern, weights.sharpness)
    chosen_region = pattern_region(pattern, region)
    if chosen_region is not None:
        return substitute(reading, chosen_region), chosen_region
    named = [o for o in evidence.cct if o.region is not None]
    country = max(named, key=lambda o: o.region_p).region if named else None
    # The country head picks the glyph convention (US plates print O as 0), nothing more.
    return substitute(reading, FORMAT_REGIONS.get(country or "")), country
