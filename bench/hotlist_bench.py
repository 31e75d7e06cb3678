"""Hotlist benchmark: import times, lookups per second, and hit recall against false alerts.

Run alone with `.venv/bin/python -m bench.hotlist_bench` (prints the figures), or through
`make bench`. Synthetic lists, index files and cached reads go to bench/out/ (gitignored).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

import store.tables  # noqa: F401  (every table on the metadata)
from alpr.read import Box, CharChoice, PlateRead
from bench.report import Figure, Report
from hotlist.cli_match import read_from_json
from hotlist.index_build import build_index, write_index
from hotlist.index_file import IndexFile, ListInfo
from hotlist.lists import import_hotlist
from hotlist.matcher import Matcher
from hotlist.settings import MatchSettings
from store.base import Base
from store.db import make_engine, make_session_factory, transaction

SECTION = "Hotlist"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEV = ROOT.parent / "shared" / "data" / "openalpr-dev"
PG_ADMIN_URL = os.environ.get(
    "PLATEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SYNTHETIC = 1_000_000
LETTERS = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
# (region, state, format, share): L a letter, D a digit. US: California 7ABC123, the
# ABC1234 of many states, older ABC123 and 123ABC; EU: Slovak/Italian/French AB123CD, Czech
# 1AB2345, German-like ABC1234; Brazil: the old ABC1234 and Mercosul ABC1D23.
FORMATS = [
    ("us", "CA", "DLLLDDD", 0.20),
    ("us", "TX", "LLLDDDD", 0.20),
    ("us", "FL", "LLLDDD", 0.08),
    ("us", "NY", "DDDLLL", 0.06),
    ("us", "IL", "LLDDDDD", 0.06),
    ("eu", "SVK", "LLDDDLL", 0.08),
    ("eu", "CZE", "DLLDDDD", 0.06),
    ("eu", "DEU", "LLLDDDD", 0.06),
    ("br", "BRA", "LLLDDDD", 0.10),
    ("br", "BRA", "LLLDLDD", 0.10),
]
LABEL_STATE = {"us": "", "br": "BRA", "eu": ""}


@dataclass(frozen=True)
class Label:
    file: str
    plate: str
    region: str
    box: tuple[int, int, int, int]


def synthetic_plates(n: int, seed: int, exclude: set[str]) -> list[tuple[str, str]]:
    """n distinct (plate, state) in realistic formats, none of them in `exclude`."""
    rng = np.random.default_rng(seed)
    out: dict[str, str] = {}
    while len(out) < n:
        for _, state, fmt, share in FORMATS:
            count = int(share * (n - len(out)) * 1.05) + 10
            cols = [
                LETTERS[rng.integers(0, 26, count)]
                if c == "L"
                else DIGITS[rng.integers(0, 10, count)]
                for c in fmt
            ]
            plates = np.stack(cols, axis=1).copy().view(f"S{len(fmt)}").ravel()
            for raw in plates.tolist():
                plate = raw.decode()
                if plate not in exclude and plate not in out:
                    out[plate] = state
                    if len(out) >= n:
                        break
            if len(out) >= n:
                break
    return list(out.items())


def write_feed(path: Path, entries: list[tuple[str, str, int]]) -> None:
    """A CSV feed; each record keeps its number (and entry date) from feed to feed, as a
    real daily feed does, so a refresh changes only the records that did change."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "plate",
                "state",
                "reason",
                "make",
                "model",
                "color",
                "record_number",
                "entered_at",
                "expires_at",
            ]
        )
        for plate, state, i in entries:
            writer.writerow(
                [
                    plate,
                    state,
                    "stolen_vehicle",
                    "",
                    "",
                    "",
                    f"N{i:08d}",
                    f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    "",
                ]
            )


def labels() -> list[Label]:
    with (DEV / "labels.csv").open(encoding="utf-8") as handle:
        return [
            Label(
                r["file"],
                r["plate_text"].upper(),
                r["region"],
                (int(r["x"]), int(r["y"]), int(r["w"]), int(r["h"])),
            )
            for r in csv.DictReader(handle)
        ]


