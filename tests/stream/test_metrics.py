from __future__ import annotations

from prometheus_client import generate_latest

from stream.metrics import EdgeMetrics


def test_edge_exports_the_readers_frames_and_model_time() -> None:
    metrics = EdgeMetrics()
    metrics.reader.frames = 140
    metrics.reader.detected = 49
    metrics.reader.detect_seconds = 4.9
    metrics.reader.recognize_calls = 6
    metrics.reader.recognize_seconds = 0.3
    text = generate_latest(metrics.registry).decode()
    assert "platewatch_edge_frames_total 140.0" in text
    assert "platewatch_edge_detections_total 49.0" in text
    assert "platewatch_edge_detect_seconds_total 4.9" in text
    assert "platewatch_edge_recognize_batches_total 6.0" in text
    assert "platewatch_edge_outbox_reads 0.0" in text
