"""Events parse into typed values or say, as a value, why a message is not one."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from stream.events import (
    AlertDisposition,
    DeadLetter,
    PlateReadEvent,
    Rejected,
    RejectKind,
    parse_event,
)
from tests.stream.helpers import synthetic_reads


def _event() -> PlateReadEvent:
    return PlateReadEvent(read=next(synthetic_reads(1, ["cam-1"])))


def test_a_read_event_round_trips_with_its_schema_version() -> None:
    event = _event()
    raw = event.to_bytes()
    assert json.loads(raw)["schema_version"] == 1
    assert parse_event(raw, PlateReadEvent) == event


@pytest.mark.parametrize(
    ("raw", "kind", "message"),
    [
        (b"\xff\xfe not json", RejectKind.UNPARSEABLE, "not JSON"),
        (b"[1, 2]", RejectKind.INVALID, "expected a JSON object, got list"),
        (
            b'{"schema_version": 99, "type": "plate_read"}',
            RejectKind.UNSUPPORTED_VERSION,
            "schema_version 99 is not supported",
        ),
        (
            b'{"type": "plate_read"}',
            RejectKind.UNSUPPORTED_VERSION,
            "schema_version None is not supported",
        ),
        (
            b'{"schema_version": 1, "type": "alert"}',
            RejectKind.INVALID,
            "type: expected 'plate_read', got 'alert'",
        ),
        (b"x" * (2 * 1024 * 1024), RejectKind.UNPARSEABLE, "message is 2,097,152 bytes"),
        (None, RejectKind.UNPARSEABLE, "empty message"),
    ],
)
def test_bad_messages_become_rejections_that_say_why(
    raw: bytes | None, kind: RejectKind, message: str
) -> None:
    parsed = parse_event(raw, PlateReadEvent)
    assert isinstance(parsed, Rejected)
    assert parsed.kind is kind
    assert message in parsed.error


def test_missing_fields_are_named() -> None:
    data = json.loads(_event().to_bytes())
    del data["read"]["camera_id"]
    del data["read"]["captured_at"]
    parsed = parse_event(json.dumps(data).encode(), PlateReadEvent)
    assert isinstance(parsed, Rejected)
    assert parsed.kind is RejectKind.INVALID
    assert "read.camera_id: Field required" in parsed.error
    assert "read.captured_at: Field required" in parsed.error


def test_a_naive_capture_time_is_refused() -> None:
    data = json.loads(_event().to_bytes())
    data["read"]["captured_at"] = "2025-06-01T12:00:00"
    parsed = parse_event(json.dumps(data).encode(), PlateReadEvent)
    assert isinstance(parsed, Rejected)
    assert "read.captured_at" in parsed.error and "timezone" in parsed.error


def test_a_dead_letter_carries_the_error_and_the_original_bytes() -> None:
    original = b"\x00\x01 not an event \xff"
    rejected = parse_event(original, PlateReadEvent)
    assert isinstance(rejected, Rejected)
    letter = DeadLetter.of(
        rejected,
        topic="platewatch.reads",
        partition=2,
        offset=41,
        consumer_group="g",
        key=b"cam-1",
        value=original,
    )
    back = parse_event(letter.to_bytes(), DeadLetter, max_bytes=10**9)
    assert isinstance(back, DeadLetter)
    assert back.original() == original
    assert back.original_size == len(original)
    assert (back.source_topic, back.partition, back.offset) == ("platewatch.reads", 2, 41)
    assert back.reason is RejectKind.UNPARSEABLE and back.error == rejected.error


def test_events_are_frozen() -> None:
    disposition = AlertDisposition(
        event_id=9, alert_id=3, status="confirmed", by="officer 12", at=datetime.now(UTC)
    )
    with pytest.raises(ValueError, match="frozen"):
        disposition.status = "dismissed"  # type: ignore[misc]


def _read_event_json(**read: object) -> bytes:
    payload = json.loads(_event().to_bytes())
    payload["read"].update(read)
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        # 4 KB of valid JSON that used to exhaust the parser's stack (RecursionError).
        (b"[" * 2000 + b"]" * 2000, "JSON nests too deep to parse"),
        (b'{"a":' * 17 + b"1" + b"}" * 17, "JSON nests 17 levels deep"),
        (b'{"n": ' + b"9" * 5000 + b"}", "not JSON: Exceeds the limit"),
    ],
)
def test_hostile_json_is_rejected_as_unparseable_not_raised(raw: bytes, message: str) -> None:
    parsed = parse_event(raw, PlateReadEvent)
    assert isinstance(parsed, Rejected)
    assert parsed.kind is RejectKind.UNPARSEABLE
    assert message in parsed.error


def test_a_real_read_event_is_well_inside_the_depth_limit() -> None:
    from stream.events import MAX_EVENT_DEPTH, nesting_depth

    choices = [[{"char": "A", "p": 0.9}, {"char": "4", "p": 0.1}]] * 7
    raw = _read_event_json(char_choices=choices)
    assert nesting_depth(json.loads(raw)) == 5 < MAX_EVENT_DEPTH
    assert isinstance(parse_event(raw, PlateReadEvent), PlateReadEvent)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("../../../../tmp/x", "has an empty, '.', '..' or unsafe part"),
        ("cam-1/../../etc/passwd", "has an empty, '.', '..' or unsafe part"),
        ("/tmp/x_crop.jpg", "is absolute"),
        ("C:/images/x.jpg", "is absolute"),
        ("cam-1\\..\\x.jpg", "is absolute"),
        ("cam-2/2025/06/01/x_crop.jpg", "is outside the camera's own folder 'cam-1'/"),
        ("x_crop.jpg", "is outside the camera's own folder 'cam-1'/"),
        ("cam-1//x.jpg", "has an empty, '.', '..' or unsafe part"),
    ],
)
def test_an_image_path_outside_the_cameras_folder_is_invalid(path: str, problem: str) -> None:
    for field in ("crop_path", "frame_path"):
        parsed = parse_event(_read_event_json(**{field: path}), PlateReadEvent)
        assert isinstance(parsed, Rejected), path
        assert parsed.kind is RejectKind.INVALID
        assert f"read: Value error, {field}" in parsed.error and problem in parsed.error


def test_an_image_path_in_the_cameras_folder_is_kept() -> None:
    path = "cam-1/2025/06/01/0b6c_crop.jpg"
    parsed = parse_event(_read_event_json(crop_path=path), PlateReadEvent)
    assert isinstance(parsed, PlateReadEvent) and parsed.read.crop_path == path