# ---------------------------------------------------------------------------------- import


def _fresh_pg_url(name: str) -> str | None:

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        return None
    finally:
        admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg(name: str) -> None:

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def time_import(url: str, feed: Path, refresh: Path) -> tuple[list[tuple[float, float]], Any]:
    """(wall s, this process's CPU s) for a first import and for a --replace refresh (the
    next day's feed)."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    times = []
    for path, replace in ((feed, False), (refresh, True)):
        wall, cpu = time.perf_counter(), time.process_time()
        with transaction(factory) as session:
            import_hotlist(session, path, list_name="NCIC", list_source="ncic", replace=replace)
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return times, engine


def bench_import(report: Report, feed: Path, refresh: Path) -> Any:
    db = OUT / "hotlist-bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    times, engine = time_import(f"sqlite:///{db}", feed, refresh)
    _import_figures(report, "SQLite", times, 15, "executemany")
    pg_name = "platewatch_bench_hotlist"
    url = _fresh_pg_url(pg_name)
    if url is None:
        report.note(SECTION, f"PostgreSQL import not measured: {PG_ADMIN_URL} unreachable")
        return engine
    try:
        times, pg_engine = time_import(url, feed, refresh)
        pg_engine.dispose()
        _import_figures(report, "PostgreSQL", times, 30, "COPY")
    finally:
        _drop_pg(pg_name)
    return engine


def _import_figures(
    report: Report, db: str, times: list[tuple[float, float]], goal: int, path: str
) -> None:
    names = (f"import 1M rows, {db}", f"daily refresh of 1M rows (--replace, 3% churn), {db}")
    for name, (wall, cpu) in zip(names, times, strict=True):
        report.add(
            Figure(
                SECTION,
                name,
                wall,
                "s",
                higher_is_better=False,
                command="python -m bench.hotlist_bench",
                notes=f"goal < {goal} s; parse + validate + {path}; this process "
                f"used {cpu:.1f} s of CPU (the rest is the database server "
                "or waiting for a core)",
            )
        )


# ---------------------------------------------------------------------------------- lookups


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
    per-character choices and confidences."""

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
        for i, ch in enumerate(chars):
            alt = swaps.get(ch, "X")
            if listed and k % 3 == 1 and i == 2 and ch in swaps:
                chars[i] = alt
                choices.append((CharChoice(char=alt, p=0.6), CharChoice(char=ch, p=0.35)))
            else:
                choices.append((CharChoice(char=ch, p=0.97), CharChoice(char=alt, p=0.02)))
        reads.append(
            PlateRead(
                camera_id="bench",
                captured_at=now,
                plate="".join(chars),
                confidence=0.9,
                box=Box(x1=0, y1=0, x2=1, y2=1),
                char_choices=tuple(choices),
                char_confidences=tuple(c[0].p for c in choices),
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
            command="python -m bench.hotlist_bench",
            notes=f"file {index_path.stat().st_size / 2**20:.0f} MiB, shared by every "
            "matcher process through the page cache",
        )
    )
    reads = noisy_reads(entries, 60_000, 11, every=100)
    worst = noisy_reads(entries, 30_000, 12, every=2)
    exact_only = MatchSettings(max_edits=0, max_substitutions=0)
    plain = [r.model_copy(update={"char_choices": ()}) for r in reads]
    fuzzy_rate = _rate(lambda: [matcher.match(r) for r in reads], len(reads))
    worst_rate = _rate(lambda: [matcher.match(r) for r in worst], len(worst))
    exact_rate = _rate(lambda: [matcher.match(r, exact_only) for r in plain], len(plain))
    plates = [p for p, _ in entries]
    sample = [r.plate for r in reads[:3]]
    naive_fuzzy = _rate(
        lambda: [[p for p in plates if levenshtein(s, p) <= 2] for s in sample], len(sample)
    )
    naive_exact = _rate(
        lambda: [[p for p in plates if p == s] for s in sample * 10], len(sample) * 10
    )
    report.add(
        Figure(
            SECTION,
            "lookups/s, exact + OCR-equivalent, 1M entries, 1 core",
            exact_rate,
            "reads/s",
            baseline="naive scan comparing every entry",
            baseline_value=naive_exact,
            command="python -m bench.hotlist_bench",
            notes="canonical-key probe only",
        )
    )
    report.add(
        Figure(
            SECTION,
            "lookups/s, full fuzzy, 1M entries, 1 core",
            fuzzy_rate,
            "reads/s",
            baseline="naive scan with an edit-distance function (<= 2)",
            baseline_value=naive_fuzzy,
            command="python -m bench.hotlist_bench",
            notes="equivalents, +-1 character, runner-up characters, alternatives, 100 "
            "wildcard entries; 1% of reads are of listed plates; goal >= 50,000/s; reads per "
            "CPU-second of one process",
        )
    )
    report.add(
        Figure(
            SECTION,
            "lookups/s, full fuzzy, 1M entries, 1 core, half the reads listed",
            worst_rate,
            "reads/s",
            baseline="naive scan with an edit-distance function (<= 2)",
            baseline_value=naive_fuzzy,
            command="python -m bench.hotlist_bench",
            notes="worst case: every other read is scored against its entry",
        )
    )


