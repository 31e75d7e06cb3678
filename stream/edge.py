"""`platewatch edge`: the edge reader's plate reads, published through the outbox."""

from __future__ import annotations

import threading

from alpr.edge import read_passes
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
    return published
