"""Settings of the edge reader: which models, how frames are read, where images go."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Region = Literal["us", "eu", "br"]


def default_model_cache() -> Path:
    return Path.home() / ".cache" / "platewatch" / "models"


class ModelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pack: str = Field(
        default="auto",
        description="auto, hub, offline, or a directory holding the model files",
    )
    cache_dir: Path = Field(default_factory=default_model_cache)
    detector_input: int = Field(
        default=640, ge=256, le=1280, description="long side of the detector input for photos"
    )
    stream_detector_input: int = Field(
        default=512,
        ge=256,
        le=1280,
        description="long side of the detector input for video and streams (frames are many, "
        "plates are seen several times, so a smaller input trades little recall for speed)",
    )
    detector_threads: int = Field(default=2, ge=1)
    ocr_threads: int = Field(default=1, ge=1)
    detector_confidence: float = Field(default=0.3, gt=0, lt=1)
    recognizer: Literal["auto", "fused", "cct", "ppocr"] = Field(
        default="auto",
        description="fused (PP-OCRv4 and CCT together), cct or ppocr alone; auto: fused when "
        "the pack holds the CCT model, else ppocr",
    )


class EdgeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    camera_id: str = "demo-cam-1"
    source: str | None = Field(default=None, description="video file, stream URL, folder or image")
    region: Region | None = Field(
        default=None,
        description="plate formats the camera sees (us, eu, br); unset tries every format",
    )
    max_fps: float = Field(default=15.0, gt=0)
    # Relative paths are taken under the root settings' data_dir, never the working folder:
    # a cron job started elsewhere must purge the real image folder.
    image_root: Path = Path("images")
    outbox_path: Path = Path("edge-outbox.db")
    outbox_budget_mb: int = Field(default=512, ge=1)
    track_timeout_s: float = Field(default=1.5, gt=0)
    max_pass_s: float = Field(default=30.0, gt=0)
    min_read_confidence: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="passes whose weakest character is below this are dropped as unreadable",
    )
    settled_confidence: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="a track whose vote reaches this weakest-character confidence is not "
        "recognized again; the detector only keeps it alive",
    )
    settled_frames: int = Field(default=3, ge=1, description="agreeing frames before settling")
    keepalive_s: float = Field(
        default=0.25,
        gt=0,
        description="with only settled plates in view, detect this often (stream seconds)",
    )
    motion_threshold: float = Field(
        default=0.002,
        ge=0,
        le=1,
        description="share of changed pixels below which an empty frame is not looked at",
    )
    jpeg_quality: int = Field(default=90, ge=30, le=100)
    reconnect_max_s: float = Field(default=30.0, gt=0, description="longest reconnect backoff")


class AlprSections(Protocol):
    """The sections of the settings tree the edge reader uses. The root tree satisfies it, and
    so does anything with these two attributes: alpr never imports the root."""

    @property
    def edge(self) -> EdgeSettings: ...

    @property
    def models(self) -> ModelSettings: ...
