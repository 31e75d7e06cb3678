"""Reads: an HOA admin's recent reads and cameras, and the scope-checked image route."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response

from console.deps import DbSession, HoaAdmin, OfficerOrHoaAdmin, SettingsDep
from console.errors import NotFound
from console.pages import render
from console.reads import CameraPublic, SiteReadPublic, site_cameras, site_reads
from console.scope import hoa_site, may_view_read_images
from store.tables import PlateReadRow

router = APIRouter()


@router.get("/api/sites/{site_id}/cameras", tags=["sites"])
def api_site_cameras(site_id: int, me: HoaAdmin, db: DbSession) -> list[CameraPublic]:
    return site_cameras(db, hoa_site(me, site_id))


@router.get("/api/sites/{site_id}/reads", tags=["sites"])
def api_site_reads(
    *,
    site_id: int,
    me: HoaAdmin,
    db: DbSession,
    settings: SettingsDep,
    hours: Annotated[int | None, Query(ge=1, le=24 * 31)] = None,
    camera_id: str | None = None,
) -> list[SiteReadPublic]:
    """Recent reads of your own site's cameras, with resident tags."""
    return site_reads(
        db,
        hoa_site(me, site_id),
        hours=hours or settings.console.recent_reads_hours,
        camera_id=camera_id,
    )


@router.get("/reads", include_in_schema=False)
def reads_page(
    request: Request,
    me: HoaAdmin,
    db: DbSession,
    settings: SettingsDep,
    camera_id: str | None = None,
) -> Response:
    site_id = hoa_site(me)
    hours = settings.console.recent_reads_hours
    return render(
        request,
        "reads.html",
        me,
        cameras=site_cameras(db, site_id),
        reads=site_reads(db, site_id, hours=hours, camera_id=camera_id),
        hours=hours,
        camera_id=camera_id or "",
    )


@router.get(
    "/api/reads/{read_id}/{kind}",
    tags=["reads"],
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def read_image(
    read_id: str,
    kind: Literal["crop", "frame"],
    me: OfficerOrHoaAdmin,
    db: DbSession,
    settings: SettingsDep,
) -> FileResponse:
    """The plate crop or the context frame of a read you may see."""
    read = db.get(PlateReadRow, read_id)
    if read is None or not may_view_read_images(db, me, read):
        msg = f"no read {read_id} in your scope"
        raise NotFound(msg)
    if read.images_purged_at is not None:
        raise HTTPException(
            status_code=410,
            detail=(
                f"the images of read {read_id} were purged by retention on "
                f"{read.images_purged_at:%Y-%m-%d}"
            ),
        )
    relative = read.crop_path if kind == "crop" else read.frame_path
    if relative is None:
        msg = f"read {read_id} has no {kind} image"
        raise NotFound(msg)
    root = Path(settings.edge.image_root).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        msg = f"the {kind} image of read {read_id} is missing from the image store"
        raise NotFound(msg)
    return FileResponse(path, headers={"Cache-Control": "private, no-store"})
