"""Settings of the retention job: the default policy that sites may shorten or lengthen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RetentionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    image_days: int = Field(default=30, ge=1)
    resident_hours: int = Field(default=24, ge=1)
    keep_plate_text_without_hit: bool = False
    batch_size: int = Field(default=2000, ge=1)
