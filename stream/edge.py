"""`platewatch edge`: the edge reader's plate reads, published through the outbox, and the
camera's heartbeat beside them."""

from __future__ import annotations

import threading

from alpr.edge import read_passes
from alpr.packs import ModelsUnavailableError
from alpr.sources import SourceError
from stream.clients import bootstrap_servers
from stream.heartbeat import HeartbeatSender
from stream.metrics import EdgeMetrics
from stream.publisher import EdgePublisher
from stream.settings import StreamSections


def run_edge(
    settings: StreamSections,
    *,
    camera_id: str,
    source: str,
    models: str | None = None,
    stop: threading.Event | None = None,
    metrics: EdgeMetrics | None = None,
) -> int:
    """Read plates from `source` and publish every pass until the source ends or `stop`."""
    published = 0
    metrics = metrics or EdgeMetrics()
    # From before the models load: a camera stuck loading them still says it is there.
    heartbeat = HeartbeatSender(
        camera_id,
        metrics.reader,
        bootstrap_servers(settings),
        settings.stream,
        interval_s=settings.edge.heartbeat_s,
    )
    heartbeat.start()
    try:
        with EdgePublisher(settings, metrics=metrics) as publisher:
            for read in read_passes(
                settings,
                source=source,
                camera_id=camera_id,
                models=models,
                stop=stop,
                stats=metrics.reader,
            ):
                publisher.publish(read)
                published += 1
    except (SourceError, ModelsUnavailableError) as exc:
        # The last heartbeat carries why this edge stopped: the camera shows failing, not
        # just gone, until it counts as offline.
        metrics.reader.source_failed(str(exc))
        raise
    finally:
        heartbeat.stop()
    return published
