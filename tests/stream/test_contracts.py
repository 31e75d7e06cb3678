"""The wire contract: what every event on the stream looks like, pinned byte for byte.

A change to any of these files is a change other systems see. If it is meant, raise the
schema version where consumers must change (a removed or retyped field), regenerate with
`PLATEWATCH_PIN_CONTRACTS=1 pytest tests/stream/test_contracts.py`, and say so in the notes.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel

from alpr.read import Box, CharChoice, PlateRead
from hotlist.wire import AlertRecord, CameraRecord, ListRecord
from stream.events import (
    AlertDisposition,
    AlertEvent,
    AlertKind,
    CameraHeartbeat,
    DeadLetter,
    PlateReadEvent,
    Rejected,
    RejectKind,
    parse_event,
)

PINNED = Path(__file__).parent / "contracts"
AT = datetime(2026, 3, 1, 14, 5, 9, 250000, tzinfo=UTC)


def _read() -> PlateRead:
    return PlateRead(
        read_id="6f1c2a9e-0c55-4d7e-9d1e-2f3b4c5d6e7f",
        camera_id="gate-1",
        captured_at=AT,
        plate="7ABC123",
        confidence=0.91,
        char_confidences=(0.99, 0.98, 0.97, 0.91, 0.99, 0.99, 0.98),
        char_choices=((CharChoice(char="B", p=0.08),),) * 7,
        box=Box(x1=410, y1=220, x2=530, y2=262),
        region="us-ca",
        source="rtsp://cam/1",
        frame_count=9,
        crop_path="gate-1/2026/03/01/6f1c2a9e_crop.jpg",
        frame_path="gate-1/2026/03/01/6f1c2a9e_frame.jpg",
    )


def _record() -> AlertRecord:
    return AlertRecord(
        alert_id=41,
        status="new",
        decision="alert",
        plate_read="7ABC123",
        read_id="6f1c2a9e-0c55-4d7e-9d1e-2f3b4c5d6e7f",
        read_confidence=0.91,
        read_region="us-ca",
        captured_at=AT,
        match_kind="exact",
        score=1.0,
        substitutions=0,
        state_mismatch=False,
        entry=ListRecord(
            list_id=3,
            list_name="NCIC stolen",
            list_priority=1,
            plate="7ABC123",
            state="CA",
            reason="stolen_vehicle",
            make="Honda",
            model="Civic",
            color="gray",
            record_number="V-2026-0099",
            entered_at=AT,
            list_refreshed_at=AT,
        ),
        camera=CameraRecord(
            camera_id="gate-1",
            site_id=2,
            site_name="Oak Ridge HOA",
            latitude=37.7749,
            longitude=-122.4194,
            direction="northbound",
        ),
        first_seen_at=AT,
        last_seen_at=AT,
        sightings=1,
        crop_path="gate-1/2026/03/01/6f1c2a9e_crop.jpg",
        frame_path="gate-1/2026/03/01/6f1c2a9e_frame.jpg",
        status_reason=None,
        status_note=None,
        status_by=None,
        case_number=None,
        created_at=AT,
        updated_at=AT,
    )


EXAMPLES: dict[str, BaseModel] = {
    "plate_read": PlateReadEvent(read=_read(), queued_at=AT),
    "alert": AlertEvent(
        event_id=7, alert_id=41, kind=AlertKind.RAISED, occurred_at=AT, alert=_record()
    ),
    "alert_disposition": AlertDisposition(
        event_id=8,
        alert_id=41,
        status="confirmed",
        reason="correct_read",
        note="vehicle stopped on Elm St",
        by="officer_a",
        case_number="24-1183",
        at=AT,
    ),
    "dead_letter": DeadLetter.of(
        Rejected(RejectKind.UNPARSEABLE, "not JSON: Expecting value"),
        topic="platewatch.reads",
        partition=2,
        offset=1044,
        consumer_group="platewatch-matchers",
        key=b"gate-1",
        value=b"\x00\xff",
    ).model_copy(update={"failed_at": AT}),
    "camera_heartbeat": CameraHeartbeat(
        camera_id="gate-1",
        sent_at=AT,
        started_at=AT,
        frames=5400,
        reads=37,
        last_read_at=AT,
        model_pack="fused",
        errors=1,
        last_error="rtsp://cam/1: dropped; reconnecting",
        last_error_at=AT,
    ),
}


def _check(name: str, text: str) -> None:
    path = PINNED / name
    if os.environ.get("PLATEWATCH_PIN_CONTRACTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: pin it (see this module's docstring)"
    assert text == path.read_text(encoding="utf-8"), f"the wire format of {name} changed"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_event_s_json_is_pinned(name: str) -> None:
    event = EXAMPLES[name]
    _check(f"{name}.example.json", json.dumps(json.loads(event.model_dump_json()), indent=2) + "\n")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_event_s_schema_is_pinned(name: str) -> None:
    schema = type(EXAMPLES[name]).model_json_schema(mode="serialization")
    _check(f"{name}.schema.json", json.dumps(schema, indent=2, sort_keys=True) + "\n")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_pinned_example_parses_back_to_the_same_event(name: str) -> None:
    event = EXAMPLES[name]
    raw = (PINNED / f"{name}.example.json").read_bytes()
    assert parse_event(raw, type(event), max_bytes=10**6) == event  # type: ignore[type-var]


@pytest.mark.parametrize("version", [2, 0, "1", None, 1.5, 1.0, True])
def test_an_unknown_major_version_is_rejected_not_guessed(version: object) -> None:
    payload = json.loads((PINNED / "alert.example.json").read_text(encoding="utf-8"))
    payload["schema_version"] = version
    rejected = parse_event(json.dumps(payload).encode(), AlertEvent, max_bytes=10**6)
    assert isinstance(rejected, Rejected)
    assert rejected.kind is RejectKind.UNSUPPORTED_VERSION
    assert f"schema_version {version!r} is not supported" in rejected.error
