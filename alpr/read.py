"""The plate read: what the edge reader says it saw, once per vehicle pass.

This is the value that crosses every boundary after the edge (outbox, Kafka, matcher, database,
console), so it is a frozen pydantic model with UTC-only time and normalized plate text.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

_NOT_PLATE = re.compile(r"[^A-Z0-9]")
# One folder or file name of the image store: no separators, no "." or ".." (see alpr/images.py).
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def normalize_plate(text: str) -> str:
    """Upper-case and keep only A-Z and 0-9: the one form every stage compares."""
    return _NOT_PLATE.sub("", text.upper())


def mask_plate(plate: str) -> str:
    """Plates at info level show only the last two characters (no full plates in logs)."""
    return "*" * max(0, len(plate) - 2) + plate[-2:]


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

    @model_validator(mode="after")
    def _images_in_own_folder(self) -> PlateRead:
        for name, path in (("crop_path", self.crop_path), ("frame_path", self.frame_path)):
            if path is not None:
                _check_image_path(name, path, self.camera_id)
        return self


def _check_image_path(field: str, path: str, camera_id: str) -> None:
    """An image path must stay inside its own camera's folder of the image root.

    It arrives from the edge over the network; the console serves the file it names and the
    purge deletes it, so `..`, an absolute path or another camera's folder is refused here,
    before anything stores it.
    """
    segments = path.split("/")
    if path.startswith("/") or "\\" in path or ":" in segments[0]:
        problem = "is absolute; it must be relative to the image root"
    elif not all(_PATH_SEGMENT.match(segment) for segment in segments):
        problem = "has an empty, '.', '..' or unsafe part"
    elif len(segments) < 2 or segments[0] != camera_id:
        problem = f"is outside the camera's own folder {camera_id!r}/"
    else:
        return
    msg = f"{field} {path[:120]!r} {problem} (expected {camera_id}/YYYY/MM/DD/<read id>_crop.jpg)"
    raise ValueError(msg)


def read_from_json(data: dict[str, Any], *, camera: str, now: datetime) -> PlateRead:
    """A PlateRead from a `platewatch read --json` line: fields it lacks get defaults (the
    camera, the time, an empty box) and fields PlateRead does not know are ignored."""
    known = set(PlateRead.model_fields)
    values = {k: v for k, v in data.items() if k in known}
    values.setdefault("camera_id", data.get("camera") or camera)
    values.setdefault("captured_at", now)
    values.setdefault("box", {"x1": 0, "y1": 0, "x2": 0, "y2": 0})
    if isinstance(values.get("box"), list | tuple):
        x1, y1, x2, y2 = values["box"]
        values["box"] = {"x1": int(x1), "y1": int(y1), "x2": int(x2), "y2": int(y2)}
    return PlateRead.model_validate(values)
