"""The officers' map: its layers as typed GeoJSON-ish features (a point, or a point and a
radius, or a cell's box), and a plate's sightings in time order."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Feature(BaseModel):
    model_config = ConfigDict(frozen=True)


class LprCameraFeature(_Feature):
    kind: Literal["lpr_camera"] = "lpr_camera"
    id: str
    name: str
    site_name: str
    location: str
    direction: str
    lat: float
    lon: float


class CellFeature(_Feature):
    """Residents' unlisted cameras in one ~150 m cell: its box and how many, never a place."""

    kind: Literal["camera_cell"] = "camera_cell"
    cell: str
    south: float
    west: float
    north: float
    east: float
    cameras: int


class ListedCameraFeature(_Feature):
    """A resident camera whose owner chose to be listed: its exact place and contact."""

    kind: Literal["listed_camera"] = "listed_camera"
    id: int
    camera_kind: str
    lat: float
    lon: float
    address: str
    contact: str


class RequestAreaFeature(_Feature):
    kind: Literal["request_area"] = "request_area"
    id: int
    case_number: str
    status: str
    public_summary: str
    starts_at: datetime
    ends_at: datetime
    lat: float
    lon: float
    radius_m: int


class MapLayers(BaseModel):
    lpr_cameras: list[LprCameraFeature]
    unplaced_lpr_cameras: int = Field(description="cameras in scope without coordinates")
    camera_cells: list[CellFeature]
    listed_cameras: list[ListedCameraFeature]
    request_areas: list[RequestAreaFeature]


class SightingFeature(_Feature):
    kind: Literal["sighting"] = "sighting"
    n: int = Field(description="1 for the earliest sighting, counting up in time")
    read_id: str
    captured_at: datetime
    plate: str
    camera_id: str
    camera_name: str
    site_name: str
    lat: float | None
    lon: float | None
    crop_url: str | None


class MapSightings(BaseModel):
    audit_id: int = Field(description="the audit log entry recording the search")
    pattern: str
    count: int
    truncated: bool
    sightings: list[SightingFeature]
