"""An HOA admin's view of their own cameras and what they read, with resident tags."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.alerts import image_url
from store.base import utcnow
from store.tables import Camera, PlateReadRow


class SiteReadPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    read_id: str
    captured_at: datetime
    plate: str | None
    confidence: float
    camera_id: str
    camera_name: str
    resident: bool
    crop_url: str | None


class CameraPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: str
    site_id: int
    name: str
    location: str
    direction: str
    latitude: float | None
    longitude: float | None


def site_cameras(session: Session, site_id: int) -> list[CameraPublic]:
    cameras = session.scalars(select(Camera).where(Camera.site_id == site_id).order_by(Camera.name))
    return [CameraPublic.model_validate(c) for c in cameras]


def site_reads(
    session: Session, site_id: int, *, hours: int, limit: int = 200, camera_id: str | None = None
) -> list[SiteReadPublic]:
    """Recent reads of the site's cameras, newest first; residents are tagged, not hidden."""
    query = (
        select(PlateReadRow, Camera)
        .join(Camera, Camera.id == PlateReadRow.camera_id)
        .where(
            Camera.site_id == site_id, PlateReadRow.captured_at >= utcnow() - timedelta(hours=hours)
        )
        .order_by(PlateReadRow.captured_at.desc())
        .limit(limit)
    )
    if camera_id:
        query = query.where(Camera.id == camera_id)
    return [
        SiteReadPublic(
            read_id=read.read_id,
            captured_at=read.captured_at,
            plate=read.plate,
            confidence=read.confidence,
            camera_id=camera.id,
            camera_name=camera.name,
            resident=read.resident,
            crop_url=image_url(read, "crop"),
        )
        for read, camera in session.execute(query)
    ]
