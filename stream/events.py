"""The events on the stream's topics: versioned, frozen, JSON on the wire.

Parsing never raises for bad input: it returns the event or a `Rejected` value saying what was
wrong, and the consumer turns that into a `DeadLetter` beside the original bytes (errors as
values, as in bytewax's Kafka connector). A malformed message therefore never stops a consumer.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from alpr.read import PlateRead
from hotlist.alerts import AlertStatus
from hotlist.wire import AlertRecord

SCHEMA_VERSION: Literal[1] = 1
# A plate read is a few kilobytes; anything far larger is not one and is not worth parsing.
MAX_READ_EVENT_BYTES = 256 * 1024
# A read nests five deep (event, read, char_choices, a position, a choice). Python's JSON
# parser recurses once per level, so 4 KB of brackets alone used to exhaust the stack.
MAX_EVENT_DEPTH = 16


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = SCHEMA_VERSION

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


class PlateReadEvent(Event):
    """One vehicle pass seen by an edge camera; keyed by camera on `platewatch.reads`."""

    type: Literal["plate_read"] = "plate_read"
    read: PlateRead
    # When the edge put it in its outbox: the start of the publish-to-alert latency.
    queued_at: AwareDatetime = Field(default_factory=_utcnow)


class AlertKind(StrEnum):
    RAISED = "raised"
    SIGHTING = "sighting"
    STATUS = "status"


class AlertEvent(Event):
    """An alert raised, seen again, or changed in status; keyed by alert id.

    Consumers de-duplicate on `event_id` (the database outbox row it was published from): the
    relay publishes at least once, so a crash between publishing and marking it published
    sends the same event again with the same id.
    """

    type: Literal["alert"] = "alert"
    event_id: int
    alert_id: int
    kind: AlertKind
    occurred_at: AwareDatetime
    # The alert's wire record as written in the alert's own transaction (not the officer's card).
    alert: AlertRecord


class AlertDisposition(Event):
    """What an officer decided about an alert; keyed by alert id on `platewatch.dispositions`.

    Published by the alert relay from the outbox row the disposition wrote in its own
    transaction; like alert events at least once, so consumers de-duplicate on `event_id`.
    """

    type: Literal["alert_disposition"] = "alert_disposition"
    event_id: int
    alert_id: int
    status: AlertStatus
    reason: str | None = Field(default=None, max_length=32)
    note: str | None = None
    by: str = Field(min_length=1, max_length=100)
    case_number: str | None = Field(default=None, max_length=64)
    at: AwareDatetime


class CameraHeartbeat(Event):
    """An edge's running totals, sent every `edge.heartbeat_s`; keyed by camera on
    `platewatch.heartbeats`. Counters are since `started_at` (the edge process's start), so a
    restart shows as a new `started_at` with counters from zero, not as a fall."""

    type: Literal["camera_heartbeat"] = "camera_heartbeat"
    camera_id: str = Field(min_length=1, max_length=100)
    sent_at: AwareDatetime
    started_at: AwareDatetime
    frames: int = Field(ge=0)
    reads: int = Field(ge=0)
    last_read_at: AwareDatetime | None = None
    model_pack: str | None = Field(default=None, max_length=100)
    errors: int = Field(ge=0)
    last_error: str | None = Field(default=None, max_length=500)
    last_error_at: AwareDatetime | None = None


MAX_HEARTBEAT_BYTES = 16 * 1024


class RejectKind(StrEnum):
    UNPARSEABLE = "unparseable"  # not UTF-8 JSON, or too large to be an event
    UNSUPPORTED_VERSION = "unsupported_version"
    INVALID = "invalid"  # JSON of the right version with missing or wrong fields
    UNPROCESSABLE = "unprocessable"  # a valid event the matcher could not take (unknown camera)


@dataclass(frozen=True)
class Rejected:
    kind: RejectKind
    error: str


class DeadLetter(Event):
    """A message no consumer could use, with why and the original bytes (base64)."""

    type: Literal["dead_letter"] = "dead_letter"
    source_topic: str
    partition: int
    offset: int
    consumer_group: str
    reason: RejectKind
    error: str
    key_b64: str | None = None
    original_b64: str
    original_size: int
    failed_at: AwareDatetime = Field(default_factory=_utcnow)

    @classmethod
    def of(
        cls,
        rejected: Rejected,
        *,
        topic: str,
        partition: int,
        offset: int,
        consumer_group: str,
        key: bytes | None,
        value: bytes,
    ) -> DeadLetter:
        return cls(
            source_topic=topic,
            partition=partition,
            offset=offset,
            consumer_group=consumer_group,
            reason=rejected.kind,
            error=rejected.error,
            key_b64=None if key is None else base64.b64encode(key).decode(),
            original_b64=base64.b64encode(value).decode(),
            original_size=len(value),
        )

    def original(self) -> bytes:
        return base64.b64decode(self.original_b64)


E = TypeVar("E", bound=Event)


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors()[:5]:
        field = ".".join(str(p) for p in err["loc"]) or "(event)"
        problems.append(f"{field}: {err['msg']}")
    more = exc.error_count() - len(problems)
    return "; ".join(problems) + (f"; and {more} more" if more > 0 else "")


def _decode(raw: bytes | None, expected: str, max_bytes: int) -> dict[str, object] | Rejected:
    if raw is None:
        return Rejected(RejectKind.UNPARSEABLE, "empty message (no value); expected a JSON event")
    if len(raw) > max_bytes:
        return Rejected(
            RejectKind.UNPARSEABLE,
            f"message is {len(raw):,} bytes; a {expected} event is at most {max_bytes:,}",
        )
    data = _load_json(raw, expected)
    if isinstance(data, Rejected):
        return data
    if not isinstance(data, dict):
        return Rejected(RejectKind.INVALID, f"expected a JSON object, got {type(data).__name__}")
    return data


def _load_json(raw: bytes, expected: str) -> object:
    """The decoded JSON value, or why it is none; never deeper than MAX_EVENT_DEPTH."""
    too_deep = f"a {expected} event nests at most {MAX_EVENT_DEPTH} levels"
    try:
        data = json.loads(raw)
    except RecursionError:
        return Rejected(RejectKind.UNPARSEABLE, f"JSON nests too deep to parse; {too_deep}")
    except ValueError as exc:
        # Malformed JSON, bytes that are not UTF-8, integers too long to convert.
        return Rejected(RejectKind.UNPARSEABLE, f"not JSON: {str(exc)[:200]}")
    depth = nesting_depth(data)
    if depth > MAX_EVENT_DEPTH:
        return Rejected(RejectKind.UNPARSEABLE, f"JSON nests {depth} levels deep; {too_deep}")
    return data


def nesting_depth(data: object, limit: int = MAX_EVENT_DEPTH) -> int:
    """How deep a decoded JSON value nests, counted without recursion; stops past `limit`."""
    deepest = 0
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: list[object] = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_event(
    raw: bytes | None, model: type[E], *, max_bytes: int = MAX_READ_EVENT_BYTES
) -> E | Rejected:
    """The event in `raw`, or why it is not one. Never raises for bad input."""
    expected = str(model.model_fields["type"].default)
    data = _decode(raw, expected, max_bytes)
    if isinstance(data, Rejected):
        return data
    version = data.get("schema_version")
    # `true == 1` in Python: only the integer itself names this major version.
    if type(version) is not int or version != SCHEMA_VERSION:
        return Rejected(
            RejectKind.UNSUPPORTED_VERSION,
            f"schema_version {version!r} is not supported (this consumer reads "
            f"{SCHEMA_VERSION}); upgrade the consumer or fix the producer",
        )
    if data.get("type") != expected:
        return Rejected(
            RejectKind.INVALID, f"type: expected {expected!r}, got {data.get('type')!r}"
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        return Rejected(RejectKind.INVALID, _describe(exc))
