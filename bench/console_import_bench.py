"""Console import benchmark: a 100k-row hotlist uploaded through the admin API.

An admin's API token posts the file to `/api/admin/hotlists/{id}/import`; the figures are the
time to the 202 (the file is only queued), the time until the job is `done` (every row parsed,
checked and committed by the import worker), and how long `/healthz` takes to answer while the
worker runs, polled every 50 ms from another client. The idle `/healthz` latency of the same
server, measured just before, is the baseline. SQLite and PostgreSQL.

Run alone with `.venv/bin/python -m bench.console_import_bench`, or `python -m bench
console-import`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn

import store.tables  # noqa: F401  (every table on the metadata)
from bench.console_bench import _database, _pct
from bench.report import Figure, Report
from console.accounts.users import create_user, issue_token
from console.app import create_app
from hotlist.lists import create_hotlist
from platewatch.settings import load_settings
from store.base import Base
from store.db import make_engine, make_session_factory

SECTION = "Console imports"
ROWS = 100_000
POLL_S = 0.05
COMMAND = "python -m bench.console_import_bench"
STATES = ("CA", "NV", "AZ", "OR", "WA")


@dataclass
class _Prober:
    """Asks /healthz every POLL_S in a thread and keeps each answer's latency."""

    base: str
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as http:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    ok = http.get("/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    self.latencies.append(time.perf_counter() - started)
                else:
                    self.failures += 1
                self._stop.wait(POLL_S)

    def __enter__(self) -> _Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(35)


@contextmanager
def _console(url: str) -> Iterator[tuple[str, str, int]]:
    """A database with one admin and an empty list, and the console serving it: yields
    (base URL, the admin's bearer token, the list's id)."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as s:
        create_user(
            s, actor="bench", username="bench_admin", role="admin", password="bench password 1"
        )
        token = issue_token(s, actor="bench", username="bench_admin", name="bench", days=1)
        hotlist_id = create_hotlist(s, "Bench feed", source="state").id
        s.commit()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(load_settings(database_url=url), webhooks=False),
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
        yield f"http://127.0.0.1:{port}", token.secret, hotlist_id
    finally:
        server.should_exit = True
        thread.join(10)
        engine.dispose()


def _feed() -> bytes:
    rows = "".join(
        f"BQ{i:06d},{STATES[i % 5]},stolen_vehicle,Ford,F-150,black,V{i:09d}\n" for i in range(ROWS)
    )
    return ("plate,state,reason,make,model,color,record_number\n" + rows).encode()


@dataclass(frozen=True)
class _Run:
    queued_s: float
    done_s: float
    idle: list[float]
    during: list[float]
    failures: int


def _import_once(url: str, body: bytes) -> _Run:
    with _console(url) as (base, token, hotlist_id):
        with _Prober(base) as idle:
            time.sleep(2)
        headers = {"Authorization": f"Bearer {token}"}
        with (
            httpx.Client(base_url=base, headers=headers, timeout=120) as http,
            _Prober(base) as busy,
        ):
            started = time.perf_counter()
            queued = http.post(
                f"/api/admin/hotlists/{hotlist_id}/import",
                files={"file": ("feed.csv", body, "text/csv")},
            )
            queued_s = time.perf_counter() - started
            if queued.status_code != 202:
                msg = f"upload answered {queued.status_code}: {queued.text[:200]}"
                raise RuntimeError(msg)
            location = queued.headers["location"]
            while (job := http.get(location).json())["status"] in ("queued", "running"):
                time.sleep(0.1)
            done_s = time.perf_counter() - started
        if job["status"] != "done" or job["rows_done"] != ROWS:
            msg = f"the import ended {job['status']}: {job['message']}"
            raise RuntimeError(msg)
        return _Run(queued_s, done_s, idle.latencies, busy.latencies, busy.failures)


def _add(report: Report, name: str, value: float, unit: str, notes: str, **kw: object) -> None:
    report.add(
        Figure(
            section=SECTION,
            name=name,
            value=value,
            unit=unit,
            higher_is_better=False,
            command=COMMAND,
            notes=notes,
            **kw,  # type: ignore[arg-type]
        )
    )


def run(report: Report) -> None:
    load = os.getloadavg()[0]
    body = _feed()
    size = f"{ROWS // 1000}k rows, {len(body) / 1e6:.1f} MB CSV"
    for kind, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        with _database(kind) as url:
            result = _import_once(url, body)
        _add(report, f"100k-row hotlist upload to 202 ({label})", result.queued_s, "s", size)
        _add(
            report,
            f"100k-row hotlist upload to done ({label})",
            result.done_s,
            "s",
            f"{size}; parse, check, write and commit in the import worker",
        )
        during = f"{len(result.during)} /healthz answers, one each {POLL_S * 1000:.0f} ms"
        _add(
            report,
            f"/healthz max during the import ({label})",
            max(result.during) * 1000,
            "ms",
            f"{during}; {result.failures} failed",
            baseline="idle max",
            baseline_value=max(result.idle) * 1000,
        )
        _add(
            report,
            f"/healthz p95 during the import ({label})",
            _pct(result.during, 0.95),
            "ms",
            during,
            baseline="idle p95",
            baseline_value=_pct(result.idle, 0.95),
        )

    report.note(
        SECTION,
        f"Load average {load:.1f} on {os.cpu_count()} cores when the stage started: the idle "
        "baseline is measured on the same busy machine, so compare the two, not across runs.",
    )


if __name__ == "__main__":
    run(Report())
