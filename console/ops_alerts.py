"""Camera operations alerts: raised when a camera enters offline, silent or failing, cleared
when it leaves; shown as ops cards, sent to webhooks that take ops events, emailed.

`check_cameras` is the one place a state change turns into an alert. It moves a camera's
stored state with a conditional update (from the state it read), so of two checkers (two
console servers) exactly one acts on each change. Webhook deliveries are queued in the same
transaction as the alert; emails are composed there and sent after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from community.requests import Outgoing
from console.camera_health import BAD_STATES, verdict
from console.errors import NotFound
from console.health_settings import HealthSettings
from console.schemas.camera_health import CameraStateName, OpsAlertPublic
from console.scope import shared_camera_ids
from store.audit import record_audit
from store.audit_details import OpsAlertAcknowledgeDetail
from store.base import utcnow
from store.tables import Camera, CameraHealth, OpsAlert, Site, Webhook, WebhookDelivery

OpsEventType = Literal["camera.alert_raised", "camera.alert_cleared"]
RAISED: OpsEventType = "camera.alert_raised"
CLEARED: OpsEventType = "camera.alert_cleared"


class OpsWebhookData(BaseModel):
    model_config = ConfigDict(frozen=True)

    agency_id: int
    ops_alert: OpsAlertPublic


class OpsWebhookPayload(BaseModel):
    """Standard Webhooks' `type`, `timestamp` (raised or cleared) and `data`, as alerts."""

    model_config = ConfigDict(frozen=True)

    type: OpsEventType
    timestamp: datetime
    data: OpsWebhookData


@dataclass(frozen=True)
class OpsChange:
    """One alert raised or cleared by a check, for the mail sent after the commit."""

    event: OpsEventType
    alert: OpsAlertPublic


def _public(alert: OpsAlert, camera: Camera, site: Site) -> OpsAlertPublic:
    return OpsAlertPublic(
        id=alert.id,
        camera_id=camera.id,
        camera_name=camera.name,
        site_id=site.id,
        site_name=site.name,
        state=cast(CameraStateName, alert.state),  # written by check_cameras from STATES
        detail=alert.detail,
        raised_at=alert.raised_at,
        cleared_at=alert.cleared_at,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
    )


def _moved(session: Session, camera_id: str, old: str, new: str, now: datetime) -> bool:
    """Move the stored state from `old` to `new`; False when another checker did first."""
    result = session.connection().execute(
        update(CameraHealth)
        .where(CameraHealth.camera_id == camera_id, CameraHealth.state == old)
        .values(state=new, state_since=now)
    )
    return result.rowcount == 1


def check_cameras(
    session: Session, health: HealthSettings, *, now: datetime | None = None
) -> list[OpsChange]:
    """Raise and clear alerts for every camera whose state changed since the last check.

    Only cameras that have sent a heartbeat are checked: one registered but never deployed
    shows as offline on the health page without alerting anyone every few seconds.
    """
    now = now or utcnow()
    changes: list[OpsChange] = []
    rows = session.execute(
        select(CameraHealth, Camera, Site)
        .join(Camera, Camera.id == CameraHealth.camera_id)
        .join(Site, Site.id == Camera.site_id)
    ).all()
    for row, camera, site in rows:
        judged = verdict(row, now, health)
        if judged.state == row.state or not _moved(
            session, camera.id, row.state, judged.state, now
        ):
            continue
        for open_alert in session.scalars(
            select(OpsAlert).where(OpsAlert.camera_id == camera.id, OpsAlert.cleared_at.is_(None))
        ):
            open_alert.cleared_at = now
            changes.append(OpsChange(CLEARED, _public(open_alert, camera, site)))
        if judged.state in BAD_STATES:
            raised = OpsAlert(camera_id=camera.id, state=judged.state, detail=judged.reason)
            raised.raised_at = now
            session.add(raised)
            session.flush()
            changes.append(OpsChange(RAISED, _public(raised, camera, site)))
    session.flush()
    for change in changes:
        _queue_webhooks(session, change, now)
    return changes


