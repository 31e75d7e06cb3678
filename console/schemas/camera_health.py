"""Camera health and operations alerts as the console shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CameraStateName = Literal["live", "silent", "failing", "offline"]


class CameraHealthPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    camera_id: str
    camera_name: str
    site_id: int
    site_name: str
    state: CameraStateName
    reason: str = Field(description="why the camera is in this state, in words")
    last_heartbeat_at: datetime | None = Field(description="None: never heard from")
    heartbeat_age_s: float | None
    started_at: datetime | None = Field(description="when the edge process last started")
    frames: int
    reads: int
    last_read_at: datetime | None
    model_pack: str | None
    errors: int
    last_error: str | None
    last_error_at: datetime | None


class OpsAlertPublic(BaseModel):
    """A camera operations alert: no plate, no read; what is wrong with which camera."""

    model_config = ConfigDict(frozen=True)

    id: int
    kind: Literal["camera"] = "camera"
    camera_id: str
    camera_name: str
    site_id: int
    site_name: str
    state: CameraStateName
    detail: str
    raised_at: datetime
    cleared_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
