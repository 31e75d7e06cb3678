"""Counters of the edge reader's work, kept light so exporters can import them cheaply."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

# rtsp://user:password@host/...: camera URLs often carry their login, which must not travel
# with the heartbeat to the console's pages, webhooks and emails.
_URL_LOGIN = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class EdgeStats:
    """Running totals a metrics exporter reads (frames/s, model latency via seconds/calls) and
    the camera heartbeat reports (reads, the last read, the model pack, source errors)."""

    frames: int = 0
    detected: int = 0
    recognized_plates: int = 0
    skipped_still: int = 0
    skipped_settled: int = 0
    detect_seconds: float = 0.0
    recognize_seconds: float = 0.0
    recognize_calls: int = 0
    started_at: datetime = field(default_factory=_now)
    reads: int = 0
    last_read_at: datetime | None = None
    model_pack: str | None = None
    errors: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None

    def read_emitted(self) -> None:
        self.reads += 1
        self.last_read_at = _now()

    def source_failed(self, error: str) -> None:
        self.errors += 1
        self.last_error = _URL_LOGIN.sub(r"\1***@", error)[:500]
        self.last_error_at = _now()
