"""End-to-end latency: from the moment a vehicle pass completes at the edge (its read handed to
the edge outbox) to the alert arriving on an officer's live feed (server-sent events), through
the embedded broker, a matcher process and the console process, as `make run` runs them.

Each alert is a different hotlisted plate, published one at a time after an irregular gap, so
every figure is one alert's full trip, none waits behind another and none falls into step with
a poll interval. Each trip is also split into its hops (bench/e2e_hops.py), and the section
counts the SQL statements of a feed page and of one live-feed poll.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from alpr.read import Box, PlateRead
from bench.e2e_hops import (
    CommitObserver,
    Trip,
    counted_statements,
    hop_stats,
    load_average,
    percentile,
    received_times,
    send_times,
)
from bench.report import Figure, Report
from bench.stream_bench import _databases
from console.accounts.users import issue_token
from console.alerts import officer_alerts
from console.feed import AlertFeed
from hotlist.lists import add_entry
from platewatch.demo import HOTLIST, seed_demo
from platewatch.run import Pipeline
from platewatch.settings import Settings, load_settings
from store.db import make_engine, make_session_factory, transaction
from store.schema import upgrade
from store.tables import User
from stream.broker import free_port
from stream.publisher import EdgePublisher

ALERTS = 250
PAGE = 50
SECTION = "End to end"
COMMAND = "make bench (bench.e2e_bench)"


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
        self._news = threading.Condition()

    def wait_for(self, plate: str, timeout_s: float) -> bool:
        """Block (not spin: the pipeline needs the cores) until `plate` arrived."""
        with self._news:
            return self._news.wait_for(lambda: plate in self.arrived, timeout_s)

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
                        at = time.time()
                        with self._news:
                            self.arrived.setdefault(event["alert"]["plate_read"], at)
                            self._news.notify_all()


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


@dataclass(frozen=True)
class _Stamps:
    """What the bench itself noted for one read: handed to the outbox, and `put` returned."""

    plate: str
    put: float
    queued: float


def measure(
    report: Report, alerts: int = ALERTS, *, label: str = "SQLite", database_url: str | None = None
) -> None:
    settings, env = _pipeline_settings(database_url)
    plates = _plates(alerts)
    url = settings.effective_database_url
    camera_id, token = _prepare(url, plates)
    load_before = load_average()
    with Pipeline(settings, env=env) as pipeline:
        listener = FeedListener(f"{pipeline.console_url}/api/alerts/stream", token)
        observer = CommitObserver(url)
        listener.start()
        observer.start()
        listener.connected.wait(10)
        observer.ready.wait(10)
        stamps = _publish(settings, pipeline.bootstrap, camera_id, plates, listener)
        listener.stop.set()
        observer.stop.set()
        observer.join(10)
        sent = send_times(pipeline.bootstrap, settings.stream.reads_topic)
    received = received_times(url)
    seen = (sent, received, observer.committed, listener.arrived)
    # The first alert also pays for the consumer's start-up; not timed.
    trips = [
        Trip(s.put, s.queued, *(when[s.plate] for when in seen))
        for s in stamps[1:]
        if all(s.plate in when for when in seen)
    ]
    loads = f"load average {load_before} before, {load_average()} after"
    _report(report, trips, alerts, label, loads)
    _report_feed_queries(report, url, label)


def _pipeline_settings(database_url: str | None) -> tuple[Settings, dict[str, str]]:
    """Settings for a pipeline of its own (ports, data dir), and the environment its
    processes get them from."""
    data = Path(tempfile.mkdtemp(prefix="pw-e2e-")) / "var"
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
    return settings, env


def _publish(
    settings: Settings,
    bootstrap: str,
    camera_id: str,
    plates: list[str],
    listener: FeedListener,
) -> list[_Stamps]:
    """One read at a time, each waiting for its alert, so none waits behind another."""
    stamps = []
    with EdgePublisher(settings, bootstrap=bootstrap) as publisher:
        for plate in plates:
            read = PlateRead(
                camera_id=camera_id,
                captured_at=datetime.now(UTC),
                plate=plate,
                confidence=0.97,
                char_confidences=(0.97,) * len(plate),
                box=Box(x1=100, y1=100, x2=260, y2=150),
            )
            put = time.time()
            publisher.publish(read)
            stamps.append(_Stamps(plate, put, time.time()))
            listener.wait_for(plate, 10)
            # An irregular gap, so the sends do not fall into step with any poll interval.
            time.sleep(0.03 + random.random() * 0.04)
    return stamps


def _report(report: Report, trips: list[Trip], alerts: int, label: str, loads: str) -> None:
    if len(trips) < 2:
        report.note(SECTION, f"{label}: only {len(trips)} of {alerts} alerts reached the feed")
        return
    ms = [(t.delivered - t.put) * 1000 for t in trips]
    notes = (
        f"{len(ms)} alerts (of {alerts - 1} timed), embedded Tansu, {label}, one matcher, "
        f"one console, SSE client; {loads}"
    )
    for stat, value in (
        ("p50", statistics.median(ms)),
        ("p99", percentile(ms, 0.99)),
        ("max", max(ms)),
    ):
        report.add(
            Figure(
                SECTION,
                f"{label}: pass complete → officer feed, {stat}",
                value,
                "ms",
                higher_is_better=False,
                notes=notes,
                command=COMMAND,
            )
        )
    for hop in hop_stats(trips):
        report.add(
            Figure(
                SECTION,
                f"{label}: hop {hop.name}, p50",
                hop.p50_ms,
                "ms",
                higher_is_better=False,
                notes=f"p99 {hop.p99_ms:.1f} ms, max {hop.max_ms:.1f} ms",
                command=COMMAND,
            )
        )


def _report_feed_queries(report: Report, url: str, label: str) -> None:
    """Statements (and time) for a feed page and for one poll of the live feed."""
    engine = make_engine(url)
    try:
        factory = make_session_factory(engine)
        with factory() as session:
            agency = session.scalar(select(User.agency_id).where(User.username == "officer"))
        assert agency is not None
        with factory() as session, counted_statements(engine) as page:
            cards = officer_alerts(session, agency, limit=PAGE)
        feed = AlertFeed(factory, poll_s=1.0)
        started = time.perf_counter()
        with counted_statements(engine) as poll:
            routed = feed.poll(frozenset({agency}))
        poll_ms = (time.perf_counter() - started) * 1000
    finally:
        engine.dispose()
    for name, value, notes in (
        (f"feed page ({len(cards)} alerts): SQL statements", len(page), "GET /api/alerts"),
        (
            f"live-feed poll ({len(routed)} new alerts): SQL statements",
            len(poll),
            f"one wake-up of the console's feed; took {poll_ms:.1f} ms",
        ),
    ):
        report.add(
            Figure(
                SECTION,
                f"{label}: {name}",
                value,
                "",
                higher_is_better=False,
                notes=notes,
                command=COMMAND,
            )
        )


def run(report: Report) -> None:
    measure(report)
    with tempfile.TemporaryDirectory(prefix="pw-e2e-pg-") as tmp, _databases(Path(tmp)) as dbs:
        measure(report, label="PostgreSQL", database_url=dict(dbs)["PostgreSQL"])


if __name__ == "__main__":
    # One backend, printed rather than written: E2E_BACKEND=sqlite|postgresql, E2E_ALERTS=N.
    out = Report()
    count = int(os.environ.get("E2E_ALERTS", ALERTS))
    if os.environ.get("E2E_BACKEND", "sqlite") == "sqlite":
        measure(out, alerts=count)
    else:
        with tempfile.TemporaryDirectory(prefix="pw-e2e-pg-") as tmp, _databases(Path(tmp)) as dbs:
            measure(out, alerts=count, label="PostgreSQL", database_url=dict(dbs)["PostgreSQL"])
    print(out.render_section(SECTION, ""))
