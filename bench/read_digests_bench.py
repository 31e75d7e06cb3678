"""Checkpoint cost with the reads digests, on 1,000,000 plate reads, PostgreSQL and SQLite.

Reads spread over 60 capture days (8 cameras, one site), the older half purged with their
journal rows, as a deployment a month into the 30-day policy holds them. Measured in the same
run: an audit-chain-only checkpoint (the baseline: what a checkpoint cost before), the first
checkpoint that signs every day (once per deployment), an hourly checkpoint after an hour of
arrivals (about 700 reads), a checkpoint with nothing new (the purge's), and the verification
`retention audit` and `audit verify` run (every read hashed).

    PYTHONPATH=. python -m bench.read_digests_bench   (PLATEWATCH_BENCH_DIGEST_READS=... smaller)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text

from store.base import Base
from store.checkpoints import publish_checkpoints
from store.db import make_engine, make_session_factory
from store.read_chain import ReadsOptions
from store.read_verify import verify_reads
from store.settings import CheckpointPaths
from store.tables import Camera, PlateReadRow, RetentionPurgedRead, RetentionRun, Site

READS = int(os.environ.get("PLATEWATCH_BENCH_DIGEST_READS", "1000000"))
DAYS = 60
CAMERAS = 8
HOURLY = READS // (DAYS * 24)
PG_ADMIN_URL = os.environ.get(
    "PLATEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CHUNK = 20_000


def _rows(now: datetime, start: int, count: int, spread: timedelta) -> Iterator[dict[str, Any]]:
    for i in range(start, start + count):
        captured = now - spread + spread * (i - start) / count
        camera = f"cam{i % CAMERAS}"
        purged = captured < now - timedelta(days=30)
        yield {
            "read_id": f"r{i:08d}",
            "camera_id": camera,
            "site_id": 1,
            "captured_at": captured,
            "received_at": captured + timedelta(seconds=2),
            "plate": None if purged else "ABC123",
            "confidence": 0.9,
            "detail": {},
            "resident": i % 10 == 0,
            "has_hit": i % 500 == 0,
            "crop_path": None if purged else f"{camera}/{captured:%Y/%m/%d}/r{i:08d}_crop.jpg",
            "frame_path": None if purged else f"{camera}/{captured:%Y/%m/%d}/r{i:08d}_frame.jpg",
            "images_purged_at": now - timedelta(days=1) if purged else None,
        }


def _journal(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "read_id": r["read_id"],
            "run_id": 1,
            "batch": 1,
            "site_id": 1,
            "captured_at": r["captured_at"],
            "files": 2,
            "crop_path": f"x/{r['read_id']}_crop.jpg",
            "frame_path": f"x/{r['read_id']}_frame.jpg",
        }
        for r in rows
        if r["images_purged_at"] is not None
    ]


def _fill(engine: Engine, now: datetime) -> None:
    Base.metadata.create_all(engine)
    with make_session_factory(engine).begin() as s:
        s.add(Site(id=1, name="oak", created_at=now - timedelta(days=90)))
        s.flush()
        for c in range(CAMERAS):
            s.add(
                Camera(id=f"cam{c}", site_id=1, name=f"c{c}", created_at=now - timedelta(days=90))
            )
        s.add(RetentionRun(id=1, owner="bench", policy={}, finished_at=now))
    rows = _rows(now - timedelta(hours=1), 0, READS, timedelta(days=DAYS))
    while chunk := [r for _, r in zip(range(CHUNK), rows, strict=False)]:
        with engine.begin() as conn:
            conn.execute(insert(PlateReadRow), chunk)
            if journal := _journal(chunk):
                conn.execute(insert(RetentionPurgedRead), journal)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def _timed(label: str, action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    print(f"  {label}: {elapsed:.3f} s", flush=True)
    return elapsed


def _measure(engine: Engine, paths: CheckpointPaths, now: datetime) -> None:
    settled = ReadsOptions(settle=timedelta(0))
    base = _timed(
        "audit chain only (baseline)", lambda: publish_checkpoints(engine, paths, ("audit",))
    )
    first = _timed(
        "first checkpoint, every day signed",
        lambda: publish_checkpoints(engine, paths, reads=settled),
    )
    arrivals = list(_rows(now, READS, HOURLY, timedelta(hours=1)))
    with engine.begin() as conn:
        arrived = datetime.now(UTC)
        conn.execute(insert(PlateReadRow), [{**r, "received_at": arrived} for r in arrivals])
    hourly = _timed(
        f"hourly checkpoint after {HOURLY} arrivals",
        lambda: publish_checkpoints(engine, paths, reads=settled),
    )
    idle = _timed(
        "checkpoint with nothing new (the purge's)",
        lambda: publish_checkpoints(engine, paths, reads=settled),
    )

    def verify() -> None:
        with make_session_factory(engine)() as s:
            problems = verify_reads(s, paths)
            assert problems == [], problems[:3]

    check = _timed("verify every read", verify)
    print(
        f"  ratios to the baseline: first {first / base:.0f}x, hourly {hourly / base:.1f}x, "
        f"idle {idle / base:.1f}x, verify {check / base:.0f}x; "
        f"sink {paths.sink.stat().st_size} bytes",
        flush=True,
    )


def _postgres() -> Iterator[str]:
    name = f"pw_bench_digest_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    now = datetime.now(UTC)
    backends = sys.argv[1:] or ["postgres", "sqlite"]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            print(f"{backend}: {READS} reads over {DAYS} days", flush=True)
            urls = _postgres() if backend == "postgres" else iter([f"sqlite:///{tmp}/bench.db"])
            for url in urls:
                engine = make_engine(url)
                started = time.perf_counter()
                _fill(engine, now)
                print(f"  (filled in {time.perf_counter() - started:.0f} s)", flush=True)
                paths = CheckpointPaths(
                    Path(tmp) / f"{backend}.pem", Path(tmp) / f"{backend}.jsonl"
                )
                _measure(engine, paths, now)
                engine.dispose()


if __name__ == "__main__":
    main()
