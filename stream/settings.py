"""Settings of the stream: topics and consumer tuning that suit Tansu and a real cluster."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StreamSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reads_topic: str = "platewatch.reads"
    alerts_topic: str = "platewatch.alerts"
    dispositions_topic: str = "platewatch.dispositions"
    dead_letter_topic: str = "platewatch.dead-letter"
    partitions: int = Field(default=4, ge=1)
    consumer_group: str = "platewatch-matcher"
    session_timeout_ms: int = 6000
    heartbeat_interval_ms: int = 2000
    batch_max: int = Field(default=500, ge=1)
    compression: str | None = "lz4"
    broker_port: int = Field(default=19092, ge=1, le=65535)
