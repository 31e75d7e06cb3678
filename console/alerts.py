"""Alerts as officers see them: the hotlist stage's view, always through the scope."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.errors import NotFound
from console.schemas.alerts import AlertPublic
from console.scope import alerts_of_agency, shared_camera_ids
from hotlist.alerts import alert_views
from store.tables import Alert, PlateReadRow


def image_url(read: PlateReadRow, kind: str) -> str | None:
    path = read.crop_path if kind == "crop" else read.frame_path
    if path is None or read.images_purged_at is not None:
        return None
    return f"/api/reads/{read.read_id}/{kind}"


def alert_cards(session: Session, alerts: Sequence[Alert], agency_id: int) -> list[AlertPublic]:
    """Cards as the agency's officers see them: a later sighting by a camera the agency has
    no share in is left out, so a card never reveals where another site saw the car."""
    return alert_cards_by_id(session, [alert.id for alert in alerts], agency_id)


def alert_cards_by_id(
    session: Session, alert_ids: Sequence[int], agency_id: int
) -> list[AlertPublic]:
    """`alert_cards` for alerts not loaded yet, in the order given; an id no longer stored is
    left out."""
    if not alert_ids:
        return []
    cameras = set(session.scalars(shared_camera_ids(agency_id)))
    views = alert_views(session, alert_ids)
    cards = []
    for alert_id in alert_ids:
        view = views.get(alert_id)
        if view is None:
            continue
        data = view.model_dump()
        data["recent_sightings"] = tuple(s for s in view.recent_sightings if s.camera_id in cameras)
        crop = f"/api/reads/{view.read_id}/crop" if view.crop_path else None
        frame = f"/api/reads/{view.read_id}/frame" if view.frame_path else None
        cards.append(AlertPublic(**data, crop_url=crop, frame_url=frame))
    return cards


def officer_alerts(
    session: Session,
    agency_id: int,
    *,
    status: Sequence[str] | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[AlertPublic]:
    """The newest alerts the agency may see, newest first."""
    query = select(Alert).where(alerts_of_agency(agency_id), Alert.id > after_id)
    if status:
        query = query.where(Alert.status.in_(status))
    alerts = session.scalars(query.order_by(Alert.id.desc()).limit(limit)).all()
    return alert_cards(session, alerts, agency_id)


def officer_alert(session: Session, agency_id: int, alert_id: int) -> AlertPublic:
    alert = session.scalar(select(Alert).where(Alert.id == alert_id, alerts_of_agency(agency_id)))
    if alert is None:
        # The same answer whether it does not exist or is outside the jurisdiction.
        msg = f"no alert {alert_id} in your agency's jurisdiction"
        raise NotFound(msg)
    return alert_cards(session, [alert], agency_id)[0]
