"""Prometheus metrics of the edge forwarder and the matcher, each in its own registry.

A registry per process role (not prometheus_client's global one) keeps tests and several
in-process pipelines from sharing counters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from alpr.stats import EdgeStats


class ReaderCollector(Collector):
    """The edge reader's running totals, read at scrape time: rate() of the frame counter is
    frames/s, and seconds over calls is the mean model latency."""

    def __init__(self, stats: EdgeStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[CounterMetricFamily]:
        s = self.stats
        for name, doc, value in (
            ("frames", "Frames taken from the source", s.frames),
            ("detections", "Detector runs", s.detected),
            ("plates_recognized", "Plate crops sent to the recognizer", s.recognized_plates),
            ("detect_seconds", "Time spent in the plate detector", s.detect_seconds),
            ("recognize_seconds", "Time spent in the recognizer", s.recognize_seconds),
            ("recognize_batches", "Recognizer calls (one batch per frame)", s.recognize_calls),
        ):
            family = CounterMetricFamily(f"platewatch_edge_{name}", doc)
            family.add_metric([], value)
            yield family


@dataclass
class EdgeMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    reader: EdgeStats = field(default_factory=EdgeStats)

    def __post_init__(self) -> None:
        r = self.registry
        r.register(ReaderCollector(self.reader))
        self.reads_queued = Counter(
            "platewatch_edge_reads_queued", "Reads written to the edge outbox", registry=r
        )
        self.reads_forwarded = Counter(
            "platewatch_edge_reads_forwarded",
            "Reads acknowledged by the broker and removed from the outbox",
            registry=r,
        )
        self.reads_dropped = Counter(
            "platewatch_edge_reads_dropped",
            "Oldest unsent reads dropped because the outbox was over its disk budget",
            registry=r,
        )
        self.outbox_reads = Gauge(
            "platewatch_edge_outbox_reads", "Reads waiting in the edge outbox", registry=r
        )
        self.outbox_bytes = Gauge(
            "platewatch_edge_outbox_bytes", "Payload bytes waiting in the edge outbox", registry=r
        )
        self.outbox_budget_bytes = Gauge(
            "platewatch_edge_outbox_budget_bytes", "Disk budget of the edge outbox", registry=r
        )
        self.broker_up = Gauge(
            "platewatch_edge_broker_up",
            "1 while the last delivery to the broker succeeded",
            registry=r,
        )


@dataclass
class MatcherMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.reads = Counter(
            "platewatch_matcher_reads",
            "Reads consumed and committed, by outcome (stored, duplicate)",
            ["outcome"],
            registry=r,
        )
        self.dead_letters = Counter(
            "platewatch_matcher_dead_letters",
            "Messages sent to the dead-letter topic, by reason",
            ["reason"],
            registry=r,
        )
        self.batch_seconds = Gauge(
            "platewatch_matcher_last_batch_seconds",
            "Time the last batch took from poll to offset commit",
            registry=r,
        )
        self.consumer_lag = Gauge(
            "platewatch_matcher_consumer_lag",
            "Messages behind the high watermark, per assigned partition (from fetch responses)",
            ["partition"],
            registry=r,
        )
        self.alerts_published = Counter(
            "platewatch_matcher_alerts_published",
            "Alert events published from the outbox, by kind",
            ["kind"],
            registry=r,
        )
        self.alert_outbox_depth = Gauge(
            "platewatch_matcher_alert_outbox_depth",
            "Alert events waiting in the database outbox",
            registry=r,
        )


def serve(registry: CollectorRegistry, port: int, addr: str = "127.0.0.1") -> None:
    """Expose `registry` on `addr`:`port`/metrics for Prometheus to scrape."""
    start_http_server(port, addr=addr, registry=registry)
