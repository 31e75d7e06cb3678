"""How a read lines up with one candidate entry: the kind of match and its score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from alpr.read import PlateRead
from hotlist.evidence import Evidence, alternative_score
from hotlist.plates import canonical
from hotlist.settings import MatchSettings

MatchKind = Literal["exact", "equivalent", "edit", "wildcard"]


@dataclass(frozen=True)
class Alignment:
    kind: MatchKind
    score: float
    substitutions: int


def align(
    read: PlateRead, canon: str, plate: str, evidence: Evidence, settings: MatchSettings
) -> Alignment | None:
    text = read.plate
    fuzzy_ok = len(plate) >= settings.min_fuzzy_length
    best: Alignment | None = None
    if len(plate) == len(text):
        subs = sum(a != b for a, b in zip(text, plate, strict=True))
        if subs == 0 or (fuzzy_ok and subs <= settings.max_substitutions):
            kind: MatchKind = (
                "exact" if subs == 0 else "equivalent" if canonical(plate) == canon else "edit"
            )
            best = Alignment(kind, evidence.same_length(plate), subs)
    elif (
        fuzzy_ok
        and settings.max_edits
        # Most edit candidates cannot reach the verify threshold whatever the characters:
        # not worth aligning.
        and evidence.edit_bound(len(plate) - len(text)) >= settings.verify_threshold
    ):
        best = _edit_alignment(text, plate, evidence, settings.max_substitutions)
    alt_score, alt_subs = alternative_score(read, plate) if read.alternatives else (0.0, 0)
    if alt_score > (best.score if best else 0.0) and (alt_subs == 0 or fuzzy_ok):
        best = Alignment("exact" if alt_subs == 0 else "equivalent", alt_score, alt_subs)
    return best


def _edit_alignment(text: str, plate: str, evidence: Evidence, max_subs: int) -> Alignment | None:
    """Best alignment with one character missing from or added to the read."""
    best: Alignment | None = None
    canon_plate, canon_text = canonical(plate), canonical(text)
    if len(text) == len(plate) + 1:
        for p in range(len(text)):
            if canon_text[:p] + canon_text[p + 1 :] != canon_plate:
                continue
            subs = sum(a != b for a, b in zip(text[:p] + text[p + 1 :], plate, strict=True))
            score = evidence.read_extra(plate, p)
            if subs + 1 <= max_subs and (best is None or score > best.score):
                best = Alignment("edit", score, subs + 1)
    elif len(plate) == len(text) + 1:
        for p in range(len(plate)):
            if canon_plate[:p] + canon_plate[p + 1 :] != canon_text:
                continue
            subs = sum(a != b for a, b in zip(text, plate[:p] + plate[p + 1 :], strict=True))
            score = evidence.read_missing(plate, p)
            if subs + 1 <= max_subs and (best is None or score > best.score):
                best = Alignment("edit", score, subs + 1)
    return best
