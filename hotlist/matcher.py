"""Matching a read against every hotlist at once, and telling residents apart.

Candidates come from a handful of hash probes into the mapped index (`probes`): the read's
canonical plate (exact and OCR-equivalent entries), its one-character deletions and the
entries' (one character too many or too few), the substitutions the recognizer itself offered
as runner-up characters and its whole-plate alternatives; and from a trigram filter over the
few wildcard entries (`wildcards`). Only candidates are scored (`alignment`, `evidence`), so a
read costs the same against a thousand entries or a million.

`match` takes one read; `match_many` takes a batch and gives the same results, with the
probes of the whole batch done as array operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from alpr.read import PlateRead
from hotlist.alignment import Alignment, MatchKind, align
from hotlist.evidence import Evidence
from hotlist.index_file import EntryRef, IndexFile, ListInfo
from hotlist.plates import canonical
from hotlist.probes import batch_candidates, candidates
from hotlist.settings import MatchSettings
from hotlist.wildcards import WildcardIndex
from org.regions import states_conflict

__all__ = ["Decision", "Match", "MatchKind", "MatchResult", "Matcher", "SafeEntry"]

Decision = Literal["alert", "verify", "resident", "none"]


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


@dataclass
class Matcher:
    """An index of every hotlist plus the sites' safe lists; immutable once built."""

    index: IndexFile | None
    safelists: dict[int, dict[str, tuple[SafeEntry, ...]]] = field(default_factory=dict)
    settings: MatchSettings = field(default_factory=MatchSettings)

    def __post_init__(self) -> None:
        index = self.index
        self.wildcards = WildcardIndex(
            [(o, index.plate(o)) for o in index.wildcards] if index is not None else []
        )

    @property
    def lists(self) -> list[ListInfo]:
        return self.index.lists if self.index is not None else []

    @property
    def entry_count(self) -> int:
        return self.index.entry_count if self.index is not None else 0

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
            canon = canonical(read.plate)
            ordinals = candidates(self.index, read, canon, settings)
            matches = self._scored(
                read, canon, ordinals, settings, resident=resident, site_id=site_id
            )
        return _result(read, matches, resident)

    def match_many(
        self,
        reads: Sequence[PlateRead],
        settings: MatchSettings | None = None,
        *,
        site_ids: Sequence[int | None] | None = None,
    ) -> list[MatchResult]:
        """`match` for a batch of reads, `site_ids[i]` being the site of `reads[i]`'s camera:
        the same results, with about twice the reads per CPU-second of a `match` call each
        (the hash probes of the whole batch are array operations)."""
        settings = settings or self.settings
        sites = site_ids if site_ids is not None else [None] * len(reads)
        if len(sites) != len(reads):
            msg = f"match_many got {len(reads)} reads but {len(sites)} site ids"
            raise ValueError(msg)
        results: list[MatchResult] = []
        if self.index is None:
            pairs = zip(reads, sites, strict=True)
            return [self.match(read, settings, site_id=site) for read, site in pairs]
        plates = [read.plate for read in reads]
        found = batch_candidates(self.index, reads, plates, settings)
        wild = self.wildcards.may_fit(plates).tolist() if self.wildcards else [False] * len(reads)
        residents = bool(self.safelists)
        for i, read in enumerate(reads):
            resident = residents and self.is_resident(read, sites[i])
            ordinals = found.get(i)
            if not (ordinals or wild[i]) or not read.plate:
                decision: Decision = "resident" if resident else "none"
                results.append(MatchResult(read.plate, (), resident, decision))
                continue
            matches = self._scored(
                read,
                canonical(read.plate),
                ordinals or [],
                settings,
                resident=resident,
                site_id=sites[i],
            )
            results.append(_result(read, matches, resident))
        return results

    def _scored(
        self,
        read: PlateRead,
        canon: str,
        ordinals: list[int],
        settings: MatchSettings,
        *,
        resident: bool,
        site_id: int | None,
    ) -> list[Match]:
        """Score the candidates and the wildcard entries the read fits; keep what passes."""
        assert self.index is not None
        wilds = self.wildcards.hits(canon) if self.wildcards else []
        if not ordinals and not wilds:
            return []
        resident_site = site_id if resident else None
        evidence = Evidence(read, settings)
        at = read.captured_at.timestamp()
        found: dict[int, Match] = {}
        for ordinal in set(ordinals):
            entry = self.index.entry(ordinal)
            alignment = align(read, canon, entry.plate, evidence, settings)
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
                Alignment("wildcard", score, 0),
                settings=settings,
                resident_site=resident_site,
                at=at,
            )
        return sorted(
            found.values(), key=lambda m: (m.decision != "alert", m.list_priority, -m.score)
        )

    def _keep(
        self,
        found: dict[int, Match],
        read: PlateRead,
        entry: EntryRef,
        alignment: Alignment,
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
        # The read's region is a model's guess (a country head, a format); it flags the match
        # for the officer but never lowers it: a stolen car with a foreign-looking plate alerts.
        mismatch = states_conflict(read.region, entry.state)
        decision: Literal["alert", "verify"] = (
            "alert" if alignment.score >= settings.hit_threshold else "verify"
        )
        if alignment.kind == "wildcard" and settings.wildcard_decision == "verify":
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


def _result(read: PlateRead, matches: list[Match], resident: bool) -> MatchResult:
    decision: Decision = "none"
    if any(m.decision == "alert" for m in matches):
        decision = "alert"
    elif matches:
        decision = "verify"
    elif resident:
        decision = "resident"
    return MatchResult(read.plate, tuple(matches), resident, decision)
