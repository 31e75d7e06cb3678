"""`platewatch run`: the whole pipeline on one machine, for a first look and for the demo.

`run --demo` seeds the demo world (and issues fresh one-time passwords); plain `run` never
creates or resets an account: on a database with no accounts or without the edge's camera it
refuses to start, with a one-line hint, so it can be pointed at a real deployment safely.

Broker (embedded unless a cluster is configured), matcher, web console and one edge reader run
as separate processes, exactly as in production, under one supervisor that stops them all.
Camera health comes with them: the edge sends heartbeats, the matcher process takes them in
(a consumer of its own) and the console checks them and raises camera alerts.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from platewatch.demo import DemoWorld, seed_demo
from platewatch.settings import Settings
from platewatch.supervise import Child, Supervisor, platewatch_argv
from store.db import make_engine, make_session_factory, transaction
from store.schema import schema_problem, upgrade
from store.tables import Camera
from store.tables.accounts import User
from stream.broker import EmbeddedBroker
from stream.clients import ensure_topics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    source: str | None = None
    models: str | None = None
    durable: bool = False
    demo: bool = False
    ready_timeout_s: float = 60.0


class NotReadyError(RuntimeError):
    """Plain `run` found a database it must not seed; the message says what to do."""


def prepare_database(settings: Settings) -> DemoWorld:
    """The demo world, created if missing (`run --demo` only)."""
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade(engine)
        with transaction(make_session_factory(engine)) as session:
            return seed_demo(session, camera_id=settings.edge.camera_id)
    finally:
        engine.dispose()


def check_database(settings: Settings) -> None:
    """Plain `run`: the schema is current, someone can sign in and the edge's camera exists."""
    engine = make_engine(settings.effective_database_url)
    camera_id = settings.edge.camera_id
    try:
        if problem := schema_problem(engine):
            raise NotReadyError(problem)
        with make_session_factory(engine)() as session:
            users = session.scalar(select(func.count()).select_from(User)) or 0
            camera = session.get(Camera, camera_id)
    finally:
        engine.dispose()
    if users == 0:
        msg = (
            "the database has no accounts: `platewatch run --demo` seeds a demo, or create an "
            "admin with `platewatch users add --role admin` (README, Administrators)"
        )
        raise NotReadyError(msg)
    if camera is None:
        msg = (
            f"camera {camera_id!r} (edge.camera_id) is not registered: add it with "
            f"`platewatch camera add {camera_id} --site SITE` or set edge.camera_id"
        )
        raise NotReadyError(msg)


def demo_source(settings: Settings) -> Path:
    """The generated demo clip, made once and kept under the data dir."""
    from alpr.demo_clip import DEMO_PLATES, make_demo_clip

    clip = settings.data_dir / "demo" / "demo-clip.mp4"
    if not clip.exists():
        clip.parent.mkdir(parents=True, exist_ok=True)
        make_demo_clip(clip, DEMO_PLATES)
    return clip


def _wait_http(url: str, supervisor: Supervisor, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        failed = supervisor.first_failure()
        if failed is not None:
            msg = f"{failed.name} exited early; see {failed.log_path}"
            raise RuntimeError(msg)
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (our own loopback URL)
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    msg = f"the console did not answer at {url} within {timeout_s:.0f} s"
    raise RuntimeError(msg)


def _print_ready(
    settings: Settings, world: DemoWorld | None, broker_mode: str, source: str
) -> None:
    url = f"http://{settings.console.host}:{settings.console.port}/"
    print(
        f"\nplatewatch is running. Broker: {broker_mode}. Database: "
        f"{settings.effective_database_url.split('://', 1)[0]}."
    )
    print(f"Camera {settings.edge.camera_id} reads {source}")
    print(f"\nOpen the console: {url}")
    if world is not None:
        print("One-time passwords (you will be asked to choose your own at first login):")
        for login in world.logins:
            print(f"  {login.role:<10} {login.username:<8} {login.password}")
    print(f"\nLogs: {settings.data_dir / 'logs'}. Ctrl-C stops everything.\n", flush=True)


@dataclass
class Pipeline:
    """The pipeline's long-running processes on this machine: the embedded broker (unless a
    cluster is configured), a matcher and the console, plus edge readers on demand."""

    settings: Settings
    durable: bool = False
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    broker: EmbeddedBroker | None = None
    bootstrap: str = ""
    broker_mode: str = ""

    def __post_init__(self) -> None:
        self.supervisor = Supervisor(self.settings.data_dir / "logs", self.env)

    @property
    def console_url(self) -> str:
        return f"http://{self.settings.console.host}:{self.settings.console.port}"

    def start(self, ready_timeout_s: float = 60.0) -> None:
        """Broker, topics, matcher and console; returns once the console answers."""
        stream = self.settings.stream
        if self.settings.kafka_bootstrap_servers:
            self.bootstrap = self.settings.kafka_bootstrap_servers
            self.broker_mode = f"Kafka cluster at {self.bootstrap}"
        else:
            logs = self.settings.data_dir / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            self.broker = EmbeddedBroker(
                port=stream.broker_port,
                durable_dir=(self.settings.data_dir / "broker") if self.durable else None,
                cache_dir=stream.broker_cache_dir,
                output=logs / "broker.log",
            )
            self.broker.start()
            self.bootstrap = self.broker.bootstrap_servers
            self.broker_mode = f"embedded Tansu on {self.bootstrap}, {self.broker.mode}"
        ensure_topics(self.bootstrap, stream)
        self.env["PLATEWATCH_KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap
        self.supervisor.start("matcher", platewatch_argv("matcher"))
        self.supervisor.start("console", platewatch_argv("serve"))
        _wait_http(f"{self.console_url}/healthz", self.supervisor, ready_timeout_s)

    def start_edge(self, camera_id: str, source: str, models: str | None = None) -> Child:
        extra = ["--models", models] if models else []
        argv = platewatch_argv("edge", "--camera", camera_id, "--source", source, *extra)
        return self.supervisor.start(f"edge-{camera_id}", argv, expected_to_exit=True)

    def stop(self) -> None:
        self.supervisor.stop_all()
        if self.broker is not None:
            self.broker.stop()

    def __enter__(self) -> Pipeline:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_pipeline(settings: Settings, options: RunOptions) -> int:
    """`platewatch run`: the pipeline and one edge reader (with `demo`, on the demo world)
    until Ctrl-C. Raises NotReadyError before starting anything when plain `run` may not."""
    if not options.demo:
        if options.source is None:
            msg = "plain `run` needs a camera: pass --source URL|FILE, or --demo for the demo clip"
            raise NotReadyError(msg)
        check_database(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # SIGTERM (systemd, a test) stops the pipeline the same way Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    pipeline = Pipeline(settings, durable=options.durable)
    try:
        world = prepare_database(settings) if options.demo else None
        pipeline.start(options.ready_timeout_s)
        print(f"broker: {pipeline.broker_mode}", flush=True)
        source = options.source or str(demo_source(settings))
        pipeline.start_edge(settings.edge.camera_id, source, options.models)
        _print_ready(settings, world, pipeline.broker_mode, source)
        while True:
            failed = pipeline.supervisor.first_failure()
            if failed is not None:
                print(
                    f"{failed.name} stopped unexpectedly (exit {failed.process.returncode}); "
                    f"see {failed.log_path}. Stopping everything.",
                    flush=True,
                )
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
        return 0
    finally:
        pipeline.stop()
        signal.signal(signal.SIGTERM, previous)
        print("all platewatch processes stopped.", flush=True)