def _queue_webhooks(session: Session, change: OpsChange, now: datetime) -> None:
    """A delivery to every enabled ops webhook of an agency that shares in the camera's site."""
    hooks = session.scalars(
        select(Webhook).where(Webhook.enabled.is_(True), Webhook.ops_events.is_(True))
    ).all()
    for hook in hooks:
        shared = session.scalar(
            shared_camera_ids(hook.agency_id).where(Camera.id == change.alert.camera_id)
        )
        if shared is None:
            continue
        payload = OpsWebhookPayload(
            type=change.event,
            timestamp=change.alert.cleared_at or change.alert.raised_at,
            data=OpsWebhookData(agency_id=hook.agency_id, ops_alert=change.alert),
        )
        session.add(
            WebhookDelivery(
                webhook_id=hook.id,
                ops_alert_id=change.alert.id,
                event=change.event,
                payload=payload.model_dump_json(),
                next_attempt_at=now,
            )
        )
    session.flush()


def ops_mail(changes: list[OpsChange], health: HealthSettings, console_url: str) -> list[Outgoing]:
    """The emails the changes ask for: one per change and address in `health.alert_emails`."""
    outgoing = []
    for change in changes:
        alert = change.alert
        where = f"camera {alert.camera_name} ({alert.camera_id}) at {alert.site_name}"
        if change.event == RAISED:
            subject = f"platewatch: camera {alert.camera_id} is {alert.state}"
            body = (
                f"{where} is {alert.state} since {alert.raised_at:%Y-%m-%d %H:%M:%S} UTC: "
                f"{alert.detail}.\n\nEvery camera's state: {console_url}/cameras/health\n"
            )
        else:
            subject = f"platewatch: camera {alert.camera_id} no longer {alert.state}"
            body = (
                f"{where} is no longer {alert.state} "
                f"(since {alert.cleared_at or alert.raised_at:%Y-%m-%d %H:%M:%S} UTC).\n\n"
                f"Every camera's state: {console_url}/cameras/health\n"
            )
        outgoing += [Outgoing(to=to, subject=subject, body=body) for to in health.alert_emails]
    return outgoing


def ops_alerts(
    session: Session,
    where: ColumnElement[bool],
    *,
    open_only: bool = False,
    after_id: int = 0,
    limit: int = 100,
) -> list[OpsAlertPublic]:
    """Operations alerts of the cameras matching `where`, newest first."""
    query = (
        select(OpsAlert, Camera, Site)
        .join(Camera, Camera.id == OpsAlert.camera_id)
        .join(Site, Site.id == Camera.site_id)
        .where(where, OpsAlert.id > after_id)
    )
    if open_only:
        query = query.where(OpsAlert.cleared_at.is_(None))
    rows = session.execute(query.order_by(OpsAlert.id.desc()).limit(limit))
    return [_public(alert, camera, site) for alert, camera, site in rows]


def acknowledge_ops_alert(
    session: Session, *, actor: str, where: ColumnElement[bool], alert_id: int
) -> OpsAlertPublic:
    """Mark an alert as seen by `actor` (audited); acknowledging it again changes nothing."""
    found = session.execute(
        select(OpsAlert, Camera, Site)
        .join(Camera, Camera.id == OpsAlert.camera_id)
        .join(Site, Site.id == Camera.site_id)
        .where(OpsAlert.id == alert_id, where)
    ).first()
    if found is None:
        # The same answer whether it does not exist or is about a camera not yours.
        msg = f"no camera alert {alert_id} among the cameras you may see"
        raise NotFound(msg)
    alert, camera, site = found
    if alert.acknowledged_at is None:
        alert.acknowledged_by = actor
        alert.acknowledged_at = utcnow()
        record_audit(
            session,
            actor=actor,
            subject=str(alert.id),
            detail=OpsAlertAcknowledgeDetail(camera_id=camera.id, state=alert.state),
        )
        session.flush()
    return _public(alert, camera, site)
