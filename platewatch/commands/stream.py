"""Commands of the stream stage: broker, edge and matcher."""

# Imports sit inside the commands so `platewatch --help` does not load kafka, the models or
# the database drivers of every stage.

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platewatch.commands.common import ConfigOption, settings_of

if TYPE_CHECKING:
    from platewatch.settings import Settings

log = logging.getLogger(__name__)

MetricsPortOption = Annotated[
    int | None,
    typer.Option("--metrics-port", help="serve Prometheus metrics on this port (/metrics)"),
]


def _settings(config: Path | None) -> Settings:
    from platewatch.logs import configure_logging

    configure_logging()
    return settings_of(config)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def _handler(signum: int, _frame: object) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return stop


def broker(
    durable: Annotated[
        bool,
        typer.Option(
            "--durable",
            help="keep topics, messages and offsets under the data dir across restarts",
        ),
    ] = False,
    port: Annotated[
        int | None,
        typer.Option("--port", help="listen on 127.0.0.1:PORT (default: stream.broker_port)"),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run the embedded Kafka-protocol broker (Tansu) in the foreground."""
    from stream.broker import BrokerError, EmbeddedBroker
    from stream.clients import ensure_topics
    from stream.install import InstallError

    settings = _settings(config)
    if settings.kafka_bootstrap_servers:
        typer.echo(
            f"note: PLATEWATCH_KAFKA_BOOTSTRAP_SERVERS is set "
            f"({settings.kafka_bootstrap_servers}); the pipeline uses that cluster, "
            "not this broker",
            err=True,
        )
    embedded = EmbeddedBroker(
        port=port or settings.stream.broker_port,
        durable_dir=(settings.data_dir / "broker") if durable else None,
        cache_dir=settings.stream.broker_cache_dir,
    )
    stop = _stop_on_signals()
    try:
        embedded.start()
        ensure_topics(embedded.bootstrap_servers, settings.stream)
    except (BrokerError, InstallError) as exc:
        embedded.stop()
        typer.echo(f"broker: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"broker: Tansu on {embedded.bootstrap_servers}, {embedded.mode}; Ctrl-C stops it")
    try:
        while not stop.wait(1.0):
            if embedded.process is not None and embedded.process.poll() is not None:
                typer.echo(f"broker: exited with status {embedded.process.returncode}", err=True)
                raise typer.Exit(1)
    finally:
        embedded.stop()


def edge(
    camera: Annotated[str, typer.Option("--camera", help="camera id, as registered")],
    source: Annotated[
        str, typer.Option("--source", help="video file, stream URL, folder of images or one image")
    ],
    models: Annotated[
        str | None, typer.Option("--models", help="model pack: auto, hub, offline or a directory")
    ] = None,
    metrics_port: MetricsPortOption = None,
    config: ConfigOption = None,
) -> None:
    """Read plates from a camera source and forward every read through the durable outbox."""
    from alpr.packs import ModelsUnavailableError
    from alpr.sources import SourceError
    from stream.edge import run_edge
    from stream.metrics import EdgeMetrics, serve

    settings = _settings(config)
    metrics = EdgeMetrics()
    port = metrics_port or settings.stream.metrics_port
    if port:
        serve(metrics.registry, port, settings.stream.metrics_addr)
    stop = _stop_on_signals()
    try:
        count = run_edge(
            settings, camera_id=camera, source=source, models=models, stop=stop, metrics=metrics
        )
    except (SourceError, ModelsUnavailableError) as exc:
        typer.echo(f"edge: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"edge: {count} read(s) queued from {source}")


def matcher(
    group: Annotated[
        str | None, typer.Option("--group", help="consumer group (default: stream.consumer_group)")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="client id shown in the broker and in logs")
    ] = None,
    metrics_port: MetricsPortOption = None,
    config: ConfigOption = None,
) -> None:
    """Consume reads, match them against the hotlists and publish alerts, until stopped;
    beside them, in a consumer of their own, the cameras' heartbeats into camera health."""
    import os

    from hotlist.ingest import IndexCache  # noqa: F401  (fail early if matching is missing)
    from store.db import make_engine, make_session_factory
    from stream.handler import HotlistHandler
    from stream.health import start_heartbeat_consumer
    from stream.matcher import DatabaseNotReadyError, MatcherService
    from stream.metrics import MatcherMetrics, serve

    settings = _settings(config)
    metrics = MatcherMetrics()
    port = metrics_port or settings.stream.metrics_port
    if port:
        serve(metrics.registry, port, settings.stream.metrics_addr)
    engine = make_engine(settings.effective_database_url)
    service = MatcherService(
        settings,
        HotlistHandler(settings.matching),
        make_session_factory(engine),
        group_id=group,
        client_id=name or f"platewatch-matcher-{os.getpid()}",
        metrics=metrics,
    )
    stop = _stop_on_signals()
    heartbeats = start_heartbeat_consumer(settings, make_session_factory(engine), stop)
    try:
        service.run(stop)
    except DatabaseNotReadyError as exc:
        typer.echo(f"matcher: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        stop.set()
        heartbeats.join(10)
        engine.dispose()


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root `platewatch` app."""
    app.command("broker")(broker)
    app.command("edge")(edge)
    app.command("matcher")(matcher)
