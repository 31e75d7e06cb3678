"""Publishing reads from the edge: into the durable outbox, and a forwarder drains it.

Reading (the camera, the models) and forwarding (the uplink) run concurrently: a slow or dead
uplink never holds up the camera, and the camera never waits for the broker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from alpr.read import PlateRead
from stream.clients import bootstrap_servers
from stream.events import PlateReadEvent
from stream.forwarder import Forwarder
from stream.metrics import EdgeMetrics
from stream.outbox import EdgeOutbox

if TYPE_CHECKING:
    from stream.settings import StreamSections

log = logging.getLogger(__name__)


class EdgePublisher:
    """Queue reads durably and forward them in the background; use as a context manager."""

    def __init__(
        self,
        settings: StreamSections,
        *,
        bootstrap: str | None = None,
        outbox_path: Path | None = None,
        metrics: EdgeMetrics | None = None,
        client_id: str = "platewatch-edge",
    ) -> None:
        self.settings = settings
        self.metrics = metrics or EdgeMetrics()
        self.outbox = EdgeOutbox(
            outbox_path or settings.edge.outbox_path,
            budget_bytes=settings.edge.outbox_budget_mb * 1024 * 1024,
            synchronous=settings.stream.edge_outbox_sync,
        )
        self.forwarder = Forwarder(
            self.outbox,
            bootstrap or bootstrap_servers(settings),
            settings.stream,
            self.metrics,
            client_id=client_id,
        )
        self._closed = False

    def start(self) -> None:
        queued = self.outbox.depth().reads
        if queued:
            log.info(
                "edge outbox %s holds %d unsent read(s) from before; sending them first",
                self.outbox.path,
                queued,
            )
        self.forwarder.start()

    def publish(self, read: PlateRead) -> None:
        """Queue one read; it is safe on disk when this returns."""
        self.outbox.put(PlateReadEvent(read=read))
        self.metrics.reads_queued.inc()

    def publish_many(self, reads: Iterable[PlateRead]) -> int:
        """Queue several reads in one disk transaction; how many."""
        events = [PlateReadEvent(read=read) for read in reads]
        self.outbox.put_many(events)
        self.metrics.reads_queued.inc(len(events))
        return len(events)

    def close(self, drain_timeout_s: float | None = None) -> None:
        """Stop forwarding after up to `drain_timeout_s` of draining; unsent reads stay queued."""
        if self._closed:
            return
        self._closed = True
        timeout = (
            self.settings.stream.edge_drain_timeout_s
            if drain_timeout_s is None
            else drain_timeout_s
        )
        self.forwarder.stop(timeout)
        self.outbox.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
