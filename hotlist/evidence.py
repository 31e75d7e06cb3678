"""How strongly a read supports a given plate: the score behind every match.

The recognizer gives, per position, its top candidates with probabilities. The score of an
entry is the probability of the entry's text under that distribution, position by position:
a character the recognizer offered counts with its probability; one it did not offer counts
with the mass it left unassigned times how often the read character is mistaken for the
entry's (`plates.confusion`). So an OCR-equivalent entry scores high only where the reader
itself hesitated, which is what keeps a million-entry list from flagging innocent drivers:
the read of a clean, confident plate does not drift to its neighbours.

The exception is a glyph twin: a letter and a digit that plate fonts draw alike (0/O, 1/I,
2/Z, 5/S, 8/B, 6/G, 0/D). Only the character's place in the plate's format tells them apart,
and a reader that does not know the format reads a Slovak "AO" as "A0" at 0.99; so the twin
keeps part of the score however sure the reader was (enough to verify, never a hit). Letters
among themselves (O/D/Q, I/L) differ in shape and get no such allowance, and only one
position of a read gets it: two confident twin swaps are two independent mistakes.

Every reader is overconfident sometimes, so no character is ever more than
`1 - char_error_floor` sure. A missing character costs `indel_likelihood`; an extra one is
as likely as the reader's own doubt about it (or the blank it offered), because the
characters readers make up are emblems, bolts and frame edges, read with low confidence.
"""

from __future__ import annotations

from alpr.read import PlateRead
from hotlist.plates import confusion, glyph_twins
from hotlist.settings import MatchSettings


class Evidence:
    """Per-position character probabilities of one read, worked out only for the positions
    a candidate asks about (most candidates agree with the read's own characters, and those
    need only the top choice)."""

    __slots__ = (
        "_cap",
        "_choices",
        "_confidences",
        "_dists",
        "_overall",
        "_sure",
        "floor",
        "indel",
        "text",
    )

    def __init__(self, read: PlateRead, settings: MatchSettings) -> None:
        text = read.plate
        n = len(text)
        self.text = text
        self.floor = settings.char_error_floor
        self._cap = 1 - settings.char_error_floor
        self.indel = settings.indel_likelihood
        self._choices = read.char_choices if len(read.char_choices) == n else ()
        self._confidences = read.char_confidences if len(read.char_confidences) == n else ()
        self._overall = read.confidence ** (1 / n) if n else 0.0
        self._dists: list[tuple[dict[str, float], float, float] | None] = [None] * n
        self._sure: list[float] | None = None  # each read character's capped probability

    def _top(self, i: int) -> float:
        if self._choices:
            top = self._choices[i][0]
            if top.char == self.text[i]:
                return top.p
            return self._dist(i)[0][self.text[i]]
        return self._confidences[i] if self._confidences else self._overall

    def _dist(self, i: int) -> tuple[dict[str, float], float, float]:
        """(char -> probability, unassigned mass, blank mass) at position i."""
        cached = self._dists[i]
        if cached is not None:
            return cached
        ch = self.text[i]
        dist: dict[str, float] = {}
        blank = 0.0
        for choice in self._choices[i] if self._choices else ():
            c = choice.char.upper()
            if c.isascii() and c.isalnum():
                dist[c] = max(dist.get(c, 0.0), choice.p)
            else:
                # A blank or pad candidate: the reader thinks there may be no character.
                blank += choice.p
        if ch not in dist:
            dist[ch] = self._confidences[i] if self._confidences else self._overall
        dist[ch] = min(dist[ch], self._cap)
        resid = max(self.floor, 1 - sum(dist.values()) - blank)
        self._dists[i] = (dist, resid, blank)
        return self._dists[i]  # type: ignore[return-value]

    def q(self, i: int, c: str) -> float:
        """Probability that position i truly shows character c (with the glyph-twin
        allowance)."""
        plain, twin = self._q(i, c)
        return plain if plain > twin else twin

    def _q(self, i: int, c: str) -> tuple[float, float]:
        """(probability from the reader's own distribution, glyph-twin allowance or 0)."""
        top = self.text[i]
        if c == top:
            p = self._top(i)
            return (p if p < self._cap else self._cap), 0.0
        dist, resid, _ = self._dist(i)
        given = dist.get(c, 0.0)
        guessed = resid * confusion(top, c)
        plain = given if given > guessed else guessed
        return plain, confusion(top, c) * self._top(i) if glyph_twins(top, c) else 0.0

    def _product(self, pairs: list[tuple[int, str]]) -> float:
        """Probability of the characters (position, char) together, the glyph-twin
        allowance taken at the one position where it helps most."""
        sure = self._sure
        if sure is None:
            cap = self._cap
            sure = self._sure = [min(self._top(i), cap) for i in range(len(self.text))]
        text = self.text
        score = lift = 1.0
        for i, c in pairs:
            if c == text[i]:
                score *= sure[i]  # most positions of most candidates: the read's own
                continue
            plain, twin = self._q(i, c)
            score *= plain
            if twin > plain * lift:
                lift = twin / plain
        return score * lift

    def same_length(self, entry: str) -> float:
        return self._product([(i, c) for i, c in enumerate(entry) if c != "?"])

    def read_extra(self, entry: str, skip: int) -> float:
        """The read has one character more than the entry, at position `skip`."""
        return self.spurious(skip) * self._product(
            [(i if i < skip else i + 1, c) for i, c in enumerate(entry)]
        )

    def spurious(self, i: int) -> float:
        """Probability that the read's character i is not on the plate at all."""
        return max(self.indel, self._dist(i)[2], 1 - self._top(i))

    def edit_bound(self, longer_by: int) -> float:
        """The highest score an entry `longer_by` characters longer than the read (1: the
        read missed one; -1: it has one too many) can reach."""
        if longer_by == 1:
            return self.indel
        if longer_by == -1:
            choices, text = self._choices, self.text
            tops = zip(choices, text, strict=True)
            if choices and all(position[0].char == ch for position, ch in tops):
                # The blank mass is part of what the top character leaves (the rounding of
                # the reader's probabilities aside), so the doubt bounds every spurious().
                return max(self.indel, 1.001 - min(position[0].p for position in choices))
            return max(self.spurious(i) for i in range(len(text)))
        return 0.0

    def read_missing(self, entry: str, gap: int) -> float:
        """The entry has one character more than the read, at position `gap`."""
        return self.indel * self._product(
            [(i if i < gap else i - 1, c) for i, c in enumerate(entry) if i != gap]
        )


def alternative_score(read: PlateRead, entry: str) -> tuple[float, int]:
    """Best support for the entry among the read's whole-plate alternatives, and the
    substitutions needed against that alternative."""
    best, best_subs = 0.0, 0
    for alt in read.alternatives:
        text = "".join(ch for ch in alt.plate.upper() if ch.isascii() and ch.isalnum())
        if len(text) != len(entry):
            continue
        score, subs = alt.confidence, 0
        for a, e in zip(text, entry, strict=True):
            if e not in (a, "?"):
                subs += 1
                score *= 0.02 * confusion(a, e)
        if score > best:
            best, best_subs = score, subs
    return best, best_subs
