"""Community cameras as their owner sees them through the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class OwnCameraPublic(BaseModel):
    """The owner's own view: exact place included (nobody else gets this shape)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    label: str
    kind: str
    latitude: float | None
    longitude: float | None
    cell: str
    listed: bool
    contact: str
    paused_at: datetime | None
    created_at: datetime
