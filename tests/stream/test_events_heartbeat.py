"""The camera heartbeat on the wire: it round-trips, and what is not one is said why."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alpr.stats import EdgeStats
from stream.events import (
    MAX_HEARTBEAT_BYTES,
    CameraHeartbeat,
    Rejected,
    RejectKind,
    parse_event,
)
from stream.heartbeat import heartbeat_of

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_edge_stats_become_a_heartbeat_that_round_trips() -> None:
    stats = EdgeStats(frames=40, started_at=AT)
    stats.read_emitted()
    stats.source_failed("rtsp://cam-1/stream: dropped; reconnecting")
    stats.model_pack = "fused"
    beat = heartbeat_of("gate-north", stats)
    assert (beat.frames, beat.reads, beat.errors, beat.model_pack) == (40, 1, 1, "fused")
    assert beat.last_error == "rtsp://cam-1/stream: dropped; reconnecting"
    assert beat.started_at == AT and beat.last_read_at is not None
    raw = beat.to_bytes()
    assert json.loads(raw)["type"] == "camera_heartbeat"
    assert parse_event(raw, CameraHeartbeat, max_bytes=MAX_HEARTBEAT_BYTES) == beat


def _parse(data: object) -> CameraHeartbeat | Rejected:
    return parse_event(json.dumps(data).encode(), CameraHeartbeat, max_bytes=MAX_HEARTBEAT_BYTES)


def test_what_is_not_a_heartbeat_is_rejected_with_the_reason() -> None:
    good = CameraHeartbeat(
        camera_id="gate-north", sent_at=AT, started_at=AT, frames=1, reads=0, errors=0
    ).model_dump(mode="json")
    assert isinstance(_parse(good), CameraHeartbeat)
    assert _parse({**good, "schema_version": 2}) == Rejected(
        RejectKind.UNSUPPORTED_VERSION,
        "schema_version 2 is not supported (this consumer reads 1); upgrade the consumer or "
        "fix the producer",
    )
    negative = _parse({**good, "frames": -1})
    assert isinstance(negative, Rejected) and negative.kind is RejectKind.INVALID
    assert negative.error.startswith("frames: Input should be greater than or equal to 0")
    naive = _parse({**good, "sent_at": "2026-03-01T12:00:00"})
    assert isinstance(naive, Rejected) and naive.error.startswith("sent_at:")
    huge = parse_event(
        b" " * (MAX_HEARTBEAT_BYTES + 1), CameraHeartbeat, max_bytes=MAX_HEARTBEAT_BYTES
    )
    assert isinstance(huge, Rejected) and huge.kind is RejectKind.UNPARSEABLE
    assert _parse({**good, "type": "plate_read"}) == Rejected(
        RejectKind.INVALID, "type: expected 'camera_heartbeat', got 'plate_read'"
    )


def test_a_camera_url_s_login_never_leaves_the_edge() -> None:
    stats = EdgeStats()
    stats.source_failed("rtsp://admin:s3cret@10.0.0.7:554/stream: dropped; reconnecting")
    assert stats.last_error == "rtsp://***@10.0.0.7:554/stream: dropped; reconnecting"
    assert "s3cret" not in heartbeat_of("gate-north", stats).to_bytes().decode()
