"""Hotlist benchmark, accuracy: hit recall against false alerts.

Two experiments. On the real photos of openalpr-dev, read by the offline models: half the
labelled plates go on a list with 1,000,000 synthetic plates, and the share of those vehicles
that alert and the false alerts on the other half are counted (two folds). Then, because a
few hundred unlisted reads can only bound a false-alert rate of one in a thousand, a large
synthetic population: the noise of each real read (its per-position probabilities, where it
misread, what it inserted or dropped) is moved onto a random plate of the same shape, giving
100,000 reads of plates not on the list and 20,000 of listed ones against the 1M-entry list.
"""

from __future__ import annotations

import json
import string
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from alpr.read import PlateRead, read_from_json
from bench.hotlist_bench import DEV, OUT, SECTION, Label, labels
from bench.report import Figure, Report
from hotlist.index_build import write_index
from hotlist.index_file import IndexFile, ListInfo
from hotlist.matcher import Matcher, MatchResult
from hotlist.plates import confusion, equivalent

COMMAND = "python -m bench.hotlist_bench"
LABEL_STATE = {"us": "", "br": "BRA", "eu": ""}
BENCH_LIST = ListInfo(1, "bench", 1, 1, "ncic", None, None, None)
SYNTHETIC_UNLISTED = 100_000
SYNTHETIC_LISTED = 20_000
# Tally columns: reads, hit, hit or verify (of the vehicle's own entry), false hit, false any.
READS, HIT, ANY, FALSE_HIT, FALSE_ANY = range(5)
Tally = dict[tuple[str, str], list[int]]


