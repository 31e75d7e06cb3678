"""Counters of the edge reader's work, kept light so exporters can import them cheaply."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EdgeStats:
    """Running totals a metrics exporter reads (frames/s, model latency via seconds/calls)."""

    frames: int = 0
    detected: int = 0
    recognized_plates: int = 0
    skipped_still: int = 0
    skipped_settled: int = 0
    detect_seconds: float = 0.0
    recognize_seconds: float = 0.0
    recognize_calls: int = 0
