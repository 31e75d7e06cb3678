"""Settings of footage requests and shares (the `community` section of the tree)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RequestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    request_days: int = Field(
        default=7, ge=1, le=90, description="days an approved footage request stays open"
    )
    request_max_hours: int = Field(
        default=12, ge=1, le=72, description="longest time range one footage request may ask for"
    )
    request_max_radius_m: int = Field(
        default=1000, ge=50, le=5000, description="largest radius of a request's or alert's area"
    )
    share_max_bytes: int = Field(
        default=200 * 1024 * 1024, ge=1024, description="largest file a resident may share"
    )
    share_max_files: int = Field(default=10, ge=1, le=100, description="files one share may hold")
    lpr_grant_days: int = Field(
        default=30,
        ge=1,
        le=90,
        description="days a site's approved grant of its plate reads to an agency stays open",
    )
