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
        description="auto (the best verified pack: fused, else offline, else hub), fused, "
        "offline, hub, or a directory holding the model files",
    )
    cache_dir: Path = Field(default_factory=default_model_cache)
    cct_release_url: str = Field(
        default="https://github.com/ankandrew/cnn-ocr-lp/releases/download/arg-plates",
        description="where `models fetch --pack fused` downloads the CCT recognizer's files "
        "(fast-plate-ocr's release); each is checked against its pinned size and SHA-256",
    )
    fetch_timeout_s: float = Field(
        default=10, gt=0, description="give up on an unreachable model release URL after this"
    )
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
    photo_second_look: int | None = Field(
        default=1024,
        ge=256,
        le=1600,
        description="long side of a second detector pass over a photo whose first pass found "
        "no plate (far or small plates); unset: one pass. Video frames never take it",
    )
    detector_precision: Literal["fp16", "int8"] = Field(
        default="int8",
        description="int8: a statically quantised copy of platedet, built into the cache from "
        "the verified file (see BENCHMARKS.md, Detector speed); fp16: platedet as shipped",
    )
    detector_threads: int = Field(default=2, ge=1)
    ocr_threads: int = Field(default=1, ge=1)
    detector_confidence: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="boxes below this are dropped; unset: the precision's own operating point "
        "(fp16 0.3; int8 scores sit a little lower, so 0.2 finds the same plates)",
    )
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
    min_detector_confidence: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="video and streams: detections below this are not tracked. A plate in view "
        "is seen on many frames, so the faint boxes the photo operating point keeps (int8 0.2) "
        "add false passes there, not plates",
    )
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
    heartbeat_s: float = Field(
        default=15.0,
        gt=0,
        le=3600,
        description="how often the edge reports its camera's health (frames, reads, errors); "
        "keep it well under health.offline_after_s",
    )


class AlprSections(Protocol):
    """The sections of the settings tree the edge reader uses. The root tree satisfies it, and
    so does anything with these two attributes: alpr never imports the root."""

    @property
    def edge(self) -> EdgeSettings: ...

    @property
    def models(self) -> ModelSettings: ...
