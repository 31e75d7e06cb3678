"""`platewatch run`: the whole pipeline on one machine, for a first look and for the demo.

Broker (embedded unless a cluster is configured), matcher, web console and one edge reader run
as separate processes, exactly as in production, under one supervisor that stops them all.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from platewatch.demo import DemoWorld, seed_demo
from platewatch.settings import Settings
from platewatch.supervise import Supervisor, platewatch_argv
from store.db import make_engine, make_session_factory, transaction
from store.schema import upgrade

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    source: str | None = None
    models: str | None = None
    durable: bool = False
    ready_timeout_s: float = 60.0


def prepare_database(settings: Settings) -> DemoWorld:
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade(engine)
        with transaction(make_session_factory(engine)) as session:
            return seed_demo(session, camera_id=settings.edge.camera_id)
    finally:
        engine.dispose()


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


def _print_ready(settings: Settings, world: DemoWorld, broker_mode: str, source: str) -> None:
    url = f"http://{settings.console.host}:{settings.console.port}/"
    print(
        f"\nplatewatch is running. Broker: {broker_mode}. Database: "
        f"{settings.effective_database_url.split('://', 1)[0]}."
    )
    print(f"Camera {world.camera_id} reads {source}")
    print(f"\nOpen the console: {url}")
    print("One-time passwords (you will be asked to choose your own at first login):")
    for login in world.logins:
        print(f"  {login.role:<10} {login.username:<8} {login.password}")
    print(f"\nLogs: {settings.data_dir / 'logs'}. Ctrl-C stops everything.\n", flush=True)


def run_pipeline(settings: Settings, options: RunOptions) -> int:
    from stream.broker import EmbeddedBroker
    from stream.clients import ensure_topics

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # SIGTERM (systemd, a test) stops the pipeline the same way Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    env = dict(os.environ)
    broker: EmbeddedBroker | None = None
    supervisor = Supervisor(settings.data_dir / "logs", env)
    try:
        if settings.kafka_bootstrap_servers:
            bootstrap = settings.kafka_bootstrap_servers
            broker_mode = f"Kafka cluster at {bootstrap}"
        else:
            broker = EmbeddedBroker(
                port=settings.stream.broker_port,
                durable_dir=(settings.data_dir / "broker") if options.durable else None,
                cache_dir=settings.stream.broker_cache_dir,
                output=settings.data_dir / "logs" / "broker.log",
            )
            (settings.data_dir / "logs").mkdir(parents=True, exist_ok=True)
            broker.start()
            bootstrap = broker.bootstrap_servers
            broker_mode = f"embedded Tansu on {bootstrap}, {broker.mode}"
        print(f"broker: {broker_mode}", flush=True)
        ensure_topics(bootstrap, settings.stream)
        env["PLATEWATCH_KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        world = prepare_database(settings)
        source = options.source or str(demo_source(settings))
        models = ["--models", options.models] if options.models else []
        supervisor.start("matcher", platewatch_argv("matcher"))
        supervisor.start("console", platewatch_argv("serve"))
        _wait_http(
            f"http://{settings.console.host}:{settings.console.port}/login",
            supervisor,
            options.ready_timeout_s,
        )
        supervisor.start(
            "edge",
            platewatch_argv("edge", "--camera", world.camera_id, "--source", source, *models),
            expected_to_exit=True,
        )
        _print_ready(settings, world, broker_mode, source)
        while True:
            failed = supervisor.first_failure()
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
        supervisor.stop_all()
        if broker is not None:
            broker.stop()
        signal.signal(signal.SIGTERM, previous)
        print("all platewatch processes stopped.", flush=True)
