"""Settings of the stream: topics and consumer tuning that suit Tansu and a real cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from alpr.settings import EdgeSettings, ModelSettings


def default_broker_cache() -> Path:
    return Path.home() / ".cache" / "platewatch" / "broker"


class StreamSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reads_topic: str = "platewatch.reads"
    alerts_topic: str = "platewatch.alerts"
    dispositions_topic: str = "platewatch.dispositions"
    dead_letter_topic: str = "platewatch.dead-letter"
    heartbeats_topic: str = "platewatch.heartbeats"
    partitions: int = Field(default=4, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    consumer_group: str = "platewatch-matcher"
    # Its own group: heartbeats are consumed beside the reads, never in their way.
    health_consumer_group: str = "platewatch-camera-health"
    # Tansu takes about half the session timeout to finish a group join; 6 s keeps a
    # rebalance near 3 s and also suits a real cluster.
    session_timeout_ms: int = Field(default=6000, ge=1000)
    heartbeat_interval_ms: int = Field(default=2000, ge=100)
    batch_max: int = Field(default=500, ge=1)
    poll_timeout_ms: int = Field(default=500, ge=10)
    # How long the broker may hold a fetch that found nothing. Tansu answers a waiting fetch
    # late, not the moment a message arrives, so this bounds the fetch hop of an alert's trip.
    # Measured here on PostgreSQL (bench.e2e_bench, 200 alerts, load average ~1-2): pass to
    # officer feed p99 76-79 ms with 50 ms, 35-47 ms with 20 ms (the fetch hop's p99 35 -> 17-19
    # ms); a bare idle consumer used 4.3% of a core at 50 ms, 9.9% at 20 ms and 14.4% at 10 ms.
    # 20 ms keeps the feed inside its 60 ms; the heartbeat consumer, which need not be quick,
    # waits 500 ms. A real cluster answers as soon as data arrives; there this only sets how
    # often an idle matcher asks, and 500 costs nothing in latency.
    fetch_max_wait_ms: int = Field(default=20, ge=1, le=10_000)
    compression: Literal["lz4", "gzip", "zstd"] | None = "lz4"
    # Largest message the producers will send (the dead-letter topic carries the original
    # bytes of whatever arrived, so it must take more than any read).
    max_message_bytes: int = Field(default=8 * 1024 * 1024, ge=1024 * 1024)
    request_timeout_ms: int = Field(default=10_000, ge=1000)
    # How long a forwarder batch may wait for acknowledgement before the broker counts as down.
    delivery_timeout_ms: int = Field(default=15_000, ge=1000)
    forward_batch_max: int = Field(default=500, ge=1)
    retry_backoff_max_s: float = Field(default=5.0, gt=0)
    # A read the database refuses this many times in a row (while the database answers
    # otherwise) goes to the dead-letter topic with the error, and its partition moves on.
    read_max_attempts: int = Field(default=3, ge=1, le=20)
    # Alert events published from the database outbox per relay round.
    relay_batch_max: int = Field(default=500, ge=1)
    broker_port: int = Field(default=19092, ge=1, le=65535)
    broker_cache_dir: Path = Field(
        default_factory=default_broker_cache,
        description="where the Tansu binary and the s3rver object store are installed",
    )
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_addr: str = Field(
        default="127.0.0.1", description="0.0.0.0 to let a remote Prometheus scrape"
    )
    # FULL syncs every outbox commit to disk (survives a power cut on the pole); NORMAL
    # survives a killed process but may lose the last reads on power loss.
    edge_outbox_sync: Literal["FULL", "NORMAL"] = "FULL"
    # How long a stopping edge keeps forwarding what is queued before leaving it for next time.
    edge_drain_timeout_s: float = Field(default=10.0, ge=0)


class StreamSections(Protocol):
    """The sections of the settings tree the stream stage uses; the root tree satisfies it, so
    stream never imports the root (only `platewatch` composes the tree and the processes)."""

    @property
    def kafka_bootstrap_servers(self) -> str | None: ...

    @property
    def stream(self) -> StreamSettings: ...

    @property
    def edge(self) -> EdgeSettings: ...

    @property
    def models(self) -> ModelSettings: ...
