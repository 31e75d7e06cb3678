"""Matching a read against every hotlist at once, and telling residents apart.

Candidates come from a handful of hash probes into the mapped index: the read's canonical
plate (exact and OCR-equivalent entries), the read with each character left out (it read one
too many), the read against the entries' one-character deletions (it missed one), the
substitutions the recognizer itself offered as runner-up characters, its whole-plate
alternatives, and a trigram filter over the few wildcard entries. Only candidates are scored
(`evidence.Evidence`), so a read costs the same against a thousand entries or a million.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from alpr.read import PlateRead
from hotlist.evidence import Evidence, alternative_score
from hotlist.index_file import EntryRef, IndexFile, ListInfo
from hotlist.plates import MAX_KEY_LENGTH, canonical
from hotlist.regions import states_conflict
from hotlist.settings import MatchSettings

MatchKind = Literal["exact", "equivalent", "edit", "wildcard"]
Decision = Literal["alert", "verify", "resident", "none"]
_MAX_ALTERNATIVES = 4
_MAX_CHOICE_VARIANTS = 6


@dataclass(frozen=True)
class Match:
    entry_id: int
    hotlist_id: int
    list_name: str
    list_priority: int
    entry_plate: str
    entry_state: str | None
    kind: MatchKind
    score: float
    substitutions: int
    state_mismatch: bool
    decision: Literal["alert", "verify"]


@dataclass(frozen=True)
class MatchResult:
    plate: str
    matches: tuple[Match, ...]
    resident: bool
    decision: Decision


@dataclass(frozen=True)
class SafeEntry:
    plate: str
    state: str | None
    label: str
    expires: float  # epoch seconds, 0 = never


@dataclass(frozen=True)
class _Wildcard:
    ordinal: int
    pattern: re.Pattern[str]
    literals: tuple[tuple[int, str], ...]  # (regex group, entry character)


@dataclass
class _Alignment:
    kind: MatchKind
    score: float
    substitutions: int


@dataclass
class Matcher:
    """An index of every hotlist plus the sites' safe lists; immutable once built."""

    index: IndexFile | None
    safelists: dict[int, dict[str, tuple[SafeEntry, ...]]] = field(default_factory=dict)
    settings: MatchSettings = field(default_factory=MatchSettings)

    def __post_init__(self) -> None:
        self._wild_by_trigram: dict[str, list[_Wildcard]] = {}
        self._wild_scan: list[_Wildcard] = []
        if self.index is not None:
            for ordinal in self.index.wildcards:
                self._add_wildcard(ordinal, self.index.plate(ordinal))

    @property
    def lists(self) -> list[ListInfo]:
        return self.index.lists if self.index is not None else []

    @property
    def entry_count(self) -> int:
        return self.index.entry_count if self.index is not None else 0

    def _add_wildcard(self, ordinal: int, plate: str) -> None:
        parts, literals, group = [], [], 0
        for ch in plate:
            if ch == "*":
                parts.append(".*")
            elif ch == "?":
                parts.append(".")
            else:
                group += 1
                parts.append(f"({re.escape(canonical(ch))})")
                literals.append((group, ch))
        wild = _Wildcard(ordinal, re.compile("".join(parts)), tuple(literals))
        runs = [run for run in re.split(r"[?*]", canonical(plate)) if len(run) >= 3]
        if runs:
            self._wild_by_trigram.setdefault(max(runs, key=len)[:3], []).append(wild)
        else:
            self._wild_scan.append(wild)

    def is_resident(self, read: PlateRead, site_id: int | None) -> bool:
        """The read is of a plate on the site's safe list (OCR-equivalent, same state)."""
        if site_id is None:
            return False
        entries = self.safelists.get(site_id, {}).get(canonical(read.plate), ())
        at = read.captured_at.timestamp()
        return any(
            (not e.expires or e.expires > at) and not states_conflict(read.region, e.state)
            for e in entries
        )

    def match(
        self, read: PlateRead, settings: MatchSettings | None = None, *, site_id: int | None = None
    ) -> MatchResult:
        """Every listed entry this read may be, scored, with the officer-facing decision."""
        settings = settings or self.settings
        resident = self.is_resident(read, site_id)
        matches: list[Match] = []
        if self.index is not None and read.plate:
            matches = self._matches(read, settings, site_id if resident else None)
        decision: Decision = "none"
        if any(m.decision == "alert" for m in matches):
            decision = "alert"
        elif matches:
            decision = "verify"
        elif resident:
            decision = "resident"
        return MatchResult(read.plate, tuple(matches), resident, decision)

    def _matches(
        self, read: PlateRead, settings: MatchSettings, resident_site: int | None
    ) -> list[Match]:
        assert self.index is not None
        text = read.plate
        canon = canonical(text)
        ordinals = self._candidates(read, canon, settings)
        wilds = self._wildcard_hits(canon)
        if not ordinals and not wilds:
            return []
        evidence = Evidence(read, settings)
        at = read.captured_at.timestamp()
        found: dict[int, Match] = {}
        for ordinal in set(ordinals):
            entry = self.index.entry(ordinal)
            alignment = self._align(read, canon, entry.plate, evidence, settings)
            if alignment is not None:
                self._keep(
                    found,
                    read,
                    entry,
                    alignment,
                    settings=settings,
                    resident_site=resident_site,
                    at=at,
                )
        for wild, m in wilds:
            entry = self.index.entry(wild.ordinal)
            score = 1.0
            for group, ch in wild.literals:
                score *= evidence.q(m.start(group), ch)
            self._keep(
                found,
                read,
                entry,
                _Alignment("wildcard", score, 0),
                settings=settings,
                resident_site=resident_site,
                at=at,
            )
        return sorted(
            found.values(), key=lambda m: (m.decision != "alert", m.list_priority, -m.score)
        )

    def _candidates(self, read: PlateRead, canon: str, settings: MatchSettings) -> list[int]:
        """Ordinals of every entry a probe finds; the hot path of the matcher, so the exact
        table's directory is read inline and most probes end after two array reads."""
        assert self.index is not None
        out: list[int] = []
        table = self.index.exact
        directory, buckets, get = table.directory, table.buckets, table.get
        n = len(canon)
        if n > MAX_KEY_LENGTH + 1 or buckets <= 0:
            return out
        keys = [] if n > MAX_KEY_LENGTH else [int("1" + canon, 36)]
        if keys and settings.max_edits:
            self.index.deletion.get(keys[0], out)
        if settings.max_edits and n >= 2:
            # The read with one character left out (it read one too many); deleting either
            # character of a run gives the same plate.
            tagged = "1" + canon
            previous = ""
            for p, ch in enumerate(canon, start=1):
                if ch != previous:
                    keys.append(int(tagged[:p] + tagged[p + 1 :], 36))
                previous = ch
        for variant in _choice_variants(read, canon, settings.choice_min_p):
            keys.append(int("1" + variant, 36))
        for alt in read.alternatives[:_MAX_ALTERNATIVES]:
            alt_canon = canonical("".join(c for c in alt.plate.upper() if c.isalnum()))
            if alt_canon != canon and 0 < len(alt_canon) <= MAX_KEY_LENGTH and alt_canon.isascii():
                keys.append(int("1" + alt_canon, 36))
        for key in keys:
            bucket = key % buckets
            if directory[bucket] != directory[bucket + 1]:
                get(key, out)
        return out

    def _wildcard_hits(self, canon: str) -> list[tuple[_Wildcard, re.Match[str]]]:
        if not self._wild_by_trigram and not self._wild_scan:
            return []
        pool = list(self._wild_scan)
        for i in range(len(canon) - 2):
            pool.extend(self._wild_by_trigram.get(canon[i : i + 3], ()))
        hits = []
        for wild in {id(w): w for w in pool}.values():
            m = wild.pattern.fullmatch(canon)
            if m is not None:
                hits.append((wild, m))
        return hits

    def _align(
        self, read: PlateRead, canon: str, plate: str, evidence: Evidence, settings: MatchSettings
    ) -> _Alignment | None:
        text = read.plate
        fuzzy_ok = len(plate) >= settings.min_fuzzy_length
        best: _Alignment | None = None
        if len(plate) == len(text):
            subs = sum(a != b for a, b in zip(text, plate, strict=True))
            if subs == 0 or (fuzzy_ok and subs <= settings.max_substitutions):
                kind: MatchKind = (
                    "exact" if subs == 0 else "equivalent" if canonical(plate) == canon else "edit"
                )
                best = _Alignment(kind, evidence.same_length(plate), subs)
        elif fuzzy_ok and settings.max_edits:
            best = _edit_alignment(text, plate, evidence, settings.max_substitutions)
        alt_score, alt_subs = alternative_score(read, plate) if read.alternatives else (0.0, 0)
        if alt_score > (best.score if best else 0.0) and (alt_subs == 0 or fuzzy_ok):
            best = _Alignment("exact" if alt_subs == 0 else "equivalent", alt_score, alt_subs)
        return best

    def _keep(
        self,
        found: dict[int, Match],
        read: PlateRead,
        entry: EntryRef,
        alignment: _Alignment,
        *,
        settings: MatchSettings,
        resident_site: int | None,
        at: float,
    ) -> None:
        assert self.index is not None
        if alignment.score < settings.verify_threshold:
            return
        if entry.expires and entry.expires <= at:
            return
        info = self.index.lists[entry.list_index]
        if resident_site is not None and info.owner_site_id == resident_site:
            return  # a resident never alerts on their own site's watch lists
        mismatch = states_conflict(read.region, entry.state)
        decision: Literal["alert", "verify"] = (
            "alert" if alignment.score >= settings.hit_threshold else "verify"
        )
        if mismatch or (alignment.kind == "wildcard" and settings.wildcard_decision == "verify"):
            decision = "verify"
        previous = found.get(entry.entry_id)
        if previous is None or previous.score < alignment.score:
            found[entry.entry_id] = Match(
                entry.entry_id,
                info.id,
                info.name,
                info.priority,
                entry.plate,
                entry.state,
                alignment.kind,
                round(alignment.score, 4),
                alignment.substitutions,
                mismatch,
                decision,
            )


