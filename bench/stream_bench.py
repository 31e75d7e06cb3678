"""Stream throughput and latency: edge outbox -> broker -> matcher -> database.

With a 1,000,000-entry hotlist, on SQLite and on PostgreSQL. The matcher runs as a real
`platewatch matcher` process against the embedded Tansu broker (or the configured cluster).
Baseline, measured in the same run on the same database: the same matching and storing done
in-process straight from a list of reads, with no outbox, broker or consumer in between, so
the ratio is the share of that speed the stream keeps.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import Engine, create_engine, func, select, text

import store.tables  # noqa: F401  (every table on the metadata)
from alpr.read import Box, PlateRead
from bench.report import Figure, Report
from hotlist.bulk import insert_entries
from hotlist.lists import create_hotlist, touch
from hotlist.parse import HotlistRow
from hotlist.sites import create_camera, create_site
from platewatch.settings import Settings, load_settings
from store.base import Base
from store.db import make_engine, make_session_factory, transaction
from store.tables import Alert, PlateReadRow
from stream.broker import EmbeddedBroker
from stream.clients import ensure_topics
from stream.handler import HotlistHandler
from stream.publisher import EdgePublisher

SECTION = "Stream"
HOTLIST_SIZE = 1_000_000
READS = 20_000
HOT_EVERY = 100  # one read in a hundred is a listed plate, each a different one
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


def _reads(count: int, listed: list[str], seed: int) -> list[PlateRead]:
    rng = random.Random(seed)
    hot = rng.sample(listed, count // HOT_EVERY + 1)
    start = datetime.now(UTC) - timedelta(hours=1)
    reads = []
    for i in range(count):
        plate = (
            hot[i // HOT_EVERY]
            if i % HOT_EVERY == 0
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


def _baseline(engine: Engine, settings: Settings, reads: list[PlateRead]) -> float:
    """Reads/s matching and storing in-process, batches of stream.batch_max, no stream."""
    factory = make_session_factory(engine)
    handler = HotlistHandler(settings.matching)
    with transaction(factory) as session:
        handler.prepare(session)  # open (or build) the index outside the timing
    started = time.perf_counter()
    size = settings.stream.batch_max
    for begin in range(0, len(reads), size):
        with transaction(factory) as session:
            handler.prepare(session)
            for read in reads[begin : begin + size]:
                handler.handle(session, read)
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


def _through_stream(
    engine: Engine, settings: Settings, reads: list[PlateRead], workdir: Path
) -> tuple[float, list[float]]:
    """Reads/s from the first publish to the last read stored, and publish-to-alert seconds."""
    before = _count(engine)
    published_at: dict[str, float] = {}
    with _matcher_process(settings, workdir) as matcher:
        time.sleep(8)  # import, index open and group join, outside the timing
        if matcher.poll() is not None:
            msg = f"the matcher exited early; see {workdir / 'matcher.log'}"
            raise RuntimeError(msg)
        with EdgePublisher(settings, outbox_path=workdir / "edge-outbox.db") as edge:
            started = time.time()
            for read in reads:
                edge.publish(read)
                published_at[read.read_id] = time.time()
            deadline = time.monotonic() + 900
            while _count(engine) < before + len(reads) and time.monotonic() < deadline:
                time.sleep(0.1)
            finished = time.time()
    listed_reads = [r.read_id for i, r in enumerate(reads) if i % HOT_EVERY == 0]
    with engine.connect() as conn:
        rows = conn.execute(
            select(Alert.read_id, Alert.created_at).where(Alert.read_id.in_(listed_reads))
        ).all()
    latencies = [created.timestamp() - published_at[read_id] for read_id, created in rows]
    return len(reads) / (finished - started), latencies


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
    baseline = _baseline(engine, settings, _reads(READS // 4, listed, seed=2))
    rate, latencies = _through_stream(engine, settings, _reads(READS, listed, seed=3), workdir)
    engine.dispose()
    notes = (
        f"{READS:,} reads over 4 cameras, 1 in {HOT_EVERY} a listed plate; hotlist of "
        f"{HOTLIST_SIZE:,} entries (loaded in {seeded_s:.0f} s); one matcher process; "
        "every read fsynced into the edge outbox one at a time"
    )
    report.add(
        Figure(
            SECTION,
            f"reads/s edge outbox -> broker -> matcher -> {label}",
            rate,
            "reads/s",
            baseline=f"in-process ingest on {label}, no stream",
            baseline_value=baseline,
            command=COMMAND,
            notes=notes,
        )
    )
    if latencies:
        cuts = statistics.quantiles(latencies, n=100)
        for name, value in (("p50", statistics.median(latencies)), ("p99", cuts[98])):
            report.add(
                Figure(
                    SECTION,
                    f"publish -> stored alert {name} ({label})",
                    value * 1000,
                    "ms",
                    higher_is_better=False,
                    command=COMMAND,
                    notes=f"{len(latencies)} alerts; from the edge's publish call to the alert "
                    "row's created_at (written in the batch's transaction, committed with "
                    "it), under the full load above",
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
