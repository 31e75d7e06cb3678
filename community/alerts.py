"""Neighborhood alerts: an officer posts a safety alert to an area; residents with a camera
or an address there see it in their portal and get an email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from community.area import Area
from community.request_settings import RequestSettings
from community.requests import Outgoing, RequestError
from store.audit import record_audit
from store.audit_community import NeighborhoodAlertPostDetail
from store.base import utcnow
from store.tables import Agency, CommunityCamera, NeighborhoodAlert, ResidentProfile, User

SHOWN_DAYS = 30


@dataclass(frozen=True)
class AlertView:
    id: int
    agency: str
    title: str
    body: str
    created_at: datetime


def _in_area(session: Session, area: Area) -> list[tuple[int, str]]:
    """(user id, email) of residents with a camera (not removed) or an address in the area."""
    rows = session.execute(
        select(
            User.id,
            ResidentProfile.email,
            ResidentProfile.latitude,
            ResidentProfile.longitude,
            CommunityCamera.latitude,
            CommunityCamera.longitude,
        )
        .join(ResidentProfile, ResidentProfile.user_id == User.id)
        .outerjoin(
            CommunityCamera,
            (CommunityCamera.owner_user_id == User.id) & CommunityCamera.removed_at.is_(None),
        )
        .where(User.role == "resident", User.disabled.is_(False))
        .order_by(User.id)
    ).all()
    found: dict[int, str] = {}
    for user_id, email, home_lat, home_lon, cam_lat, cam_lon in rows:
        if area.contains(home_lat, home_lon) or area.contains(cam_lat, cam_lon):
            found.setdefault(user_id, email)
    return list(found.items())


def post_alert(
    session: Session,
    agency_id: int,
    *,
    title: str,
    body: str,
    area: Area,
    actor: str,
    settings: RequestSettings,
    now: datetime | None = None,
) -> tuple[AlertView, list[Outgoing]]:
    """Store the alert; the emails to send once it is committed."""
    area.check(settings.request_max_radius_m)
    title, body = title.strip(), body.strip()
    if not title or len(title) > 200:
        msg = "title: required, at most 200 characters"
        raise RequestError(msg)
    if not body:
        msg = "message: required; say what residents should know or do"
        raise RequestError(msg)
    alert = NeighborhoodAlert(
        agency_id=agency_id,
        created_by=actor,
        title=title,
        body=body,
        center_lat=area.lat,
        center_lon=area.lon,
        radius_m=area.radius_m,
        created_at=now or utcnow(),
    )
    session.add(alert)
    session.flush()
    agency = session.get_one(Agency, agency_id).name
    outgoing = [
        Outgoing(email, f"Safety alert from {agency}: {title}", body)
        for _, email in _in_area(session, area)
    ]
    record_audit(
        session,
        actor=actor,
        subject=f"neighborhood_alert:{alert.id}",
        detail=NeighborhoodAlertPostDetail(
            agency_id=agency_id, radius_m=area.radius_m, notified=len(outgoing)
        ),
    )
    return _view(alert, agency), outgoing


def _recent(
    session: Session, since: datetime, agency_id: int | None = None
) -> list[tuple[NeighborhoodAlert, str]]:
    query = (
        select(NeighborhoodAlert, Agency.name)
        .join(Agency, Agency.id == NeighborhoodAlert.agency_id)
        .where(NeighborhoodAlert.created_at >= since)
        .order_by(NeighborhoodAlert.id.desc())
    )
    if agency_id is not None:
        query = query.where(NeighborhoodAlert.agency_id == agency_id)
    return [(a, name) for a, name in session.execute(query).all()]


def _view(alert: NeighborhoodAlert, agency: str) -> AlertView:
    return AlertView(alert.id, agency, alert.title, alert.body, alert.created_at)


def agency_alerts(session: Session, agency_id: int) -> list[AlertView]:
    since = utcnow() - timedelta(days=SHOWN_DAYS)
    return [_view(a, name) for a, name in _recent(session, since, agency_id)]


def resident_alerts(session: Session, user_id: int, now: datetime | None = None) -> list[AlertView]:
    """Alerts of the last 30 days whose area holds one of the resident's cameras or home."""
    since = (now or utcnow()) - timedelta(days=SHOWN_DAYS)
    profile = session.get(ResidentProfile, user_id)
    points = [
        (lat, lon)
        for lat, lon in session.execute(
            select(CommunityCamera.latitude, CommunityCamera.longitude).where(
                CommunityCamera.owner_user_id == user_id, CommunityCamera.removed_at.is_(None)
            )
        ).all()
    ]
    if profile is not None:
        points.append((profile.latitude, profile.longitude))
    shown = []
    for alert, agency in _recent(session, since):
        area = Area(alert.center_lat, alert.center_lon, alert.radius_m)
        if any(area.contains(lat, lon) for lat, lon in points):
            shown.append(_view(alert, agency))
    return shown
