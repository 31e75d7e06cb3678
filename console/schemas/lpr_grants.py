"""Asks to sites that do not share for some of their plate reads, and the sites' answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LprGrantAsk(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    site_id: int = Field(description="a site that does not share its reads with your agency")
    camera_ids: list[str] = Field(
        min_length=1, max_length=100, description="the site's cameras whose reads you need"
    )
    plates: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="only reads of these exact plates; none: every read of those cameras",
    )


class LprGrantPublic(BaseModel):
    """One ask as the agency and the site see it; who at the site answered is not shown."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    request_id: int
    site_id: int
    site_name: str
    agency_name: str
    case_number: str
    public_summary: str
    camera_ids: tuple[str, ...]
    plates: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    status: str = Field(description="pending, approved, declined, revoked or expired")
    asked_at: datetime
    decided_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class AskableCamera(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str


class AskableSitePublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    site_id: int
    name: str
    cameras: list[AskableCamera]
