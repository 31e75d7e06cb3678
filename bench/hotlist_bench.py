"""Hotlist benchmark: import times, lookups per second, and hit recall against false alerts.

Run alone with `.venv/bin/python -m bench.hotlist_bench` (prints the figures; `--lookups-only`
and `--recall-only` run one part), or through
`make bench`. Synthetic lists, index files and cached reads go to bench/out/ (gitignored).
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

import store.tables  # noqa: F401  (every table on the metadata)
from bench.report import Figure, Report
from hotlist.index_build import build_index
from hotlist.lists import import_hotlist
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
COMMAND = "python -m bench.hotlist_bench"
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


IMPORTS = (
    ("import 1M rows", False),
    ("daily refresh of 1M rows (--replace, 3% churn)", True),
    ("full replace of 1M rows (--replace, every record renumbered)", True),
)


def time_import(url: str, feeds: list[Path]) -> tuple[list[tuple[float, float, float]], Any]:
    """(wall s, this process's CPU s, 1-minute load average before) for each of IMPORTS."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    times = []
    for path, (_, replace) in zip(feeds, IMPORTS, strict=True):
        load = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        with transaction(factory) as session:
            import_hotlist(session, path, list_name="NCIC", list_source="ncic", replace=replace)
        times.append((time.perf_counter() - wall, time.process_time() - cpu, load))
    return times, engine


def bench_import(report: Report, feeds: list[Path]) -> Any:
    db = OUT / "hotlist-bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    times, engine = time_import(f"sqlite:///{db}", feeds)
    _import_figures(report, "SQLite", times, 15, "executemany")
    pg_name = "platewatch_bench_hotlist"
    url = _fresh_pg_url(pg_name)
    if url is None:
        report.note(SECTION, f"PostgreSQL import not measured: {PG_ADMIN_URL} unreachable")
        return engine
    try:
        times, pg_engine = time_import(url, feeds)
        pg_engine.dispose()
        _import_figures(report, "PostgreSQL", times, 30, "COPY")
    finally:
        _drop_pg(pg_name)
    return engine


def _import_figures(
    report: Report, db: str, times: list[tuple[float, float, float]], goal: int, path: str
) -> None:
    for (name, _), (wall, cpu, load) in zip(IMPORTS, times, strict=True):
        report.add(
            Figure(
                SECTION,
                f"{name}, {db}",
                wall,
                "s",
                higher_is_better=False,
                command=COMMAND,
                notes=(f"goal < {goal} s; " if name.startswith("import") else "")
                + f"parse + validate + {path}; this process used {cpu:.1f} s of CPU (the "
                f"rest is the database server or waiting for a core); load average "
                f"{load:.1f} on {os.cpu_count()} cores when it started",
            )
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
    # A feed that renumbered every record: nothing is unchanged, the whole list is swapped.
    renumbered = OUT / "hotlist-1m-renumbered.csv"
    write_feed(renumbered, [(p, s, i + 3 * len(entries)) for p, s, i in numbered[100:]])
    engine = bench_import(report, [feed, refresh, renumbered])

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
            command=COMMAND,
            notes="once per list change, by the first matcher to notice; the others map the file",
        )
    )
    engine.dispose()
    from bench.hotlist_lookups import bench_lookups

    bench_lookups(report, path, entries)
    from bench.hotlist_recall import recall_experiment, synthetic_experiment

    recall_experiment(report, entries)
    synthetic_experiment(report, entries)


if __name__ == "__main__":
    from bench.report import machine_description, now

    result = Report()
    begun = now()
    if "--recall-only" in sys.argv:
        from bench.hotlist_recall import recall_experiment, synthetic_experiment

        OUT.mkdir(parents=True, exist_ok=True)
        listed = synthetic_plates(SYNTHETIC, 2024, {x.plate for x in labels()})
        recall_experiment(result, listed)
        synthetic_experiment(result, listed)
    elif "--lookups-only" in sys.argv:
        from bench.hotlist_lookups import lookups_only

        lookups_only(result)
    else:
        run(result)
    line = f"_Measured by `python -m bench.hotlist_bench {' '.join(sys.argv[1:])}`".rstrip()
    line += f" from {begun:%Y-%m-%d %H:%M} to {now():%H:%M} UTC on {machine_description()}._"
    print("\n".join(result.render_section(section, line) for section in result.sections()))
