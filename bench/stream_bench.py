"""Stream throughput and latency: edge outbox -> broker -> matcher -> database.

With a 1,000,000-entry hotlist, on SQLite and on PostgreSQL. The matcher runs as a real
`platewatch matcher` process against the embedded Tansu broker (or the configured cluster).
Baseline, measured in the same run on the same database: the same matching and storing done
in-process straight from a list of reads, with no outbox, broker or consumer in between, so
the ratio is the share of that speed the stream keeps. That in-process ingest is itself
measured against ingesting one read at a time (what the matcher did before it batched).

Latency is measured twice: at a steady 50 reads/s (what an officer waits at ordinary load,
seen by a poller as the committed alert row appears) and during the full-speed burst (which is
mostly the time a read queues behind the burst).
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import Engine, create_engine, func, select, text

import store.tables  # noqa: F401  (every table on the metadata)
from alpr.read import Box, PlateRead
from bench.report import Figure, Report
from hotlist.bulk import insert_entries
from hotlist.ingest import IndexCache, ingest_read, ingest_reads
from hotlist.lists import create_hotlist, touch
from hotlist.parse import HotlistRow
from hotlist.sites import create_camera, create_site
from platewatch.settings import Settings, load_settings
from store.base import Base
from store.db import make_engine, make_session_factory, transaction
from store.tables import Alert, PlateReadRow
from stream.broker import EmbeddedBroker
from stream.clients import ensure_topics
from stream.publisher import EdgePublisher

SECTION = "Stream"
HOTLIST_SIZE = 1_000_000
READS = 20_000
HOT_EVERY = 100  # one read in a hundred is a listed plate, each a different one
PACED_READS = 1_500
PACED_RATE = 50.0  # reads/s: some 200 cameras at a read every 4 s
PACED_HOT_EVERY = 10
CAMERAS = ["bench-cam-1", "bench-cam-2", "bench-cam-3", "bench-cam-4"]
PG_ADMIN = os.environ.get(
    "PLATEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
COMMAND = "make bench (bench/stream_bench.py)"
_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def _plates(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < n:
        seen.add("".join(rng.choice(_ALPHABET) for _ in range(7)))
    return sorted(seen)


def _seed(engine: Engine, listed: list[str]) -> None:
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        create_site(session, "Bench HOA")
        for camera in CAMERAS:
            create_camera(session, camera, site="Bench HOA")
        hotlist = create_hotlist(session, "bench NCIC", source="ncic")
        rows = [
            HotlistRow(i, plate, None, "stolen_vehicle", None, None, None, None, None, None)
            for i, plate in enumerate(listed)
        ]
        insert_entries(session, hotlist.id, rows)
        touch(hotlist)


def _reads(count: int, listed: list[str], seed: int, hot_every: int = HOT_EVERY) -> list[PlateRead]:
    rng = random.Random(seed)
    hot = rng.sample(listed, count // hot_every + 1)
    start = datetime.now(UTC) - timedelta(hours=1)
    reads = []
    for i in range(count):
        plate = (
            hot[i // hot_every]
            if i % hot_every == 0
            else "".join(rng.choice(_ALPHABET) for _ in range(6)) + "Q"
        )
        reads.append(
            PlateRead(
                read_id=str(uuid.UUID(int=rng.getrandbits(128))),
                camera_id=CAMERAS[i % 4],
                captured_at=start + timedelta(milliseconds=100 * i),
                plate=plate,
                confidence=0.95,
                char_confidences=tuple(0.95 for _ in plate),
                box=Box(x1=0, y1=0, x2=100, y2=40),
            )
        )
    return reads


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(PlateReadRow)) or 0)


def _in_process(
    engine: Engine, settings: Settings, reads: list[PlateRead], *, batched: bool
) -> float:
    """Reads/s matching and storing in-process, in transactions of stream.batch_max reads,
    handed to the ingest as one batch or one read at a time; no stream."""
    factory = make_session_factory(engine)
    cache = IndexCache(settings=settings.matching)
    with transaction(factory) as session:
        cache.current(session)  # open (or build) the index outside the timing
    started = time.perf_counter()
    size = settings.stream.batch_max
    for begin in range(0, len(reads), size):
        with transaction(factory) as session:
            matcher = cache.current(session)
            batch = reads[begin : begin + size]
            if batched:
                ingest_reads(session, batch, matcher, settings.matching)
            else:
                for read in batch:
                    ingest_read(session, read, matcher, settings.matching)
    return len(reads) / (time.perf_counter() - started)


@contextmanager
def _matcher_process(settings: Settings, workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    config = workdir / "platewatch.yaml"
    config.write_text(yaml.safe_dump(settings.model_dump(mode="json")), encoding="utf-8")
    log_path = workdir / "matcher.log"
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "platewatch"), "matcher", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
        process.wait(30)


def _burst(
    engine: Engine, edge: EdgePublisher, reads: list[PlateRead]
) -> tuple[float, list[float]]:
    """Reads/s from the first publish to the last read stored, and publish-to-alert seconds
    (to the alert row's created_at, set inside the batch's transaction)."""
    before = _count(engine)
    published_at: dict[str, float] = {}
    started = time.time()
    for read in reads:
        edge.publish(read)
        published_at[read.read_id] = time.time()
    deadline = time.monotonic() + 900
    while _count(engine) < before + len(reads) and time.monotonic() < deadline:
        time.sleep(0.1)
    finished = time.time()
    if _count(engine) < before + len(reads):
        msg = f"only {_count(engine) - before:,} of {len(reads):,} reads were stored in 900 s"
        raise RuntimeError(msg)
    listed_reads = [r.read_id for i, r in enumerate(reads) if i % HOT_EVERY == 0]
    with engine.connect() as conn:
        rows = conn.execute(
            select(Alert.read_id, Alert.created_at).where(Alert.read_id.in_(listed_reads))
        ).all()
    latencies = [created.timestamp() - published_at[read_id] for read_id, created in rows]
    return len(reads) / (finished - started), latencies


class _AlertWatcher(threading.Thread):
    """Polls the alerts table every 10 ms; when each read's alert was first seen committed."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(name="alert-watcher", daemon=True)
        self.engine = engine
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        with self.engine.connect() as conn:
            last_id = int(conn.scalar(select(func.max(Alert.id))) or 0)
            conn.rollback()
            while not self.stop.is_set():
                rows = conn.execute(select(Alert.id, Alert.read_id).where(Alert.id > last_id)).all()
                conn.rollback()  # end the snapshot so the next poll sees new commits
                now = time.time()
                for alert_id, read_id in rows:
                    self.seen.setdefault(read_id, now)
                    last_id = max(last_id, alert_id)
                time.sleep(0.01)


