"""End-to-end latency: from the moment a vehicle pass completes at the edge (its read handed to
the edge outbox) to the alert arriving on an officer's live feed (server-sent events), through
the embedded broker, a matcher process and the console process, as `make run` runs them.

Each alert is a different hotlisted plate, published one at a time, so every figure is one
alert's full trip and none waits behind another.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from alpr.read import Box, PlateRead
from bench.report import Figure, Report
from bench.stream_bench import _databases
from console.accounts.users import issue_token
from hotlist.lists import add_entry
from platewatch.demo import HOTLIST, seed_demo
from platewatch.run import Pipeline
from platewatch.settings import load_settings
from store.db import make_engine, make_session_factory, transaction
from store.schema import upgrade
from stream.broker import free_port
from stream.publisher import EdgePublisher

ALERTS = 250
SECTION = "End to end"


def _plates(count: int) -> list[str]:
    return [f"9LAT{n:03d}" for n in range(count)]


class FeedListener(threading.Thread):
    """An officer's browser, reduced to its SSE connection: notes when each plate arrives."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.url, self.token = url, token
        self.arrived: dict[str, float] = {}
        self.connected = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            self._listen()
        except httpx.HTTPError:
            if not self.stop.is_set():
                raise  # the feed dropped mid-measurement: let the traceback show it

    def _listen(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.stream("GET", self.url, headers=headers, timeout=None) as response:
            self.connected.set()
            for line in response.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    if event.get("kind") == "alert":
                        self.arrived.setdefault(event["alert"]["plate_read"], time.monotonic())


def _prepare(settings_db: str, plates: list[str]) -> tuple[str, str]:
    engine = make_engine(settings_db)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        world = seed_demo(session)
        for plate in plates:
            add_entry(session, HOTLIST, plate=plate, state="CA", reason="stolen_vehicle")
        token = issue_token(session, actor="bench", username="officer", name="bench", days=1)
    engine.dispose()
    return world.camera_id, token.secret


def measure(
    report: Report, alerts: int = ALERTS, *, label: str = "SQLite", database_url: str | None = None
) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="pw-e2e-"))
    data = workdir / "var"
    console_port, broker_port = free_port(), free_port()
    env = {
        **os.environ,
        "PLATEWATCH_DATA_DIR": str(data),
        "PLATEWATCH_CONSOLE__PORT": str(console_port),
        "PLATEWATCH_STREAM__BROKER_PORT": str(broker_port),
        "PLATEWATCH_EDGE__OUTBOX_PATH": str(data / "edge-outbox.db"),
    }
    env.pop("PLATEWATCH_KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("PLATEWATCH_DATABASE_URL", None)
    if database_url:
        env["PLATEWATCH_DATABASE_URL"] = database_url
    settings = load_settings(
        data_dir=data,
        database_url=database_url,
        console={"port": console_port},
        stream={"broker_port": broker_port},
        edge={"outbox_path": data / "edge-outbox.db"},
    )
    plates = _plates(alerts)
    camera_id, token = _prepare(settings.effective_database_url, plates)
    latencies: list[float] = []
    with Pipeline(settings, env=env) as pipeline:
        listener = FeedListener(f"{pipeline.console_url}/api/alerts/stream", token)
        listener.start()
        listener.connected.wait(10)
        with EdgePublisher(settings, bootstrap=pipeline.bootstrap) as publisher:
            for index, plate in enumerate(plates):
                read = PlateRead(
                    camera_id=camera_id,
                    captured_at=datetime.now(UTC),
                    plate=plate,
                    confidence=0.97,
                    char_confidences=(0.97,) * len(plate),
                    box=Box(x1=100, y1=100, x2=260, y2=150),
                )
                started = time.monotonic()
                publisher.publish(read)
                deadline = started + 10
                while plate not in listener.arrived and time.monotonic() < deadline:
                    time.sleep(0.002)
                if plate in listener.arrived and index > 0:
                    # The first alert also pays for the consumer's start-up; not timed.
                    latencies.append(listener.arrived[plate] - started)
                time.sleep(0.05)
        listener.stop.set()
    _report(report, latencies, alerts, label)


def _report(report: Report, latencies: list[float], alerts: int, label: str) -> None:
    if len(latencies) < 2:
        report.note(SECTION, f"only {len(latencies)} of {alerts} alerts reached the feed")
        return
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    notes = (
        f"{len(ms)} alerts (of {alerts - 1} timed), embedded Tansu, {label}, one matcher, "
        "one console, SSE client; "
        + ("feed pushed by NOTIFY" if label == "PostgreSQL" else "feed polls every 250 ms")
    )
    report.add(
        Figure(
            SECTION,
            f"{label}: pass complete → officer feed, p50",
            statistics.median(ms),
            "ms",
            higher_is_better=False,
            notes=notes,
            command="make bench (bench.e2e_bench)",
        )
    )
    report.add(
        Figure(
            SECTION,
            f"{label}: pass complete → officer feed, p99",
            p99,
            "ms",
            higher_is_better=False,
            notes=notes,
            command="make bench (bench.e2e_bench)",
        )
    )
    report.add(
        Figure(
            SECTION,
            f"{label}: pass complete → officer feed, max",
            ms[-1],
            "ms",
            higher_is_better=False,
            notes=notes,
            command="make bench (bench.e2e_bench)",
        )
    )


def run(report: Report) -> None:
    measure(report)
    with tempfile.TemporaryDirectory(prefix="pw-e2e-pg-") as tmp, _databases(Path(tmp)) as dbs:
        measure(report, label="PostgreSQL", database_url=dict(dbs)["PostgreSQL"])


if __name__ == "__main__":
    out = Report()
    measure(out, alerts=int(os.environ.get("E2E_ALERTS", ALERTS)))
