"""Hotlist benchmark, speed: reads matched per second against the 1M-entry index.

Per CPU-second of this process (the machine is shared), with the wall-clock rate beside it;
one read per `Matcher.match` call and batches through `Matcher.match_many`, for a realistic
mix (1% of reads listed) and a worst case (half of them listed), beside a naive scan.
"""

from __future__ import annotations

import gc
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from alpr.read import Alternative, Box, CharChoice, PlateRead
from bench.hotlist_bench import COMMAND, OUT, SECTION, SYNTHETIC, labels, synthetic_plates
from bench.report import Figure, Report
from hotlist.index_build import write_index
from hotlist.index_file import IndexFile, ListInfo
from hotlist.matcher import Matcher
from hotlist.settings import MatchSettings


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def noisy_reads(entries: list[tuple[str, str]], n: int, seed: int, every: int = 2) -> list[Any]:
    """Every `every`-th read is of a listed plate (one in three of those with an
    OCR-equivalent slip the reader hesitated on), the others of unlisted plates; all with
    per-character choices and confidences, and the whole-plate alternative the edge reader
    adds (its weakest character swapped for the runner-up)."""

    rng = np.random.default_rng(seed)
    swaps = {"0": "O", "O": "0", "1": "I", "I": "1", "8": "B", "B": "8", "5": "S", "S": "5"}
    unlisted = [p for p, _ in synthetic_plates(n // 2, seed + 1, {p for p, _ in entries[:0]})]
    reads = []
    now = datetime.now(UTC)
    for k in range(n):
        listed = k % every == 1
        plate = entries[int(rng.integers(0, len(entries)))][0] if listed else unlisted[k // 2]
        chars = list(plate)
        choices = []
        weakest = 0
        for i, ch in enumerate(chars):
            alt = swaps.get(ch, "X")
            if listed and k % 3 == 1 and i == 2 and ch in swaps:
                chars[i] = alt
                choices.append((CharChoice(char=alt, p=0.6), CharChoice(char=ch, p=0.35)))
                weakest = i
            else:
                choices.append((CharChoice(char=ch, p=0.97), CharChoice(char=alt, p=0.02)))
        runner = choices[weakest][1]
        swapped = "".join(chars[:weakest]) + runner.char + "".join(chars[weakest + 1 :])
        reads.append(
            PlateRead(
                camera_id="bench",
                captured_at=now,
                plate="".join(chars),
                confidence=0.9,
                box=Box(x1=0, y1=0, x2=1, y2=1),
                char_choices=tuple(choices),
                char_confidences=tuple(c[0].p for c in choices),
                alternatives=(Alternative(plate=swapped, confidence=runner.p),),
            )
        )
    return reads


def bench_lookups(report: Report, index_path: Path, entries: list[tuple[str, str]]) -> None:

    started = time.perf_counter()
    index = IndexFile(index_path)
    matcher = Matcher(index)
    matcher.match(noisy_reads(entries, 2, 5)[0])
    load = time.perf_counter() - started
    report.add(
        Figure(
            SECTION,
            "index load (map the 1M-entry file, first match)",
            load,
            "s",
            higher_is_better=False,
            command=COMMAND,
            notes=f"file {index_path.stat().st_size / 2**20:.0f} MiB, shared by every "
            "matcher process through the page cache",
        )
    )
    reads = noisy_reads(entries, 60_000, 11, every=100)
    worst = noisy_reads(entries, 30_000, 12, every=2)
    exact_only = MatchSettings(max_edits=0, max_substitutions=0)
    plain = [r.model_copy(update={"char_choices": (), "alternatives": ()}) for r in reads]
    # The reads are the input, not the work: frozen, the collector does not walk them
    # again and again (a matcher process holds one read at a time).
    gc.collect()
    gc.freeze()
    try:
        rates = {
            "exact": _rate(lambda: [matcher.match(r, exact_only) for r in plain], len(plain)),
            "match": _rate(lambda: [matcher.match(r) for r in reads], len(reads)),
            "many": _rate(lambda: _batched(matcher, reads), len(reads)),
            "match, worst": _rate(lambda: [matcher.match(r) for r in worst], len(worst)),
            "many, worst": _rate(lambda: _batched(matcher, worst), len(worst)),
        }
        plates = [p for p, _ in entries]
        sample = [r.plate for r in reads[:3]]
        naive_fuzzy = _rate(
            lambda: [[p for p in plates if levenshtein(s, p) <= 2] for s in sample], len(sample)
        )[0]
        naive_exact = _rate(
            lambda: [[p for p in plates if p == s] for s in sample * 10], len(sample) * 10
        )[0]
    finally:
        gc.unfreeze()
    fuzzy = "equivalents, +-1 character, runner-up characters, alternatives, 100 wildcard entries"
    scan = ("naive scan comparing every entry", naive_exact)
    edit = ("naive scan with an edit-distance function (<= 2)", naive_fuzzy)
    rows = [
        ("exact", "exact + OCR-equivalent, `match`", scan, "canonical-key probe only"),
        ("match", "full fuzzy, `match` (one read per call)", edit, f"{fuzzy}; 1% listed"),
        (
            "many",
            f"full fuzzy, `match_many` (batches of {BATCH})",
            edit,
            f"{fuzzy}; 1% listed; the same results as `match`",
        ),
        ("match, worst", "full fuzzy, `match`, half the reads listed", edit, "worst case"),
        ("many, worst", "full fuzzy, `match_many`, half the reads listed", edit, "worst case"),
    ]
    for key, name, (baseline, baseline_value), notes in rows:
        cpu, wall = rates[key]
        report.add(
            Figure(
                SECTION,
                f"lookups/s, {name}, 1M entries, 1 core",
                cpu,
                "reads/s",
                baseline=baseline,
                baseline_value=baseline_value,
                command=COMMAND,
                notes=f"{notes}; reads per CPU-second of this process (wall clock: "
                f"{wall:,.0f}/s); goal >= 50,000/s with full fuzzy matching",
            )
        )


BATCH = 512


def _batched(matcher: Matcher, reads: list[Any]) -> list[Any]:
    return [
        result
        for start in range(0, len(reads), BATCH)
        for result in matcher.match_many(reads[start : start + BATCH])
    ]


def _rate(work: Any, count: int) -> tuple[float, float]:
    """(reads per second of this process's CPU time, per second of wall-clock time): the
    first is per core whatever else the shared machine is running."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return count / (time.process_time() - cpu), count / (time.perf_counter() - wall)


def lookups_only(report: Report) -> None:
    """The lookup figures against an index written straight from the synthetic list (the
    same entries as the database-built one), without the imports."""
    OUT.mkdir(parents=True, exist_ok=True)
    entries = synthetic_plates(SYNTHETIC, 2024, {lab.plate for lab in labels()})
    partial = [
        (p[:3] + "?" + p[4:], s) if i % 2 else (p[:4] + "*", s)
        for i, (p, s) in enumerate(entries[:100])
    ]
    path = OUT / "lookups-1m.pwx"
    rows = [(i + 1, 1, p, s, 0) for i, (p, s) in enumerate(entries[100:] + partial)]
    write_index(path, [ListInfo(1, "NCIC", 1, 1, "ncic", None, None, None)], rows, [(1, 1)])
    bench_lookups(report, path, entries)
