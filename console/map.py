"""What the officers' map may show, by the same scope rules as the rest of the console.

- LPR cameras: an officer's or supervisor's only those of sites sharing with the agency
  (console.scope); an admin's all.
- Residents' registered cameras: unlisted ones only as ~150 m cells (community.cells), built
  from the cell id alone so no exact coordinate reaches the response; a listed camera (the
  owner's choice) as its exact place, through community.registry.police_view.
- Footage request areas: the agency's own (an admin's: all).
- A plate's sightings: only from `console.search.search_reads`, the audited search that asks
  a case number and a reason; the map has no other way to look up a plate.
"""

from __future__ import annotations

from collections import Counter

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from community.cells import cell_bounds
from community.registry import police_view
from community.requests import list_for_agency
from console.deps import Principal
from console.errors import Forbidden, NotFound
from console.schemas.map import (
    CellFeature,
    ListedCameraFeature,
    LprCameraFeature,
    MapLayers,
    MapSightings,
    RequestAreaFeature,
    SightingFeature,
)
from console.schemas.search import SearchCreate
from console.scope import shared_camera_ids
from console.search import SearchError, search_reads
from console.settings import ConsoleSettings
from store.audit_details import ReadsSearchDetail
from store.tables import AuditEvent, Camera, CommunityCamera, ResidentProfile, Site, User

MAP_ROLES = ("officer", "supervisor", "admin")


def map_agency(principal: Principal) -> int | None:
    """The agency whose view the caller gets; None for an admin, who sees every site."""
    if principal.role == "admin":
        return None
    if principal.role in ("officer", "supervisor") and principal.agency_id is not None:
        return principal.agency_id
    msg = "only officers, supervisors and admins may open the map"
    raise Forbidden(msg)


def _lpr_cameras(session: Session, agency_id: int | None) -> tuple[list[LprCameraFeature], int]:
    query = select(Camera, Site.name).join(Site, Site.id == Camera.site_id).order_by(Camera.id)
    if agency_id is not None:
        query = query.where(Camera.id.in_(shared_camera_ids(agency_id)))
    placed: list[LprCameraFeature] = []
    unplaced = 0
    for camera, site_name in session.execute(query):
        if camera.latitude is None or camera.longitude is None:
            unplaced += 1
            continue
        placed.append(
            LprCameraFeature(
                id=camera.id,
                name=camera.name,
                site_name=site_name,
                location=camera.location,
                direction=camera.direction,
                lat=camera.latitude,
                lon=camera.longitude,
            )
        )
    return placed, unplaced


def _resident_cameras(
    session: Session,
) -> tuple[list[CellFeature], list[ListedCameraFeature]]:
    """Cameras that could be asked for footage: not removed or paused, owner not opted out."""
    rows = session.execute(
        select(CommunityCamera, ResidentProfile)
        .join(User, User.id == CommunityCamera.owner_user_id)
        .join(ResidentProfile, ResidentProfile.user_id == User.id)
        .where(
            User.role == "resident",
            User.disabled.is_(False),
            ResidentProfile.opted_out_at.is_(None),
            CommunityCamera.removed_at.is_(None),
            CommunityCamera.paused_at.is_(None),
        )
        .order_by(CommunityCamera.id)
    ).all()
    per_cell: Counter[str] = Counter()
    listed: list[ListedCameraFeature] = []
    for camera, profile in rows:
        view = police_view(camera, profile)
        if view.listed and view.latitude is not None and view.longitude is not None:
            listed.append(
                ListedCameraFeature(
                    id=view.camera_id,
                    camera_kind=view.kind,
                    lat=view.latitude,
                    lon=view.longitude,
                    address=view.address,
                    contact=view.contact,
                )
            )
        else:
            per_cell[view.cell] += 1
    cells = []
    for cell, count in sorted(per_cell.items()):
        south, west, north, east = cell_bounds(cell)
        cells.append(
            CellFeature(cell=cell, south=south, west=west, north=north, east=east, cameras=count)
        )
    return cells, listed


def _request_areas(session: Session, agency_id: int | None) -> list[RequestAreaFeature]:
    return [
        RequestAreaFeature(
            id=row.id,
            case_number=row.case_number,
            status=row.status,
            public_summary=row.public_summary,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            lat=row.center_lat,
            lon=row.center_lon,
            radius_m=row.radius_m,
        )
        for row in list_for_agency(session, agency_id)
    ]


def map_layers(session: Session, principal: Principal) -> MapLayers:
    agency_id = map_agency(principal)
    cameras, unplaced = _lpr_cameras(session, agency_id)
    cells, listed = _resident_cameras(session)
    return MapLayers(
        lpr_cameras=cameras,
        unplaced_lpr_cameras=unplaced,
        camera_cells=cells,
        listed_cameras=listed,
        request_areas=_request_areas(session, agency_id),
    )


def map_sightings(
    session: Session, principal: Principal, query: SearchCreate, settings: ConsoleSettings
) -> MapSightings:
    """Run (and audit) the officer's search, and place its reads at their cameras, earliest
    first. Raises what `search_reads` raises (SearchError, Forbidden)."""
    result = search_reads(session, principal, query, settings)
    camera_ids = {hit.camera_id for hit in result.reads}
    places = {
        camera_id: (lat, lon)
        for camera_id, lat, lon in session.execute(
            select(Camera.id, Camera.latitude, Camera.longitude).where(Camera.id.in_(camera_ids))
        )
    }
    in_time_order = sorted(result.reads, key=lambda hit: (hit.captured_at, hit.read_id))
    sightings = []
    for n, hit in enumerate(in_time_order, start=1):
        lat, lon = places.get(hit.camera_id, (None, None))
        sightings.append(
            SightingFeature(
                n=n,
                read_id=hit.read_id,
                captured_at=hit.captured_at,
                plate=hit.plate,
                camera_id=hit.camera_id,
                camera_name=hit.camera_name,
                site_name=hit.site_name,
                lat=lat,
                lon=lon,
                crop_url=hit.crop_url,
            )
        )
    return MapSightings(
        audit_id=result.audit_id,
        pattern=result.pattern,
        count=result.count,
        truncated=result.truncated,
        sightings=sightings,
    )


def search_of(session: Session, principal: Principal, audit_id: int) -> SearchCreate:
    """The officer's own earlier search, as it was asked (its case number and reason too)."""
    event = session.get(AuditEvent, audit_id)
    if (
        event is None
        or event.action != ReadsSearchDetail.action
        or event.actor != principal.username
    ):
        msg = f"no search {audit_id} of yours; run the search from this page instead"
        raise NotFound(msg)
    detail = ReadsSearchDetail.model_validate(event.detail)
    try:
        return SearchCreate(
            plate=detail.plate,
            start=detail.start,
            end=detail.end,
            camera_ids=list(detail.camera_ids),
            site_ids=list(detail.site_ids),
            case_number=event.case_number or "",
            reason=event.purpose or "",
        )
    except ValidationError as exc:
        # The rules for case numbers and reasons may have tightened since it ran.
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        msg = f"search {audit_id} no longer passes the search rules ({problems}); search anew"
        raise SearchError(msg) from exc


def rerun_sightings(
    session: Session, principal: Principal, audit_id: int, settings: ConsoleSettings
) -> MapSightings:
    """Put an earlier search on the map by running it again: a new audit entry under the same
    case number and reason, and the reads as they are now."""
    return map_sightings(session, principal, search_of(session, principal, audit_id), settings)
