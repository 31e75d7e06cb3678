"""Reads: an HOA admin's recent reads and cameras, the scope-checked image route, and the
signed image links webhooks carry."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from console.deps import DbSession, HoaAdmin, OfficerOrHoaAdmin, SettingsDep
from console.errors import NotFound
from console.media_links import (
    ImageKind,
    LinkRequest,
    MediaKeyError,
    image_file,
    load_or_create_link_key,
    open_link,
)
from console.pages import render
from console.reads import CameraPublic, SiteReadPublic, site_cameras, site_reads
from console.scope import hoa_site, may_view_read_images
from store.base import utcnow
from store.tables import PlateReadRow

log = logging.getLogger(__name__)
router = APIRouter()
NO_STORE = {"Cache-Control": "private, no-store"}


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
    kind: ImageKind,
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
    path = image_file(read, kind, settings.edge.image_root)
    if path is None:
        msg = f"the {kind} image of read {read_id} is missing from the image store"
        raise NotFound(msg)
    return FileResponse(path, headers=NO_STORE)


@router.get("/media/{read_id}/{kind}", include_in_schema=False)
def media_link(
    *,
    read_id: str,
    kind: ImageKind,
    exp: int,
    wh: int,
    sig: str,
    db: DbSession,
    settings: SettingsDep,
) -> Response:
    """A webhook's signed image link: no sign-in, the signature is the permission."""
    console = settings.console
    try:
        key = load_or_create_link_key(console.media_link_key_path)
    except (MediaKeyError, OSError):
        log.exception("media link key unusable")
        return JSONResponse({"detail": "image links are unavailable here"}, status_code=503)
    link = LinkRequest(read_id=read_id, kind=kind, webhook_id=wh, expires=exp, sig=sig)
    opened = open_link(db, key, link, utcnow(), settings.edge.image_root)
    db.commit()
    if opened.path is None:
        return JSONResponse({"detail": opened.message}, status_code=opened.status, headers=NO_STORE)
    return FileResponse(opened.path, headers=NO_STORE)
