"""Partial-plate entries (`?` one character, `*` a run): which of them a read fits.

There are few of them (witnesses' partial plates), but every read must be checked. Each entry
is filed under the first three characters of its longest known run; only a read containing
that trigram is tried against the entry's pattern. Entries without three known characters in
a row are tried against every read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hotlist.index_file import PLATE_BYTES
from hotlist.plates import canonical
from hotlist.probes import DIGITS

_TRIGRAMS = 36**3


@dataclass(frozen=True)
class Wildcard:
    ordinal: int
    pattern: re.Pattern[str]
    literals: tuple[tuple[int, str], ...]  # (regex group, entry character)


class WildcardIndex:
    """The wildcard entries of an index, filed by trigram."""

    def __init__(self, entries: Sequence[tuple[int, str]]) -> None:
        self.by_trigram: dict[str, list[Wildcard]] = {}
        self.scan: list[Wildcard] = []
        self._filed = np.zeros(_TRIGRAMS, dtype=bool)
        for ordinal, plate in entries:
            self._add(ordinal, plate)

    def __bool__(self) -> bool:
        return bool(self.by_trigram or self.scan)

    def _add(self, ordinal: int, plate: str) -> None:
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
        wild = Wildcard(ordinal, re.compile("".join(parts)), tuple(literals))
        runs = [run for run in re.split(r"[?*]", canonical(plate)) if len(run) >= 3]
        if runs:
            trigram = max(runs, key=len)[:3]
            self.by_trigram.setdefault(trigram, []).append(wild)
            self._filed[int(trigram, 36)] = True
        else:
            self.scan.append(wild)

    def hits(self, canon: str) -> list[tuple[Wildcard, re.Match[str]]]:
        """The entries the canonical read fits, with the regex match of each."""
        by_trigram = self.by_trigram
        pool = [w for i in range(len(canon) - 2) for w in by_trigram.get(canon[i : i + 3], ())]
        pool += self.scan
        if not pool:
            return []
        hits = []
        for wild in {id(w): w for w in pool}.values():
            m = wild.pattern.fullmatch(canon)
            if m is not None:
                hits.append((wild, m))
        return hits

    def may_fit(self, plates: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Per plate, whether `hits` can find anything: the trigram filter for a batch."""
        count = len(plates)
        if self.scan:
            return np.ones(count, dtype=bool)
        if not self.by_trigram or not count:
            return np.zeros(count, dtype=bool)
        raw = np.array(plates, dtype=f"S{PLATE_BYTES}").view(np.uint8).reshape(count, PLATE_BYTES)
        digits = DIGITS[raw].astype(np.int64)  # 36 past the end and for other characters
        valid = digits < 36
        codes = digits[:, :-2] * 1296 + digits[:, 1:-1] * 36 + digits[:, 2:]
        whole = valid[:, :-2] & valid[:, 1:-1] & valid[:, 2:]
        found = self._filed[np.where(whole, codes, 0)] & whole
        return np.asarray(found.any(axis=1))