def read_photos() -> list[dict[str, Any]] | None:
    """Every openalpr-dev photo read by `platewatch read --json --models offline`, cached."""
    cache = OUT / "openalpr-dev-reads.jsonl"
    if cache.exists():
        return [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines()]
    exe = Path(sys.executable).parent / "platewatch"
    probe = subprocess.run(
        [str(exe), "read", "--help"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return None
    reads: list[dict[str, Any]] = []
    for folder in sorted(p for p in DEV.iterdir() if p.is_dir()):
        # File by file (not the folder) so each read's `source` names its photo.
        photos = sorted(str(p) for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".png"})
        done = subprocess.run(
            [str(exe), "read", "--json", "--models", "offline", *photos],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            msg = f"platewatch read failed on {folder}: {done.stderr[-2000:]}"
            raise RuntimeError(msg)
        reads += [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    cache.write_text("".join(json.dumps(r) + "\n" for r in reads), encoding="utf-8")
    return reads


def _best_read(label: Label, reads: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The read of the labelled plate: the one whose box overlaps the label's most."""
    x, y, w, h = label.box

    def overlap(read: dict[str, Any]) -> float:
        box = read.get("box")
        if isinstance(box, dict):
            box = [box["x1"], box["y1"], box["x2"], box["y2"]]
        if not box:
            return 0.0
        ix = max(0, min(x + w, box[2]) - max(x, box[0]))
        iy = max(0, min(y + h, box[3]) - max(y, box[1]))
        return float(ix * iy / max(1, w * h))

    candidates = sorted(reads, key=lambda r: (overlap(r), r.get("confidence", 0)), reverse=True)
    return candidates[0] if candidates else None


def _by_source(reads: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for read in reads:
        source = str(read.get("source") or "")
        key = "/".join(Path(source).parts[-2:])
        grouped.setdefault(key, []).append(read)
    return grouped


def recall_experiment(
    report: Report,
    entries: list[tuple[str, str]],
    reads: list[dict[str, Any]] | None = None,
    *,
    what: str = "photos",
    section: str = SECTION,
    command: str = COMMAND,
) -> None:
    """Hit recall and false alerts on openalpr-dev; `reads` default to the offline pack's."""
    reads = read_photos() if reads is None else reads
    if reads is None:
        report.note(
            section,
            "Hit recall / false alerts not measured: `platewatch read` is not "
            "available yet; the experiment runs once it is.",
        )
        return
    all_labels = labels()
    grouped = _by_source(reads)
    halves = (all_labels[0::2], all_labels[1::2])
    tally: Tally = {}
    for fold, listed in enumerate(halves):
        # A vehicle photographed twice is listed if either photo's plate is.
        on_list = {lab.plate for lab in listed}
        unlisted = [lab for lab in halves[1 - fold] if lab.plate not in on_list]
        rows = [(i + 1, 1, plate, state, 0) for i, (plate, state) in enumerate(entries)]
        base = len(rows)
        rows += [
            (base + i + 1, 1, lab.plate, LABEL_STATE[lab.region], 0) for i, lab in enumerate(listed)
        ]
        path = OUT / f"recall-fold{fold}.pwx"
        write_index(path, [BENCH_LIST], rows, [(1, 1)])
        matcher = Matcher(IndexFile(path))
        now = datetime.now(UTC)
        for group, labs in (("listed", listed), ("unlisted", unlisted)):
            for lab in labs:
                raw = _best_read(lab, grouped.get(lab.file, []))
                if raw is None:
                    tally.setdefault((group, lab.region), [0, 0, 0, 0, 0])[READS] += 1
                    continue
                result = matcher.match(read_from_json(raw, camera="bench", now=now))
                count(tally, group, lab.region, result, lab.plate if group == "listed" else None)
    report_tally(
        report,
        tally,
        what=what,
        section=section,
        command=command,
        note=f"{what.capitalize()}: both halves of openalpr-dev take turns on a list with "
        "1,000,000 synthetic US/EU/BR plates (two folds, every photo counted once listed and once "
        "unlisted; a photo without a read counts as a miss); a listed vehicle counts if its "
        "own entry matched; any match of an unlisted vehicle, or of a listed one to another "
        "entry, is a false alert.",
    )


def count(tally: Tally, group: str, region: str, result: MatchResult, truth: str | None) -> None:
    """Add one read's outcome: matches of its own entry are hits, any other match is false."""
    own = {m.decision for m in result.matches if truth is not None and m.entry_plate == truth}
    other = {m.decision for m in result.matches if truth is None or m.entry_plate != truth}
    counts = tally.setdefault((group, region), [0, 0, 0, 0, 0])
    counts[READS] += 1
    counts[HIT] += "alert" in own
    counts[ANY] += bool(own)
    counts[FALSE_HIT] += "alert" in other
    counts[FALSE_ANY] += bool(other)


def report_tally(
    report: Report,
    tally: Tally,
    *,
    what: str,
    note: str,
    section: str = SECTION,
    command: str = COMMAND,
) -> None:
    regions = sorted({r for _, r in tally})
    for region in [*regions, "all"]:
        listed, unlisted = (
            [
                sum(v[i] for (g, r), v in tally.items() if g == group and region in (r, "all"))
                for i in range(5)
            ]
            for group in ("listed", "unlisted")
        )
        if listed[READS]:
            n = listed[READS]
            report.add(
                Figure(
                    section,
                    f"{what}: hotlisted vehicles alerting (alert alone), {region}",
                    100 * listed[HIT] / n,
                    "%",
                    command=command,
                    notes=f"{listed[HIT]}/{n}; goal >= 90%",
                )
            )
            report.add(
                Figure(
                    section,
                    f"{what}: hotlisted vehicles alerting (alert or verify), {region}",
                    100 * listed[ANY] / n,
                    "%",
                    command=command,
                    notes=f"{listed[ANY]}/{n}; hit (alert) only: {listed[HIT]}/{n} = "
                    f"{100 * listed[HIT] / n:.1f}%; goal >= 90%",
                )
            )
        if unlisted[READS]:
            n = unlisted[READS]
            report.add(
                Figure(
                    section,
                    f"{what}: false alerts per 1,000 unlisted reads, {region}",
                    1000 * unlisted[FALSE_ANY] / n,
                    "per 1,000",
                    higher_is_better=False,
                    command=command,
                    notes=f"alert or verify: {unlisted[FALSE_ANY]}/{n}; hits (alert) only: "
                    f"{unlisted[FALSE_HIT]}/{n} = {1000 * unlisted[FALSE_HIT] / n:.2f} per 1,000; "
                    "goal <= 1",
                )
            )
    report.note(section, note)


# ------------------------------------------------------------------ synthetic population

ALNUM = string.ascii_uppercase + string.digits


def shape(plate: str) -> str:
    return "".join("D" if ch.isdigit() else "L" for ch in plate)


def alignment(read: str, label: str) -> list[tuple[int | None, int | None]]:
    """A least-edits alignment: (read position or None, label position or None) pairs."""
    n, m = len(read), len(label)
    cost = [[i + j if i == 0 or j == 0 else 0 for j in range(m + 1)] for i in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j] + 1,
                cost[i][j - 1] + 1,
                cost[i - 1][j - 1] + (read[i - 1] != label[j - 1]),
            )
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (read[i - 1] != label[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return pairs[::-1]


class Noise:
    """Moves the noise of a real read onto another plate of the same shape.

    Where the reader was right, the new read shows the new plate's character with the same
    probabilities; where it misread, it shows a misreading of the new character drawn from
    the confusion table; runner-up candidates become look-alikes of the new top character;
    inserted characters (emblems, frame edges) stay as they were and dropped ones stay
    dropped. The per-position probabilities are the real reader's throughout."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self._partners = {
            ch: (
                [c for c in ALNUM if c != ch],
                np.array([confusion(ch, c) for c in ALNUM if c != ch]),
            )
            for ch in ALNUM
        }

    def lookalike(self, ch: str, avoid: set[str]) -> str:
        if ch not in self._partners:
            return ch
        chars, weights = self._partners[ch]
        weights = np.where([c in avoid for c in chars], 0.0, weights)
        return str(chars[int(self.rng.choice(len(chars), p=weights / weights.sum()))])

    def counterpart(self, old: str, old_ref: str, new_ref: str, avoid: set[str]) -> str:
        """What `old` (a candidate beside the reference character `old_ref`) becomes beside
        `new_ref`: an OCR-equivalent twin stays a twin (of the same kind: letter for digit
        or alike), anything else becomes a look-alike drawn from the confusion table."""
        if equivalent(old, old_ref):
            twins = [c for c in ALNUM if c != new_ref and c not in avoid and equivalent(c, new_ref)]
            flip = [
                c
                for c in twins
                if (c.isdigit() != new_ref.isdigit()) == (old.isdigit() != old_ref.isdigit())
            ]
            pool = flip or twins
            if pool:
                return str(pool[int(self.rng.integers(len(pool)))])
        return self.lookalike(new_ref, avoid | {new_ref})

    def plate_like(self, label: str) -> str:
        return "".join(
            str(self.rng.choice(list(string.digits if ch.isdigit() else string.ascii_uppercase)))
            for ch in label
        )

    def move(self, raw: dict[str, Any], label: str, plate: str) -> dict[str, Any]:
        text = str(raw["plate"])
        choices = raw.get("char_choices") or []
        if len(choices) != len(text):
            choices = [[{"char": c, "p": raw.get("confidence", 0.5)}] for c in text]
        maps: list[dict[str, str]] = []
        out: list[list[dict[str, Any]]] = []
        for ri, li in alignment(text, label):
            if ri is None:
                continue  # the reader dropped this character: so does the new read
            mapping: dict[str, str] = {}
            if li is not None:
                mapping[label[li]] = plate[li]
                if text[ri] != label[li]:
                    mapping[text[ri]] = self.counterpart(text[ri], label[li], plate[li], set())
            for c in (ch["char"] for ch in choices[ri]):
                if c not in mapping and li is not None and c in ALNUM:
                    top = mapping.get(text[ri], plate[li])
                    mapping[c] = self.counterpart(c, text[ri], top, set(mapping.values()))
            maps.append(mapping)
            out.append(
                [{"char": mapping.get(ch["char"], ch["char"]), "p": ch["p"]} for ch in choices[ri]]
            )
        new_text = "".join(position[0]["char"] for position in out)
        alternatives = [
            {
                "plate": "".join(m.get(c, c) for m, c in zip(maps, alt["plate"], strict=True)),
                "confidence": alt["confidence"],
            }
            for alt in raw.get("alternatives") or []
            if len(alt["plate"]) == len(maps)
        ]
        return raw | {
            "plate": new_text,
            "char_choices": out,
            "char_confidences": [position[0]["p"] for position in out],
            "alternatives": alternatives,
            "read_id": None,
        }


def synthetic_experiment(
    report: Report,
    entries: list[tuple[str, str]],
    reads: list[dict[str, Any]] | None = None,
    *,
    what: str = "synthetic reads",
    section: str = SECTION,
    command: str = COMMAND,
) -> None:
    """False alerts on 100,000 unlisted synthetic reads; `reads` (whose noise is moved onto
    them) default to the offline pack's."""
    reads = read_photos() if reads is None else reads
    if reads is None:
        return
    grouped = _by_source(reads)
    templates = [
        (lab, raw)
        for lab in labels()
        if (raw := _best_read(lab, grouped.get(lab.file, []))) is not None and lab.plate.isalnum()
    ]
    listed = {p for p, _ in entries}
    by_shape: dict[str, list[str]] = {}
    for plate, _ in entries:
        by_shape.setdefault(shape(plate), []).append(plate)
    path = OUT / "synthetic-1m.pwx"
    if not path.exists():
        rows = [(i + 1, 1, plate, state, 0) for i, (plate, state) in enumerate(entries)]
        write_index(path, [BENCH_LIST], rows, [(1, 1)])
    matcher = Matcher(IndexFile(path))
    noise = Noise(2026)
    now = datetime.now(UTC)
    tally: Tally = {}
    for group, total in (("unlisted", SYNTHETIC_UNLISTED), ("listed", SYNTHETIC_LISTED)):
        batch: list[tuple[str, str]] = []  # (region, true plate)
        made: list[PlateRead] = []
        while len(made) < total:
            lab, raw = templates[int(noise.rng.integers(len(templates)))]
            if group == "listed":
                same = by_shape.get(shape(lab.plate))
                if not same:
                    continue
                plate = same[int(noise.rng.integers(len(same)))]
            else:
                plate = noise.plate_like(lab.plate)
                if plate in listed:
                    continue
            moved = noise.move(raw, lab.plate, plate)
            made.append(
                read_from_json(moved | {"read_id": f"s{len(made)}"}, camera="bench", now=now)
            )
            batch.append((lab.region, plate))
        for (region, plate), result in zip(batch, _match_all(matcher, made), strict=True):
            count(tally, group, region, result, plate if group == "listed" else None)
    report_tally(
        report,
        tally,
        what=what,
        section=section,
        command=command,
        note=f"{what.capitalize()}: the noise of each openalpr-dev read (its per-position "
        f"probabilities, misread positions, inserted and dropped characters) moved onto "
        f"{SYNTHETIC_UNLISTED:,} random plates of the same shape that are not on the "
        f"1,000,000-entry list, and onto {SYNTHETIC_LISTED:,} listed plates of the same shape; "
        "misread characters and runner-ups are drawn from the matcher's confusion table "
        "(the probabilities are the real reader's). Per region of the photo the noise came "
        "from.",
    )


def _match_all(matcher: Matcher, reads: list[Any]) -> list[MatchResult]:
    out: list[MatchResult] = []
    for start in range(0, len(reads), 1024):
        out += matcher.match_many(reads[start : start + 1024])
    return out
