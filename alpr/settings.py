"""Settings of the edge reader: which models, how frames are read, where images go."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


def default_model_cache() -> Path:
    return Path.home() / ".cache" / "platewatch" / "models"


class ModelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pack: str = Field(
        default="auto",
        description="auto, hub, offline, or a directory holding the model files",
    )
    cache_dir: Path = Field(default_factory=default_model_cache)
    detector_input: int = Field(default=640, ge=256, le=1280)
    detector_threads: int = Field(default=2, ge=1)
    ocr_threads: int = Field(default=1, ge=1)


class EdgeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    camera_id: str = "demo-cam-1"
    source: str | None = Field(default=None, description="video file, stream URL, folder or image")
    max_fps: float = Field(default=15.0, gt=0)
    image_root: Path = Path("var/images")
    outbox_path: Path = Path("var/edge-outbox.db")
    outbox_budget_mb: int = Field(default=512, ge=1)
    track_timeout_s: float = Field(default=1.5, gt=0)
    max_pass_s: float = Field(default=30.0, gt=0)