def _rate(work: Any, count: int) -> float:
    """Reads per second of this process's CPU time: per core, whatever else the shared
    machine is running."""
    started = time.process_time()
    work()
    return count / (time.process_time() - started)


# ------------------------------------------------------------------------- recall / false


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
        return ix * iy / max(1, w * h)

    candidates = sorted(reads, key=lambda r: (overlap(r), r.get("confidence", 0)), reverse=True)
    return candidates[0] if candidates else None


def _by_source(reads: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for read in reads:
        source = str(read.get("source") or "")
        key = "/".join(Path(source).parts[-2:])
        grouped.setdefault(key, []).append(read)
    return grouped


def recall_experiment(report: Report, entries: list[tuple[str, str]]) -> None:

    reads = read_photos()
    if reads is None:
        report.note(
            SECTION,
            "Hit recall / false alerts not measured: `platewatch read` is not "
            "available yet; the experiment runs once it is.",
        )
        return
    all_labels = labels()
    grouped = _by_source(reads)
    halves = (all_labels[0::2], all_labels[1::2])
    tally: dict[tuple[str, str], list[int]] = {}
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
        write_index(path, [ListInfo(1, "bench", 1, 1, "ncic", None, None, None)], rows, [(1, 1)])
        matcher = Matcher(IndexFile(path))
        now = datetime.now(UTC)
        for group, labs in (("listed", listed), ("unlisted", unlisted)):
            for lab in labs:
                raw = _best_read(lab, grouped.get(lab.file, []))
                decisions = set()
                if raw is not None:
                    result = matcher.match(read_from_json(raw, camera="bench", now=now))
                    for m in result.matches:
                        right = m.entry_plate == lab.plate
                        if group == "listed" and right:
                            decisions.add(m.decision)
                        elif group == "unlisted" or not right:
                            decisions.add("false-" + m.decision)
                counts = tally.setdefault((group, lab.region), [0, 0, 0, 0, 0])
                counts[0] += 1
                counts[1] += "alert" in decisions
                counts[2] += bool(decisions & {"alert", "verify"})
                counts[3] += "false-alert" in decisions
                counts[4] += bool(decisions & {"false-alert", "false-verify"})
    _report_recall(report, tally)


def _report_recall(report: Report, tally: dict[tuple[str, str], list[int]]) -> None:
    regions = sorted({r for _, r in tally})
    for region in [*regions, "all"]:
        listed = [
            sum(v[i] for (g, r), v in tally.items() if g == "listed" and region in (r, "all"))
            for i in range(5)
        ]
        unlisted = [
            sum(v[i] for (g, r), v in tally.items() if g == "unlisted" and region in (r, "all"))
            for i in range(5)
        ]
        if listed[0]:
            report.add(
                Figure(
                    SECTION,
                    f"hotlisted vehicles alerting (alert or verify), {region}",
                    100 * listed[2] / listed[0],
                    "%",
                    command="python -m bench.hotlist_bench",
                    notes=f"{listed[2]}/{listed[0]}; hit (alert) only: "
                    f"{100 * listed[1] / listed[0]:.1f}%; goal >= 90%",
                )
            )
        if unlisted[0]:
            report.add(
                Figure(
                    SECTION,
                    f"false alerts per 1,000 unlisted reads, {region}",
                    1000 * unlisted[4] / unlisted[0],
                    "per 1,000",
                    higher_is_better=False,
                    command="python -m bench.hotlist_bench",
                    notes=f"alert or verify: {unlisted[4]}/{unlisted[0]}; hits only: "
                    f"{unlisted[3]}/{unlisted[0]}; goal <= 1",
                )
            )
    report.note(
        SECTION,
        "Recall experiment: both halves of openalpr-dev take turns on a list "
        "with 1,000,000 synthetic US/EU/BR plates (two folds, every photo "
        "counted once listed and once unlisted); a listed vehicle counts if "
        "its own entry matched; any match of an unlisted vehicle, or of a "
        "listed one to another entry, is a false alert.",
    )


# ---------------------------------------------------------------------------------- main


def run(report: Report) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    exclude = {lab.plate for lab in labels()} if DEV.exists() else set()
    started = time.perf_counter()
    entries = synthetic_plates(SYNTHETIC, 2024, exclude)
    feed = OUT / "hotlist-1m.csv"
    # Partial plates from witnesses: 100 wildcard entries beside the full ones.
    partial = [
        (p[:3] + "?" + p[4:], s) if i % 2 else (p[:4] + "*", s)
        for i, (p, s) in enumerate(entries[:100])
    ]
    numbered = [(p, s, i) for i, (p, s) in enumerate(entries)]
    partial_numbered = [(p, s, len(entries) + i) for i, (p, s) in enumerate(partial)]
    write_feed(feed, numbered[100:] + partial_numbered)
    report.note(
        SECTION,
        f"Synthetic list: {len(entries):,} plates in {len(FORMATS)} US/EU/BR "
        f"formats, generated in {time.perf_counter() - started:.1f} s.",
    )
    # The next day's feed: 3% of the records cleared, as many new ones entered.
    churn = len(entries) * 3 // 100
    fresh = synthetic_plates(churn, 2025, exclude | {p for p, _ in entries})
    refresh = OUT / "hotlist-1m-next-day.csv"
    fresh_numbered = [(p, s, 2 * len(entries) + i) for i, (p, s) in enumerate(fresh)]
    write_feed(refresh, numbered[max(100, churn) :] + fresh_numbered + partial_numbered)
    engine = bench_import(report, feed, refresh)

    folder = OUT / "index"
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    with make_session_factory(engine)() as session:
        path, _ = build_index(session, folder)
    report.add(
        Figure(
            SECTION,
            "index build from the database, 1M entries",
            time.perf_counter() - started,
            "s",
            higher_is_better=False,
            command="python -m bench.hotlist_bench",
            notes="once per list change, by the first matcher to notice; the others map the file",
        )
    )
    engine.dispose()
    bench_lookups(report, path, entries)
    recall_experiment(report, entries)


if __name__ == "__main__":
    from bench.report import now

    result = Report()
    begun = now()
    if "--recall-only" in sys.argv:
        OUT.mkdir(parents=True, exist_ok=True)
        recall_experiment(result, synthetic_plates(SYNTHETIC, 2024, {x.plate for x in labels()}))
    else:
        run(result)
    print(result.render(begun, now()))
