"""Shared pieces of the stream tests: synthetic reads, waiting, reading a topic, subprocesses."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from kafka import KafkaConsumer
from sqlalchemy import Engine, func, select

from alpr.read import Box, PlateRead
from platewatch.settings import Settings
from store.db import make_session_factory
from store.tables import PlateReadRow
from stream.handler import HotlistHandler
from stream.matcher import MatcherService

VENV_BIN = Path(sys.executable).parent


def synthetic_reads(
    count: int,
    cameras: list[str],
    *,
    hot_plates: tuple[str, ...] | list[str] = (),
    every: int = 50,
    seed: int = 7,
) -> Iterator[PlateRead]:
    """`count` reads spread over `cameras`; every `every`-th one shows a hot plate."""
    rng = random.Random(seed)
    start = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    hot = list(hot_plates)
    for i in range(count):
        if hot and i % every == 0:
            plate = hot[(i // every) % len(hot)]
        else:
            plate = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(7))
        yield PlateRead(
            read_id=str(uuid.UUID(int=rng.getrandbits(128))),
            camera_id=cameras[i % len(cameras)],
            captured_at=start + timedelta(milliseconds=250 * i),
            plate=plate,
            confidence=0.97,
            char_confidences=tuple(0.97 for _ in plate),
            box=Box(x1=10, y1=20, x2=110, y2=60),
        )


def wait_until(
    what: str, predicate: Callable[[], bool], timeout: float = 60.0, interval: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def stored_read_ids(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(PlateReadRow.read_id)))


def count_rows(engine: Engine, table: type) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def read_topic(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 30.0, idle: float = 3.0
) -> list[bytes]:
    """Every message value on `topic` (from the start), stopping `idle` s after `expect`."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=2000,
        max_partition_fetch_bytes=16 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    values: list[bytes] = []
    deadline = time.monotonic() + timeout
    last_new = time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=500)
            for records in batch.values():
                values += [r.value for r in records]
                last_new = time.monotonic()
            if len(values) >= expect and time.monotonic() - last_new > idle:
                break
    finally:
        consumer.close()
    return values


def write_config(settings: Settings, path: Path) -> Path:
    path.write_text(yaml.safe_dump(settings.model_dump(mode="json")), encoding="utf-8")
    return path


def start_cli(args: list[str], config: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Run `platewatch ARGS --config CONFIG` as a real process, its output in `log_path`."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("ab") as out:
        return subprocess.Popen(
            [str(VENV_BIN / "platewatch"), *args, "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


@contextmanager
def running_matcher(
    settings: Settings, engine: Engine, *, name: str = "matcher-in-test"
) -> Iterator[MatcherService]:
    """The real matcher (hotlist matching) consuming in a thread of this process."""
    service = MatcherService(
        settings, HotlistHandler(settings.matching), make_session_factory(engine), client_id=name
    )
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            service.run(stop)
        except BaseException as exc:
            errors.append(exc)
            raise

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        stop.set()
        thread.join(30)
    assert not errors, f"the matcher thread failed: {errors[0]!r}"


def stop_process(
    process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20.0
) -> int:
    if process.poll() is None:
        os.kill(process.pid, sig)
    return process.wait(timeout)
