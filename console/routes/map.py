"""The map: LPR cameras, residents' cameras as cells, request areas and a plate's sightings.

Leaflet is served from /static/vendor/leaflet (make install copies it from npm); without it
the page says so instead of failing. Tiles come from `console.map.tile_url` when set (and
only then does the page's Content-Security-Policy admit that one origin for images);
otherwise map.js draws a plain latitude/longitude grid, so the map needs no network.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from console.deps import DbSession, Officer, Principal, SettingsDep, require_role
from console.map import MAP_ROLES, map_agency, map_layers, map_sightings, rerun_sightings
from console.pages import STATIC, render
from console.schemas.map import MapLayers, MapSightings
from console.schemas.search import SearchCreate
from console.search import SearchError
from console.settings import MapSettings

router = APIRouter(tags=["map"])
MapUser = Annotated[Principal, Depends(require_role(*MAP_ROLES))]
LEAFLET = STATIC / "vendor" / "leaflet"


def map_csp(settings: MapSettings) -> str:
    """console.app's policy, with the tile server (if any) admitted as an image source."""
    origin = settings.tile_origin()
    images = f"'self' data: {origin}" if origin else "'self' data:"
    return (
        f"default-src 'self'; img-src {images}; script-src 'self'; style-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def leaflet_installed() -> bool:
    return (LEAFLET / "leaflet.js").is_file() and (LEAFLET / "leaflet.css").is_file()


@router.get("/api/map/layers")
def api_layers(me: MapUser, db: DbSession) -> MapLayers:
    """LPR cameras of the sites sharing with your agency, residents' cameras as ~150 m cells
    (exact only where the owner chose to be listed), and your agency's request areas."""
    return map_layers(db, me)


@router.post("/api/map/sightings")
def api_sightings(
    body: SearchCreate, me: Officer, db: DbSession, settings: SettingsDep
) -> MapSightings:
    """A plate's sightings in time order, placed at their cameras: the same search as
    /api/reads/search (case number and reason required, written to the audit log)."""
    try:
        result = map_sightings(db, me, body, settings.console)
    except SearchError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    db.commit()
    return result


@router.post("/api/map/sightings/{audit_id}")
def api_rerun_sightings(
    audit_id: int, me: Officer, db: DbSession, settings: SettingsDep
) -> MapSightings:
    """Your earlier search (its audit entry id, as /api/reads/search answered) on the map: it
    runs again with the same case number and reason and is audited again."""
    try:
        result = rerun_sightings(db, me, audit_id, settings.console)
    except SearchError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    db.commit()
    return result


@router.get("/map", include_in_schema=False)
def map_page(
    request: Request, me: MapUser, settings: SettingsDep, search: int | None = None
) -> Response:
    map_agency(me)
    config = settings.console.map
    response = render(
        request,
        "map.html",
        me,
        leaflet=leaflet_installed(),
        tile_url=config.tile_url,
        tile_attribution=config.tile_attribution,
        can_search=me.role == "officer",
        rerun=search if me.role == "officer" else None,
    )
    response.headers["Content-Security-Policy"] = map_csp(config)
    return response
