"""Agencies, sites, their sharing and cameras as the admin API shows and takes them.

Updates are partial: a field left out stays as it is, a field sent as null is cleared (the
retention overrides fall back to the deployment default). Ranges and codes (latitude, region,
retention) are checked by `org.admin`, which answers 422 naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SiteKind = Literal["hoa", "neighborhood", "business", "school", "city", "other"]
_CODE = "two-letter US state or Canadian province code, e.g. CA"
_CAMERA_DAYS = "days its images are kept; at most its site's period (null: the site's)"


class AgencyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    jurisdiction: str
    state: str | None
    created_at: datetime
    retired_at: datetime | None


class AgencyRetiredPublic(AgencyPublic):
    users_disabled: list[str] = Field(description="the agency's users, disabled and signed out")
    webhooks_disabled: list[int] = Field(description="the agency's webhooks, switched off")


class AgencyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="e.g. Springfield PD")
    jurisdiction: str = Field(default="", max_length=200, description="the area it serves")
    state: str | None = Field(default=None, max_length=40, description=_CODE)


class AgencyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", min_length=1, max_length=200)
    jurisdiction: str = Field(default="", max_length=200)
    state: str | None = Field(default=None, max_length=40, description=_CODE)


class SitePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    image_retention_days: int | None = Field(description="None: the deployment default")
    resident_retention_hours: int | None = Field(description="None: the deployment default")
    created_at: datetime
    retired_at: datetime | None


class SiteRetiredPublic(SitePublic):
    users_disabled: list[str] = Field(description="the site's HOA admins, disabled")


class SiteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="e.g. Oak Ridge HOA")
    kind: SiteKind = "hoa"
    image_retention_days: int | None = Field(
        default=None, description="days this site's images are kept; None: the default"
    )
    resident_retention_hours: int | None = Field(
        default=None, description="hours residents' images are kept; None: the default"
    )


class SiteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", min_length=1, max_length=200)
    kind: SiteKind = "hoa"
    image_retention_days: int | None = None
    resident_retention_hours: int | None = None


class SharingPublic(BaseModel):
    site_id: int
    agency_id: int
    agency: str
    agency_retired: bool = Field(description="a retired agency can no longer be shared with")
    enabled: bool
    changed_at: datetime | None = Field(description="None: never shared")


class SharingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_id: int
    enabled: bool = Field(description="true: share reads and alerts; false: stop (opt out)")


class CameraPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    site_id: int
    name: str
    location: str
    latitude: float | None
    longitude: float | None
    direction: str
    region: str | None
    image_retention_days: int | None = Field(description="None: its site's period")
    created_at: datetime
    retired_at: datetime | None


class CameraCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, description="the camera id the edge reports")
    site_id: int
    name: str | None = Field(default=None, max_length=200, description="default: the id")
    location: str = Field(default="", max_length=200, description="e.g. Main St gate")
    latitude: float | None = Field(default=None, description="degrees, -90..90")
    longitude: float | None = Field(default=None, description="degrees, -180..180")
    direction: str = Field(default="", max_length=16, description="traffic seen, e.g. NB")
    region: str | None = Field(default=None, max_length=40, description=_CODE)
    image_retention_days: int | None = Field(default=None, description=_CAMERA_DAYS)


class CameraUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", min_length=1, max_length=200)
    location: str = Field(default="", max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    direction: str = Field(default="", max_length=16)
    region: str | None = Field(default=None, max_length=40, description=_CODE)
    image_retention_days: int | None = Field(default=None, description=_CAMERA_DAYS)
