"""Console benchmark: how long a stored alert takes to reach open browsers' feeds.

Each alert is stored the way the matcher stores it (`ingest_read`, committed), and the time
is taken from the commit to the moment a server-sent-events client has the whole event. The
console runs under uvicorn on 127.0.0.1 with its default 250 ms poll. Scenarios: SQLite and
PostgreSQL; 50 open feeds at once; and the same feed while an agency's webhook endpoint hangs
(the baseline is the plain SQLite feed measured in the same run).

Run alone with `.venv/bin/python -m bench.console_bench`, or through `make bench`.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import create_engine, text

import store.tables  # noqa: F401  (every table on the metadata)
from alpr.read import Box, PlateRead
from bench.report import Figure, Report
from console.accounts.logins import start_session
from console.accounts.users import create_user
from console.app import create_app
from console.webhooks import create_webhook
from hotlist.index_cache import IndexCache
from hotlist.ingest import ingest_read
from hotlist.lists import add_entry, create_hotlist
from hotlist.settings import MatchSettings
from org.registry import create_agency, create_camera, create_site, set_site_sharing
from platewatch.settings import load_settings
from store.base import Base
from store.db import make_engine, make_session_factory

SECTION = "Console"
OUT = Path(__file__).resolve().parent / "out" / "console"
PG_ADMIN_URL = os.environ.get(
    "PLATEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ALERTS = 30
MATCH = MatchSettings(index_check_interval_s=0)
COMMAND = "python -m bench.console_bench"


class _Hang(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        time.sleep(30)

    def log_message(self, *args: object) -> None:
        pass


class _Feed:
    """One browser's event stream, read in a thread; records when each alert arrived."""

    def __init__(self, base: str, cookie: str) -> None:
        self.arrived: dict[int, float] = {}
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._client = httpx.Client(base_url=base, headers={"Cookie": cookie}, timeout=None)
        threading.Thread(target=self._run, daemon=True).start()
        if not self.ready.wait(20):
            msg = "the event stream did not open"
            raise RuntimeError(msg)

    def _run(self) -> None:
        try:
            with self._client.stream("GET", "/api/alerts/stream") as response:
                self.ready.set()
                for line in response.iter_lines():
                    if self._stop.is_set():
                        break
                    if line.startswith("data:"):
                        event = json.loads(line[5:])
                        if event["kind"] == "alert":
                            self.arrived[event["alert"]["id"]] = time.perf_counter()
        except httpx.HTTPError:
            pass

    def close(self) -> None:
        # The reading thread sees this at the next keep-alive and closes its connection.
        self._stop.set()


@contextmanager
def _database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"console-{uuid.uuid4().hex[:6]}.db"
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"pw_bench_console_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextmanager
def _server(url: str, *, webhook_url: str | None) -> Iterator[tuple[str, str, object]]:
    """A seeded database and the console on a free port; yields (base URL, cookie, factory)."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory() as s:
        agency = create_agency(s, "Bench PD")
        site = create_site(s, "Bench HOA")
        create_camera(s, "bench-cam", site=site.id, name="Bench gate")
        set_site_sharing(s, site.id, agency.id, actor="bench")
        create_hotlist(s, "Bench list")
        for n in range(ALERTS * 2):
            add_entry(s, "Bench list", plate=f"BEN{n:04d}", state="CA")
        officer = create_user(
            s,
            actor="bench",
            username="bench_officer",
            role="officer",
            agency_id=agency.id,
            password="bench password 1",
        )
        cookie = start_session(s, officer.user, hours=1, client="bench").cookie
        if webhook_url:
            create_webhook(s, actor="bench", agency_id=agency.id, url=webhook_url)
        s.commit()
    settings = load_settings(
        database_url=url, console={"webhook_timeout_s": 2.0, "feed_heartbeat_s": 0.5}
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", f"pw_session={cookie}", factory
    finally:
        deadline = time.monotonic() + 5
        while server.server_state.connections and time.monotonic() < deadline:
            time.sleep(0.05)  # let closed event streams go before shutting down
        server.should_exit = True
        thread.join(10)
        engine.dispose()


def _latencies(url: str, *, feeds: int = 1, webhook_url: str | None = None) -> list[float]:
    """Seconds from commit to the slowest open feed having the alert, per alert."""
    with _server(url, webhook_url=webhook_url) as (base, cookie, factory):
        clients = [_Feed(base, cookie) for _ in range(feeds)]
        cache = IndexCache(OUT / f"index-{uuid.uuid4().hex[:6]}", settings=MATCH)
        rng = random.Random(7)
        out = []
        try:
            for n in range(ALERTS):
                # Land at a random phase of the 250 ms poll, as real reads do.
                time.sleep(rng.uniform(0.05, 0.35))
                read = PlateRead(
                    camera_id="bench-cam",
                    captured_at=datetime.now(UTC),
                    plate=f"BEN{n:04d}",
                    confidence=0.95,
                    region="us-ca",
                    box=Box(x1=0, y1=0, x2=100, y2=30),
                )
                with factory() as s:  # type: ignore[operator]
                    outcome = ingest_read(s, read, cache.current(s), MATCH)
                    s.commit()
                committed = time.perf_counter()
                alert_id = outcome.alert_ids[0]
                deadline = committed + 10
                while not all(alert_id in c.arrived for c in clients):
                    if time.perf_counter() > deadline:
                        msg = f"alert {alert_id} never reached every feed"
                        raise RuntimeError(msg)
                    time.sleep(0.002)
                out.append(max(c.arrived[alert_id] for c in clients) - committed)
        finally:
            for c in clients:
                c.close()
        return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def _add(
    report: Report,
    name: str,
    values: list[float],
    *,
    baseline: list[float] | None = None,
    notes: str = "",
) -> None:
    for label, q in (("p50", 0.5), ("p95", 0.95)):
        report.add(
            Figure(
                section=SECTION,
                name=f"{name}, {label}",
                value=_pct(values, q),
                unit="ms",
                baseline="plain SQLite feed" if baseline else None,
                baseline_value=_pct(baseline, q) if baseline else None,
                higher_is_better=False,
                command=COMMAND,
                notes=notes or f"{len(values)} alerts, 250 ms poll",
            )
        )


def run(report: Report) -> None:
    with _database("sqlite") as url:
        plain = _latencies(url)
    _add(report, "commit to open feed (SQLite)", plain)
    hang = ThreadingHTTPServer(("127.0.0.1", 0), _Hang)
    threading.Thread(target=hang.serve_forever, daemon=True).start()
    try:
        with _database("sqlite") as url:
            hung = _latencies(url, webhook_url=f"http://127.0.0.1:{hang.server_address[1]}/h")
    finally:
        hang.shutdown()
    _add(
        report,
        "commit to open feed while the agency's webhook hangs (SQLite)",
        hung,
        baseline=plain,
        notes=f"{len(hung)} alerts; every delivery times out after 2 s",
    )
    with _database("sqlite") as url:
        many = _latencies(url, feeds=50)
    _add(
        report,
        "commit to the last of 50 open feeds (SQLite)",
        many,
        notes=f"{len(many)} alerts, 50 event streams on one server",
    )
    with _database("postgres") as url:
        pg = _latencies(url)
    _add(report, "commit to open feed (PostgreSQL)", pg)
    report.note(
        SECTION,
        f"Mean over all plain SQLite alerts: {statistics.mean(plain) * 1000:.0f}"
        " ms; the feed polls every 250 ms, so about half of that is the poll wait.",
    )


if __name__ == "__main__":
    run(Report())