def _paced(engine: Engine, edge: EdgePublisher, reads: list[PlateRead]) -> list[float]:
    """Publish at PACED_RATE; seconds from each listed read's publish to its committed alert."""
    listed = [r.read_id for i, r in enumerate(reads) if i % PACED_HOT_EVERY == 0]
    published_at: dict[str, float] = {}
    watcher = _AlertWatcher(engine)
    watcher.start()
    begin = time.monotonic()
    for i, read in enumerate(reads):
        time.sleep(max(0.0, begin + i / PACED_RATE - time.monotonic()))
        edge.publish(read)
        published_at[read.read_id] = time.time()
    deadline = time.monotonic() + 60
    while not set(listed) <= watcher.seen.keys() and time.monotonic() < deadline:
        time.sleep(0.05)
    watcher.stop.set()
    watcher.join()
    return [watcher.seen[r] - published_at[r] for r in listed if r in watcher.seen]


def _through_stream(
    engine: Engine,
    settings: Settings,
    burst: list[PlateRead],
    paced: list[PlateRead],
    workdir: Path,
) -> tuple[float, list[float], list[float]]:
    with _matcher_process(settings, workdir) as matcher:
        time.sleep(8)  # import, index open and group join, outside the timing
        if matcher.poll() is not None:
            msg = f"the matcher exited early; see {workdir / 'matcher.log'}"
            raise RuntimeError(msg)
        with EdgePublisher(settings, outbox_path=workdir / "edge-outbox.db") as edge:
            rate, burst_latencies = _burst(engine, edge, burst)
            paced_latencies = _paced(engine, edge, paced)
    return rate, burst_latencies, paced_latencies


