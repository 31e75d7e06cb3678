"""Hotlists and legal holds as admins see and change them (console.routes.admin_lists)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ListSource = Literal["ncic", "state", "agency", "site", "custom"]


class HotlistPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    description: str
    source: str
    priority: int = Field(description="1 is the highest")
    owner_agency_id: int | None
    owner_site_id: int | None
    entries: int
    expired_entries: int = Field(description="entries past their expiry; they no longer alert")
    version: int
    refreshed_at: datetime | None
    created_at: datetime


class HotlistCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    description: str = Field(default="", max_length=300)
    source: ListSource = "custom"
    priority: int = Field(default=1, ge=1, le=9, description="1 (highest) to 9")
    owner_agency_id: int | None = Field(default=None, description="an agency's own list")
    owner_site_id: int | None = Field(default=None, description="a site's own watch list")


class HotlistUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"\S")
    description: str | None = Field(default=None, max_length=300)
    source: ListSource | None = None
    priority: int | None = Field(default=None, ge=1, le=9)


class HotlistExpired(BaseModel):
    hotlist: HotlistPublic
    entries_expired: int = Field(description="entries that were live and now are not")


class HoldPublic(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    read_id: str
    reason: str
    case_number: str | None
    placed_by: str
    placed_at: datetime
    until: datetime
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None
    active: bool


class HoldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    read_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S", description="what it serves")
    until: AwareDatetime = Field(description="when the hold ends, with a UTC offset")
    case_number: str | None = Field(default=None, max_length=64)


class HoldRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S")
