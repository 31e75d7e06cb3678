"""The whole product as `make run` starts it: broker, matcher, console and an edge reader on
the generated demo clip, as real processes. The hotlisted demo plate must reach the officer's
feed exactly once; the safe-listed one must be stored as a resident read and raise nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from platewatch.demo import HOTLISTED_PLATE, PASSING_PLATE, RESIDENT_PLATE, seed_demo
from store.db import make_engine, make_session_factory, transaction
from store.schema import upgrade
from store.tables import Alert, PlateReadRow
from store.tables.accounts import User
from stream.broker import free_port

pytestmark = [pytest.mark.slow, pytest.mark.kafka, pytest.mark.models]


@dataclass
class RunningPipeline:
    process: subprocess.Popen[str]
    workdir: Path
    env: dict[str, str]
    console_url: str
    broker_port: int
    output: list[str]

    def database_url(self) -> str:
        return f"sqlite:///{self.workdir / 'var' / 'platewatch.db'}"


def _wait_for_line(pipeline: RunningPipeline, pattern: str, timeout_s: float) -> str:
    assert pipeline.process.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = pipeline.process.stdout.readline()
        if not line:
            if pipeline.process.poll() is not None:
                break
            continue
        pipeline.output.append(line)
        if re.search(pattern, line):
            return line
    logs = "".join(pipeline.output)
    pytest.fail(f"`platewatch run` never printed {pattern!r}; output so far:\n{logs}")


def _start(tmp_path: Path, *args: str) -> RunningPipeline:
    console_port, broker_port = free_port(), free_port()
    env = {
        **os.environ,
        "PLATEWATCH_CONSOLE__PORT": str(console_port),
        "PLATEWATCH_STREAM__BROKER_PORT": str(broker_port),
    }
    for name in (
        "PLATEWATCH_DATABASE_URL",
        "PLATEWATCH_KAFKA_BOOTSTRAP_SERVERS",
        "PLATEWATCH_CONFIG",
    ):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "platewatch", "run", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return RunningPipeline(
        process, tmp_path, env, f"http://127.0.0.1:{console_port}", broker_port, []
    )


def _stop(running: RunningPipeline) -> None:
    if running.process.poll() is None:
        running.process.send_signal(signal.SIGINT)
        try:
            running.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait()


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[RunningPipeline]:
    running = _start(tmp_path, "--demo")
    try:
        yield running
    finally:
        _stop(running)


def _officer_token(pipeline: RunningPipeline) -> str:
    issued = subprocess.run(
        [sys.executable, "-m", "platewatch", "users", "token", "officer", "--name", "e2e"],
        cwd=pipeline.workdir,
        env=pipeline.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return issued.stdout.strip().rsplit(" ", 1)[-1]


def _reads_by_plate(
    pipeline: RunningPipeline, expected: int, timeout_s: float
) -> dict[str, PlateReadRow]:
    engine = make_engine(pipeline.database_url())
    factory = make_session_factory(engine)
    deadline = time.monotonic() + timeout_s
    rows: list[PlateReadRow] = []
    try:
        while time.monotonic() < deadline:
            with factory() as session:
                rows = list(session.scalars(select(PlateReadRow)))
            if len(rows) >= expected:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    return {row.plate or "": row for row in rows}


def test_demo_pipeline_alerts_once_and_tags_the_resident(pipeline: RunningPipeline) -> None:
    _wait_for_line(pipeline, r"Open the console", timeout_s=180)
    reads = _reads_by_plate(pipeline, expected=3, timeout_s=180)
    assert set(reads) == {HOTLISTED_PLATE, RESIDENT_PLATE, PASSING_PLATE}, (
        f"one read per demo vehicle expected, got {sorted(reads)}"
    )
    assert reads[RESIDENT_PLATE].resident
    assert not reads[HOTLISTED_PLATE].resident and not reads[PASSING_PLATE].resident

    token = _officer_token(pipeline)
    response = httpx.get(
        f"{pipeline.console_url}/api/alerts",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    alerts = response.json()
    assert [a["plate_read"] for a in alerts] == [HOTLISTED_PLATE]
    assert alerts[0]["decision"] == "alert"
    assert alerts[0]["match_kind"] == "exact"
    assert "dispatch" in alerts[0]["instruction"].lower()

    engine = make_engine(pipeline.database_url())
    with make_session_factory(engine)() as session:
        stored = list(session.scalars(select(Alert.plate_read)))
    engine.dispose()
    assert stored == [HOTLISTED_PLATE]
    _camera_health_has_the_edges_totals(pipeline, token)


def _camera_health_has_the_edges_totals(pipeline: RunningPipeline, token: str) -> None:
    """The edge's heartbeats reached the console through the matcher process: its last one
    (sent as the demo clip ended) counts the three passes."""
    deadline = time.monotonic() + 60
    cameras: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        response = httpx.get(
            f"{pipeline.console_url}/api/cameras/health",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        cameras = response.json()
        if cameras and cameras[0]["reads"] == 3:
            break
        time.sleep(0.5)
    assert len(cameras) == 1, cameras
    assert cameras[0]["reads"] == 3 and cameras[0]["last_heartbeat_at"] is not None, cameras
    assert cameras[0]["model_pack"], cameras


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, by walking parent ids in /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def test_ctrl_c_stops_every_process(pipeline: RunningPipeline) -> None:
    _wait_for_line(pipeline, r"Open the console", timeout_s=180)
    children = _descendants(pipeline.process.pid)
    assert len(children) >= 3, "broker, matcher and console should be running"
    pipeline.process.send_signal(signal.SIGINT)
    assert pipeline.process.wait(timeout=30) == 0
    assert pipeline.process.stdout is not None
    assert "all platewatch processes stopped." in pipeline.process.stdout.read()
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert alive == [], f"processes left running after Ctrl-C: {alive}"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{pipeline.console_url}/login", timeout=2)


def test_plain_run_on_a_real_database_resets_nobody(tmp_path: Path, shared_data: Path) -> None:
    database = f"sqlite:///{tmp_path / 'var' / 'platewatch.db'}"
    (tmp_path / "var").mkdir()
    engine = make_engine(database)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        seed_demo(session)
    with make_session_factory(engine)() as session:
        before = dict(session.execute(select(User.username, User.password_hash)).all())
    running = _start(tmp_path, "--source", str(shared_data / "samples" / "car.jpg"))
    try:
        _wait_for_line(running, r"Open the console", timeout_s=180)
    finally:
        _stop(running)
    assert running.process.stdout is not None
    printed = "".join(running.output) + running.process.stdout.read()
    assert "One-time passwords" not in printed, printed
    with make_session_factory(engine)() as session:
        after = dict(session.execute(select(User.username, User.password_hash)).all())
    engine.dispose()
    assert after == before, "plain run changed accounts"
