"""A search of past reads: what an officer asks, and what comes back."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

# Department case numbers vary (2024-001234, CR24/5567, 24-HOM-0012): letters, digits and
# separators, starting with a letter or digit.
CASE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/.: ]{2,63}$")
MIN_REASON = 10


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

    @field_validator("case_number")
    @classmethod
    def _case(cls, value: str) -> str:
        value = value.strip()
        if not value:
            msg = "a case number is required for every search"
            raise ValueError(msg)
        if not CASE_NUMBER.match(value):
            msg = "the case number must be 3-64 letters, digits, '-', '/', '.' or ':'"
            raise ValueError(msg)
        return value

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        value = " ".join(value.split())
        if len(value) < MIN_REASON:
            msg = f"state the reason for the search in at least {MIN_REASON} characters"
            raise ValueError(msg)
        return value


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


class SearchResult(BaseModel):
    audit_id: int = Field(description="the audit log entry recording this search")
    pattern: str
    count: int
    truncated: bool
    reads: list[ReadHitPublic]