def _edit_alignment(text: str, plate: str, evidence: Evidence, max_subs: int) -> _Alignment | None:
    """Best alignment with one character missing from or added to the read."""
    best: _Alignment | None = None
    canon_plate, canon_text = canonical(plate), canonical(text)
    if len(text) == len(plate) + 1:
        for p in range(len(text)):
            if canon_text[:p] + canon_text[p + 1 :] != canon_plate:
                continue
            subs = sum(a != b for a, b in zip(text[:p] + text[p + 1 :], plate, strict=True))
            score = evidence.read_extra(plate, p)
            if subs + 1 <= max_subs and (best is None or score > best.score):
                best = _Alignment("edit", score, subs + 1)
    elif len(plate) == len(text) + 1:
        for p in range(len(plate)):
            if canon_plate[:p] + canon_plate[p + 1 :] != canon_text:
                continue
            subs = sum(a != b for a, b in zip(text, plate[:p] + plate[p + 1 :], strict=True))
            score = evidence.read_missing(plate, p)
            if subs + 1 <= max_subs and (best is None or score > best.score):
                best = _Alignment("edit", score, subs + 1)
    return best


def _choice_variants(read: PlateRead, canon: str, min_p: float) -> list[str]:
    """Canonical plates with the recognizer's runner-up characters swapped in: singles, and
    the two likeliest together."""
    choices = read.char_choices
    if len(choices) != len(canon):
        return []
    sure = read.char_confidences
    if len(sure) == len(canon) and min(sure, default=1.0) > 1 - min_p:
        return []  # every top character is so likely that no runner-up reaches min_p
    singles: list[tuple[float, int, str]] = []
    for i, position in enumerate(choices):
        if len(position) < 2 or position[1].p < min_p:
            continue
        for choice in position[1:]:
            if choice.p < min_p:
                break
            c = canonical(choice.char.upper())
            if c != canon[i] and c.isascii() and c.isalnum():
                singles.append((choice.p, i, c))
    if not singles:
        return []
    singles.sort(reverse=True)
    singles = singles[:_MAX_CHOICE_VARIANTS]
    variants = [canon[:i] + c + canon[i + 1 :] for _, i, c in singles]
    (_, i1, c1), *rest = singles
    for _, i2, c2 in rest:
        if i2 != i1:
            chars = list(canon)
            chars[i1], chars[i2] = c1, c2
            variants.append("".join(chars))
            break
    return variants