@contextmanager
def _databases(workdir: Path) -> Iterator[list[tuple[str, str]]]:
    name = f"platewatch_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield [
            ("SQLite", f"sqlite:///{workdir / 'bench.db'}"),
            ("PostgreSQL", PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"),
        ]
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _bench_backend(
    report: Report, label: str, url: str, bootstrap: str, workdir: Path, listed: list[str]
) -> None:
    engine = make_engine(url)
    started = time.perf_counter()
    _seed(engine, listed)
    seeded_s = time.perf_counter() - started
    tag = uuid.uuid4().hex[:6]
    settings = load_settings(
        data_dir=workdir / "var",
        database_url=url,
        kafka_bootstrap_servers=bootstrap,
        stream={
            "reads_topic": f"bench{tag}.reads",
            "alerts_topic": f"bench{tag}.alerts",
            "dead_letter_topic": f"bench{tag}.dead-letter",
            "dispositions_topic": f"bench{tag}.dispositions",
            "consumer_group": f"bench-{tag}",
            "edge_outbox_sync": "FULL",
        },
        matching={"index_dir": str(workdir / f"index-{label}")},
    )
    ensure_topics(bootstrap, settings.stream)
    one_at_a_time = _in_process(engine, settings, _reads(READS // 4, listed, 2), batched=False)
    in_process = _in_process(engine, settings, _reads(READS // 4, listed, 4), batched=True)
    rate, burst, paced = _through_stream(
        engine,
        settings,
        _reads(READS, listed, seed=3),
        _reads(PACED_READS, listed, seed=5, hot_every=PACED_HOT_EVERY),
        workdir,
    )
    engine.dispose()
    notes = (
        f"{READS:,} reads over 4 cameras, 1 in {HOT_EVERY} a listed plate; hotlist of "
        f"{HOTLIST_SIZE:,} entries (loaded in {seeded_s:.0f} s); one matcher process; "
        "every read fsynced into the edge outbox one at a time"
    )
    report.add(
        Figure(
            SECTION,
            f"in-process ingest, batches of 500 ({label})",
            in_process,
            "reads/s",
            baseline="the same, one read at a time",
            baseline_value=one_at_a_time,
            command=COMMAND,
            notes=f"{READS // 4:,} reads each, same hotlist; no stream",
        )
    )
    report.add(
        Figure(
            SECTION,
            f"reads/s edge outbox -> broker -> matcher -> {label}",
            rate,
            "reads/s",
            baseline=f"in-process ingest on {label}, no stream",
            baseline_value=in_process,
            command=COMMAND,
            notes=notes,
        )
    )
    paced_note = (
        f"{len(paced)} alerts of {PACED_READS // PACED_HOT_EVERY}; {PACED_READS:,} reads "
        f"published at {PACED_RATE:.0f} reads/s, 1 in {PACED_HOT_EVERY} listed; from the "
        "edge's publish call to the committed alert row, seen by a 10 ms poller"
    )
    burst_note = (
        f"{len(burst)} alerts; from the edge's publish call to the alert row's created_at, "
        f"during the {READS:,}-read burst above: mostly time queued behind the burst"
    )
    _report_latencies(report, label, f"at {PACED_RATE:.0f} reads/s", paced, paced_note)
    _report_latencies(report, label, "during the burst", burst, burst_note)


def _report_latencies(
    report: Report, label: str, kind: str, latencies: list[float], note: str
) -> None:
    if len(latencies) < 2:
        report.note(SECTION, f"{label} {kind}: too few alerts timed ({len(latencies)})")
        return
    cuts = statistics.quantiles(latencies, n=100)
    for name, value in (("p50", statistics.median(latencies)), ("p99", cuts[98])):
        report.add(
            Figure(
                SECTION,
                f"publish -> stored alert {name} {kind} ({label})",
                value * 1000,
                "ms",
                higher_is_better=False,
                command=COMMAND,
                notes=note,
            )
        )


def run(report: Report) -> None:
    listed = _plates(HOTLIST_SIZE, seed=1)
    with tempfile.TemporaryDirectory(prefix="platewatch-stream-bench-") as tmp:
        workdir = Path(tmp)
        external = os.environ.get("PLATEWATCH_KAFKA_BOOTSTRAP_SERVERS")
        broker = None if external else EmbeddedBroker(output=workdir / "tansu.log")
        if broker is not None:
            broker.start()
        bootstrap = external or (broker.bootstrap_servers if broker else "")
        try:
            with _databases(workdir) as databases:
                for label, url in databases:
                    backend_dir = workdir / label.lower()
                    backend_dir.mkdir()
                    _bench_backend(report, label, url, bootstrap, backend_dir, listed)
        finally:
            if broker is not None:
                broker.stop()
    report.note(
        SECTION,
        "Broker: "
        + (
            "the configured cluster"
            if external
            else "embedded Tansu 0.6.0 in memory mode on 127.0.0.1"
        )
        + "; producers acks=all, lz4, not idempotent (see stream/clients.py).",
    )
