"""A search of past reads: what an officer asks, and what comes back."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from console.search_rules import check_case_number, check_reason


class SearchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plate: str = Field(
        description="plate with `*` (any run) and `?` (one character) wildcards", max_length=20
    )
    start: AwareDatetime
    end: AwareDatetime
    camera_ids: list[str] = Field(default_factory=list, description="limit to these cameras")
    site_ids: list[int] = Field(default_factory=list, description="limit to these sites")
    case_number: str = Field(description="the case this search is for; required")
    reason: str = Field(
        description="why: the offense and what you expect to find; required", max_length=1000
    )

    # The rules every agency shares (console.search_rules); the agency's own case-number
    # format is checked by console.search, which knows the officer's agency.
    @field_validator("case_number")
    @classmethod
    def _case(cls, value: str) -> str:
        return check_case_number(value)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        return check_reason(value)


class ReadHitPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    read_id: str
    captured_at: datetime
    plate: str
    confidence: float
    region: str | None
    camera_id: str
    camera_name: str
    site_name: str
    has_hit: bool
    crop_url: str | None
    frame_url: str | None
    grant_id: int | None = Field(
        default=None,
        description="the site's grant (for this case) the read came through, if not shared",
    )


class SearchResult(BaseModel):
    audit_id: int = Field(description="the audit log entry recording this search")
    pattern: str
    count: int
    truncated: bool
    reads: list[ReadHitPublic]
