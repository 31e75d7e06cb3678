"""The plate read: what the edge reader says it saw, once per vehicle pass.

This is the value that crosses every boundary after the edge (outbox, Kafka, matcher, database,
console), so it is a frozen pydantic model with UTC-only time and normalized plate text.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

_NOT_PLATE = re.compile(r"[^A-Z0-9]")


def normalize_plate(text: str) -> str:
    """Upper-case and keep only A-Z and 0-9: the one form every stage compares."""
    return _NOT_PLATE.sub("", text.upper())


def new_read_id() -> str:
    return str(uuid.uuid4())


class Box(BaseModel):
    """A plate's box in frame pixels, corners inclusive of x1/y1 and exclusive of x2/y2."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    x1: int
    y1: int
    x2: int
    y2: int

    def as_list(self) -> list[int]:
        return [self.x1, self.y1, self.x2, self.y2]


class CharChoice(BaseModel):
    """One candidate character at one position, with the recognizer's probability."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    char: str = Field(min_length=1, max_length=1)
    p: float = Field(ge=0, le=1)


class Alternative(BaseModel):
    """A whole-plate reading other than the best one, with its confidence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plate: str
    confidence: float = Field(ge=0, le=1)


class PlateRead(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    read_id: str = Field(default_factory=new_read_id, min_length=1, max_length=64)
    camera_id: str = Field(min_length=1, max_length=64)
    captured_at: AwareDatetime
    plate: str = Field(max_length=16)
    confidence: float = Field(ge=0, le=1)
    char_confidences: tuple[float, ...] = ()
    # Per position, the recognizer's top candidates best-first; the matcher weighs confusions
    # with these instead of trusting the argmax text alone.
    char_choices: tuple[tuple[CharChoice, ...], ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    region: str | None = None
    region_confidence: float | None = None
    box: Box
    crop_path: str | None = Field(default=None, description="relative to the image root")
    frame_path: str | None = Field(default=None, description="relative to the image root")
    frame_count: int = Field(default=1, ge=1)
    source: str | None = None

    @field_validator("captured_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("plate")
    @classmethod
    def _normalized(cls, value: str) -> str:
        return normalize_plate(value)
