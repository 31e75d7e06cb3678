"""Stream throughput and latency: edge outbox -> broker -> matcher -> database.

With a 1,000,000-entry hotlist, on SQLite and on PostgreSQL. The matcher runs as a real
`platewatch matcher` process against the embedded Tansu broker (or the configured cluster).
Baseline, measured in the same run on the same database: the same matching and storing done
in-process straight from a list of reads, with no outbox, broker or consumer in between, so
the ratio is the share of that speed the stream keeps. That in-process ingest is itself
measured against ingesting one read at a time (what the matcher did before it batched).

Throughput is measured twice: draining a backlog already in the edge outbox (the uplink back
after an outage; what broker, matcher and database can carry) and with the edge publishing one
read at a time, each fsynced (where the edge's own disk sets the pace).

Latency is measured twice: at a steady 50 reads/s (what an officer waits at ordinary load,
seen by a poller as the committed alert row appears) and while the edge publishes one by one
as fast as it can.
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import Engine, create_engine, text

import store.tables  # noqa: F401  (every table on the metadata)
from alpr.read import Box, PlateRead
from bench.report import Figure, Report
from bench.stream_phases import drain_backlog, publish_one_by_one, publish_paced
from hotlist.bulk import insert_entries
from hotlist.ingest import IndexCache, ingest_read, ingest_reads
from hotlist.lists import create_hotlist, touch
from hotlist.parse import HotlistRow
from org.registry import create_camera, create_site
from platewatch.settings import Settings, load_settings
from store.base import Base
from store.db import make_engine, make_session_factory, transaction
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


@dataclass(frozen=True)
class _StreamRun:
    backlog_rate: float
    burst_rate: float
    burst_latencies: list[float]
    paced_latencies: list[float]


def _through_stream(
    engine: Engine, settings: Settings, listed: list[str], workdir: Path
) -> _StreamRun:
    with _matcher_process(settings, workdir) as matcher:
        time.sleep(8)  # import, index open and group join, outside the timing
        if matcher.poll() is not None:
            msg = f"the matcher exited early; see {workdir / 'matcher.log'}"
            raise RuntimeError(msg)
        backlog = drain_backlog(engine, settings, _reads(READS, listed, 6), workdir / "backlog.db")
        with EdgePublisher(settings, outbox_path=workdir / "edge-outbox.db") as edge:
            burst_rate, burst_latencies = publish_one_by_one(
                engine, edge, _reads(READS, listed, seed=3), HOT_EVERY
            )
            paced = _reads(PACED_READS, listed, seed=5, hot_every=PACED_HOT_EVERY)
            paced_latencies = publish_paced(
                engine, edge, paced, rate=PACED_RATE, hot_every=PACED_HOT_EVERY
            )
    return _StreamRun(backlog, burst_rate, burst_latencies, paced_latencies)


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


def _bench_settings(url: str, bootstrap: str, workdir: Path, label: str) -> Settings:
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
    return settings


def _bench_backend(
    report: Report, label: str, url: str, bootstrap: str, workdir: Path, listed: list[str]
) -> None:
    engine = make_engine(url)
    started = time.perf_counter()
    _seed(engine, listed)
    seeded_s = time.perf_counter() - started
    settings = _bench_settings(url, bootstrap, workdir, label)
    one_at_a_time = _in_process(engine, settings, _reads(READS // 4, listed, 2), batched=False)
    in_process = _in_process(engine, settings, _reads(READS // 4, listed, 4), batched=True)
    run = _through_stream(engine, settings, listed, workdir)
    engine.dispose()
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
    setup = (
        f"{READS:,} reads over 4 cameras, 1 in {HOT_EVERY} a listed plate; hotlist of "
        f"{HOTLIST_SIZE:,} entries (loaded in {seeded_s:.0f} s); one matcher process"
    )
    for kind, rate, how in (
        ("draining a backlog", run.backlog_rate, "queued in the edge outbox before the start"),
        ("published one by one", run.burst_rate, "each fsynced into the edge outbox on publish"),
    ):
        report.add(
            Figure(
                SECTION,
                f"reads/s edge outbox -> broker -> matcher -> {label}, {kind}",
                rate,
                "reads/s",
                baseline=f"in-process ingest on {label}, no stream",
                baseline_value=in_process,
                command=COMMAND,
                notes=f"{setup}; {how}",
            )
        )
    _report_latencies(report, label, run)


def _report_latencies(report: Report, label: str, run: _StreamRun) -> None:
    paced_note = (
        f"{len(run.paced_latencies)} alerts of {PACED_READS // PACED_HOT_EVERY}; "
        f"{PACED_READS:,} reads published at {PACED_RATE:.0f} reads/s, 1 in {PACED_HOT_EVERY} "
        "listed; from the edge's publish call to the committed alert row, seen by a 10 ms poller"
    )
    burst_note = (
        f"{len(run.burst_latencies)} alerts; from the edge's publish call to the alert row's "
        f"created_at, while {READS:,} reads were published one by one as fast as the edge queues"
    )
    for kind, latencies, note in (
        (f"at {PACED_RATE:.0f} reads/s", run.paced_latencies, paced_note),
        ("publishing one by one at full speed", run.burst_latencies, burst_note),
    ):
        if len(latencies) < 2:
            report.note(SECTION, f"{label} {kind}: too few alerts timed ({len(latencies)})")
            continue
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
