"""What police and residents see of footage requests, shares and neighborhood alerts.

No model here has a field for who was asked, how many, or who declined: police answers are
built from these models only, so such a field cannot slip into a response.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class AreaIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: int = Field(description="at most community.request_max_radius_m (1000 m)")


class RequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    case_number: str = Field(max_length=64)
    public_summary: str = Field(max_length=500, description="shown to residents and the public")
    details: str = Field(default="", max_length=10_000, description="police only")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    area: AreaIn
    contact: str = Field(max_length=200, description="the investigator residents may call")


class RequestPublic(BaseModel):
    """A request as its agency sees it."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    agency_id: int
    case_number: str
    public_summary: str
    details: str
    starts_at: datetime
    ends_at: datetime
    center_lat: float
    center_lon: float
    radius_m: int
    contact: str
    status: str
    created_by: str
    approved_by: str | None
    approved_at: datetime | None
    expires_at: datetime | None
    created_at: datetime


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    approve: bool


class FilePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    content_type: str
    size: int
    sha256: str
    captured_at: datetime | None
    created_at: datetime
    purged: bool
    url: str


class SharePublic(BaseModel):
    """One share as the agency sees it: a coarse cell unless the camera is listed or its
    owner chose to add the exact place or a contact."""

    model_config = ConfigDict(frozen=True)

    id: int
    created_at: datetime
    cell: str | None
    cell_lat: float | None
    cell_lon: float | None
    exact_lat: float | None
    exact_lon: float | None
    contact: str | None
    note: str
    files: list[FilePublic]


class RequestDetail(BaseModel):
    request: RequestPublic
    shares: list[SharePublic]


class AlertCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(max_length=200)
    body: str = Field(max_length=5000)
    area: AreaIn


class AlertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    agency: str
    title: str
    body: str
    created_at: datetime


class AskedPublic(BaseModel):
    """A request as the resident who was asked sees it."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    agency: str
    public_summary: str
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime | None
    contact: str
    state: str
    open: bool


class ShareCreated(BaseModel):
    id: int
    request_id: int
    files: int


class RequestForm(BaseModel):
    """The draft form's fields as typed in; checked into a RequestCreate."""

    case_number: str = ""
    public_summary: str = ""
    details: str = ""
    starts_at: str = ""
    ends_at: str = ""
    tz_offset: int = 0
    lat: str = ""
    lon: str = ""
    radius_m: str = ""
    contact: str = ""
