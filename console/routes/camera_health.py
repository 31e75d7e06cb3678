"""Camera health: every camera's state (page and API) and its operations alerts. Admins see
every camera, agency officers and supervisors those of sites shared with the agency, HOA
admins their own site's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console.camera_health import camera_health, cameras_visible_to
from console.deps import CameraWatcher, DbSession, SettingsDep
from console.ops_alerts import acknowledge_ops_alert, ops_alerts
from console.pages import render
from console.schemas.camera_health import CameraHealthPublic, OpsAlertPublic

router = APIRouter()


@router.get("/api/cameras/health", tags=["cameras"])
def api_camera_health(
    me: CameraWatcher, db: DbSession, settings: SettingsDep
) -> list[CameraHealthPublic]:
    """Each camera's state (live, silent, failing, offline), worst first, with its last
    heartbeat, last read, model pack and source errors."""
    return camera_health(db, settings.health, where=cameras_visible_to(me))


@router.get("/api/ops-alerts", tags=["cameras"])
def api_ops_alerts(
    me: CameraWatcher,
    db: DbSession,
    open_only: Annotated[bool, Query(alias="open")] = False,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OpsAlertPublic]:
    """Camera operations alerts, newest first; `open=true` for those not cleared yet, and
    `after_id` to take only the ones raised since the last call."""
    return ops_alerts(
        db, cameras_visible_to(me), open_only=open_only, after_id=after_id, limit=limit
    )


@router.post("/api/ops-alerts/{alert_id}/acknowledge", tags=["cameras"])
def api_acknowledge_ops_alert(alert_id: int, me: CameraWatcher, db: DbSession) -> OpsAlertPublic:
    """Say you have seen a camera alert (audited); the camera's recovery clears it."""
    alert = acknowledge_ops_alert(
        db, actor=me.username, where=cameras_visible_to(me), alert_id=alert_id
    )
    db.commit()
    return alert


@router.get("/cameras/health", include_in_schema=False)
def health_page(
    request: Request, me: CameraWatcher, db: DbSession, settings: SettingsDep
) -> Response:
    visible = cameras_visible_to(me)
    cameras = camera_health(db, settings.health, where=visible)
    alerts = ops_alerts(db, visible, open_only=True)
    return render(
        request,
        "camera_health.html",
        me,
        cameras=cameras,
        ops_initial=[a.model_dump(mode="json") for a in alerts],
        ops_refresh="reload",
    )
