"""Safe-list entries as HOA admins see and change them."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class SafelistEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    site_id: int
    plate: str
    state: str | None
    label: str
    added_by: str
    added_at: datetime
    expires_at: datetime | None
    expired: bool = False


class SafelistEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plate: str = Field(min_length=1, max_length=16)
    state: str = Field(default="", max_length=40)
    label: str = Field(default="", max_length=100, description="e.g. unit 12B")
    expires_at: AwareDatetime | None = None


class SafelistEntryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, max_length=100)
    expires_at: AwareDatetime | None = None
    clear_expiry: bool = False
