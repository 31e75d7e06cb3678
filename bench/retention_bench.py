"""Retention: purge 1,000,000 images with `platewatch retention purge`, beside `find -delete`.

Each backend gets its own tree of small image files in the real layout plus its rows (half a
million reads, a crop and a frame each, all past the 30-day policy) and 5% more young images
that must stay. The baseline is `find <tree> -mtime +30 -delete` on an identical tree (mtimes
set to the capture times), run in the same process a moment earlier: it deletes the same files
but keeps no database, receipt or audit trail, so it bounds what unlinking alone costs.

Set PLATEWATCH_BENCH_RETENTION_IMAGES for a smaller run while developing.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.report import Figure, Report

SECTION = "Retention"
IMAGES = int(os.environ.get("PLATEWATCH_BENCH_RETENTION_IMAGES", "1000000"))
YOUNG_SHARE = 0.05
CAMERAS = 8
PG_ADMIN_URL = os.environ.get(
    "PLATEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PLATEWATCH = str(Path(sys.executable).with_name("platewatch"))
CROP = b"\xff\xd8" + b"c" * 508 + b"\xff\xd9"
FRAME = b"\xff\xd8" + b"f" * 2044 + b"\xff\xd9"


@dataclass(frozen=True)
class Read:
    read_id: str
    camera_id: str
    captured_at: datetime
    crop: str
    frame: str


def _reads(now: datetime) -> Iterator[Read]:
    """Due reads 31.5 to 60 days old (so `find -mtime +30` agrees), then young ones."""
    due = IMAGES // 2
    young = int(due * YOUNG_SHARE)
    for i in range(due + young):
        if i < due:
            age = timedelta(days=31.5) + timedelta(seconds=(28 * 86400) * i / due)
        else:
            age = timedelta(seconds=(28 * 86400) * (i - due) / max(young, 1))
        captured = now - age
        camera = f"cam-{i % CAMERAS}"
        read_id = str(uuid.UUID(int=(i + 1) << 64 | 0x4000_8000_0000_0000))
        day = f"{camera}/{captured:%Y/%m/%d}"
        yield Read(
            read_id, camera, captured, f"{day}/{read_id}_crop.jpg", f"{day}/{read_id}_frame.jpg"
        )


def _write_tree(root: Path, reads: list[Read]) -> None:
    made: set[str] = set()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for read in reads:
        folder = read.crop.rsplit("/", 1)[0]
        if folder not in made:
            (root / folder).mkdir(parents=True, exist_ok=True)
            made.add(folder)
        mtime = read.captured_at.timestamp()
        for rel, data in ((read.crop, CROP), (read.frame, FRAME)):
            path = f"{root}/{rel}"
            fd = os.open(path, flags, 0o644)
            os.write(fd, data)
            os.close(fd)
            os.utime(path, (mtime, mtime))


def _schema(url: str) -> None:
    import store.tables  # noqa: F401  (every table on the metadata)
    from store.base import Base
    from store.db import make_engine, make_session_factory, transaction
    from store.tables import Camera, Site

    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with transaction(make_session_factory(engine)) as session:
        session.add(Site(id=1, name="bench"))
        session.flush()
        session.add_all(Camera(id=f"cam-{c}", site_id=1, name=f"cam-{c}") for c in range(CAMERAS))
    engine.dispose()


def _row(read: Read, received: datetime) -> tuple[object, ...]:
    return (
        read.read_id,
        read.camera_id,
        1,
        read.captured_at,
        received,
        "ABC1234",
        0.97,
        "{}",
        False,
        False,
        read.crop,
        read.frame,
    )


COLUMNS = (
    "read_id, camera_id, site_id, captured_at, received_at, plate, confidence, detail, "
    "resident, has_hit, crop_path, frame_path"
)


def _load_sqlite(path: Path, reads: list[Read]) -> None:
    def stamp(value: datetime) -> str:  # how SQLAlchemy stores UTC times in SQLite
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    received = datetime.now(UTC)
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            f"INSERT INTO plate_reads ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (*r[:3], stamp(r[3]), stamp(r[4]), *r[5:])  # type: ignore[arg-type]
                for r in (_row(read, received) for read in reads)
            ),
        )
    conn.execute("ANALYZE")
    conn.close()


def _load_postgres(url: str, reads: list[Read]) -> None:
    import psycopg

    received = datetime.now(UTC)
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY plate_reads ({COLUMNS}) FROM STDIN") as copy:
            for read in reads:
                copy.write_row(_row(read, received))
        conn.execute("ANALYZE plate_reads")


def _timed(args: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    # Start each timing with nothing left to write back from building the trees or from the
    # run before, so neither side pays for the other's dirty pages.
    os.sync()
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        msg = f"{' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}"
        raise RuntimeError(msg)
    return elapsed, done.stdout


def _env(url: str, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLATEWATCH_")}
    env.update(
        {
            "PLATEWATCH_DATABASE_URL": url,
            "PLATEWATCH_EDGE__IMAGE_ROOT": str(root),
            "PLATEWATCH_DATA_DIR": str(root.parent / "var"),
        }
    )
    return env


def _purge(report: Report, label: str, url: str, root: Path, find_s: float, due: int) -> None:
    env = _env(url, root)
    elapsed, out = _timed([PLATEWATCH, "retention", "purge", "--json"], env)
    result = json.loads(out)
    deleted = result["files_deleted"]
    if deleted != due or result["receipt"]["file_count"] != due:
        msg = f"{label}: purge deleted {deleted} files, receipt says {result['receipt']['file_count']}, expected {due}"  # noqa: E501
        raise RuntimeError(msg)
    report.add(
        Figure(
            SECTION,
            f"purge {due:,} images ({label})",
            due / elapsed,
            "images/s",
            baseline="find -mtime +30 -delete",
            baseline_value=due / find_s,
            command="platewatch retention purge --json",
            notes=f"{elapsed:.1f} s wall incl. CLI start (target < 120 s); find took "
            f"{find_s:.1f} s; {result['receipt']['read_count']:,} reads marked, receipt and "
            "audit event written",
        )
    )
    audit_s, audit_out = _timed([PLATEWATCH, "retention", "audit", "--json"], env)
    audit = json.loads(audit_out)
    if not audit["ok"]:
        msg = f"{label}: audit after purge found {len(audit['violations'])} violations"
        raise RuntimeError(msg)
    report.add(
        Figure(
            SECTION,
            f"audit after the purge ({label})",
            audit_s,
            "s",
            higher_is_better=False,
            command="platewatch retention audit --json",
            notes=f"{audit['reads_checked']:,} reads, {audit['files_checked']:,} files on disk, "
            f"{audit['receipts_checked']} receipt(s) checked; clean",
        )
    )


def _pg_database() -> tuple[str, str]:
    name = f"pw_bench_retention_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run(report: Report) -> None:
    now = datetime.now(UTC)
    reads = list(_reads(now))
    due = IMAGES // 2 * 2
    with tempfile.TemporaryDirectory(prefix="pw-retention-bench-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        _write_tree(work / "find-tree", reads)
        _write_tree(work / "sqlite-tree", reads)
        sqlite_url = f"sqlite:///{work / 'bench.db'}"
        _schema(sqlite_url)
        _load_sqlite(work / "bench.db", reads)
        setup_s = time.perf_counter() - started

        find_s, _ = _timed(["find", str(work / "find-tree"), "-mtime", "+30", "-delete"])
        _purge(report, "SQLite", sqlite_url, work / "sqlite-tree", find_s, due)
        shutil.rmtree(work / "find-tree")
        shutil.rmtree(work / "sqlite-tree")

        name, pg_url = _pg_database()
        try:
            _write_tree(work / "pg-tree", reads)
            _schema(pg_url)
            _load_postgres(pg_url, reads)
            _purge(report, "PostgreSQL", pg_url, work / "pg-tree", find_s, due)
        finally:
            _drop_pg(name)
    young = len(reads) * 2 - due
    report.note(
        SECTION,
        (
            f"Tree: {len(reads):,} reads x (crop 512 B + frame 2 KiB) in "
            f"`<camera>/<YYYY>/<MM>/<DD>/` over {CAMERAS} cameras; {due:,} images past 30 days, "
            f"{young:,} younger ones kept. Building the SQLite tree, the find tree and the rows "
            f"took {setup_s:.0f} s (not timed). "
            "Each timing starts after `sync`. The same find figure is the baseline for both "
            "databases; this shared 2-core VM's disk (ext4 with discard) varies by several times "
            "between minutes, so read the ratio."
        ),
    )


if __name__ == "__main__":
    rep = Report()
    run(rep)
    at = datetime.now(UTC)
    line = f"_Measured by `python -m bench.retention_bench` at {at:%Y-%m-%d %H:%M} UTC._"
    print("\n".join(rep.render_section(name, line) for name in rep.sections()))
