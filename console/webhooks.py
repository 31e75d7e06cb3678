"""Outbound webhooks: agencies register URLs that receive their alerts as signed JSON.

Deliveries are rows: queued from the alerts table (alert.raised) and the sightings table
(alert.seen_again) by id, so nothing is missed while a server is down and two servers cannot
queue one twice, then sent by a background worker with exponential backoff. The feed never
waits for any of it. The body and headers are in console.webhook_payloads.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.alerts import alert_cards
from console.cursor import LOOKBACK
from console.schemas.alerts import AlertPublic
from console.scope import alerts_of_agency
from console.webhook_payloads import (
    RAISED,
    SEEN_AGAIN,
    WebhookData,
    WebhookPayload,
    WebhookSighting,
    new_secret,
)
from hotlist.alerts import FOLDING_STATUSES
from store.audit import record_audit
from store.audit_details import WebhookCreateDetail, WebhookDisableDetail, WebhookEnableDetail
from store.base import utcnow
from store.tables import Agency, Alert, AlertSighting, Camera, Webhook, WebhookDelivery

QUEUE_CHUNK = 500
# A sighting is news while the alert is open (new, acknowledged) or confirmed: the car the
# officers are after was just seen. Once rejected or dismissed it is nobody's business.
SEEN_AGAIN_STATUSES = FOLDING_STATUSES


class WebhookError(ValueError):
    """A webhook cannot be registered as asked; the message says what to fix."""


@dataclass(frozen=True)
class NewWebhook:
    webhook: Webhook
    secret: str


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _allowed(host: str, allow_hosts: Sequence[str]) -> bool:
    """`example.org` allows that host only; `*.example.org` allows its subdomains."""
    for allowed in allow_hosts:
        pattern = allowed.strip().lower()
        if host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def check_target(url: str, allow_hosts: Sequence[str] = ()) -> str:
    """The URL a webhook may post to, or WebhookError saying why not.

    Alerts carry plates and places: they travel over TLS, except to this machine (a local
    relay or a test receiver); when `allow_hosts` is set, only those hosts may receive them.
    """
    url = url.strip()
    parsed = urlsplit(url)
    host = (parsed.hostname or "").lower()
    if parsed.scheme not in ("http", "https") or not host:
        msg = f"{url!r} is not an http(s) URL; give the full address"
        raise WebhookError(msg)
    if parsed.scheme == "http" and not _is_loopback(host):
        msg = (
            f"{url!r}: alerts leave this machine only over https; "
            f"use https://{parsed.netloc}{parsed.path}"
        )
        raise WebhookError(msg)
    if allow_hosts and not _is_loopback(host) and not _allowed(host, allow_hosts):
        msg = (
            f"{url!r}: {host} is not in console.webhook_allow_hosts "
            f"({', '.join(allow_hosts)}); ask the administrator to add it"
        )
        raise WebhookError(msg)
    return url


def create_webhook(
    session: Session,
    *,
    actor: str,
    agency_id: int,
    url: str,
    allow_hosts: Sequence[str] = (),
    ops_events: bool = False,
) -> NewWebhook:
    url = check_target(url, allow_hosts)
    agency = session.get(Agency, agency_id)
    if agency is None:
        msg = f"no agency with id {agency_id}"
        raise WebhookError(msg)
    if agency.retired_at is not None:
        msg = (
            f"agency {agency.name!r} was retired on {agency.retired_at:%Y-%m-%d}; "
            "it gets no webhooks"
        )
        raise WebhookError(msg)
    secret = new_secret()
    webhook = Webhook(
        agency_id=agency_id,
        url=url.strip(),
        secret=secret,
        created_by=actor,
        ops_events=ops_events,
    )
    # Start from now: a new endpoint gets new alerts, not the agency's history.
    _start_from_now(session, webhook)
    session.add(webhook)
    session.flush()
    record_audit(
        session,
        actor=actor,
        subject=str(webhook.id),
        detail=WebhookCreateDetail(agency_id=agency_id, url=webhook.url),
    )
    return NewWebhook(webhook, secret)


def _start_from_now(session: Session, webhook: Webhook) -> None:
    last_alert = session.scalar(select(func.max(Alert.id))) or 0
    last_sighting = session.scalar(select(func.max(AlertSighting.id))) or 0
    webhook.floor_alert_id = webhook.last_alert_id = last_alert
    webhook.floor_sighting_id = webhook.last_sighting_id = last_sighting


def set_webhook_enabled(session: Session, *, actor: str, webhook_id: int, enabled: bool) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        msg = f"no webhook with id {webhook_id}"
        raise WebhookError(msg)
    webhook.enabled = enabled
    if enabled:
        # Re-enabled endpoints resume from now rather than receiving a backlog burst.
        _start_from_now(session, webhook)
    record_audit(
        session,
        actor=actor,
        subject=str(webhook_id),
        detail=WebhookEnableDetail() if enabled else WebhookDisableDetail(),
    )
    return webhook


def disable_agency_webhooks(session: Session, *, actor: str, agency_id: int) -> list[int]:
    """Switch off every enabled webhook of the agency (audited); their ids."""
    hooks = select(Webhook.id).where(Webhook.agency_id == agency_id, Webhook.enabled.is_(True))
    ids = list(session.scalars(hooks.order_by(Webhook.id)))
    for webhook_id in ids:
        set_webhook_enabled(session, actor=actor, webhook_id=webhook_id, enabled=False)
    return ids


def queue_deliveries(session: Session, webhook: Webhook) -> int:
    """Queue this webhook's deliveries for alerts and sightings it has not had yet; returns
    how many."""
    return _queue_raised(session, webhook) + _queue_seen_again(session, webhook)


def _queue_raised(session: Session, webhook: Webhook) -> int:
    """Rereads a window below its cursor (see console.cursor): on PostgreSQL an alert can commit
    after one with a larger id, and the NOT EXISTS keeps the reread from sending twice."""
    low = max(webhook.floor_alert_id, webhook.last_alert_id - LOOKBACK)
    queued = select(WebhookDelivery.id).where(
        WebhookDelivery.webhook_id == webhook.id,
        WebhookDelivery.alert_id == Alert.id,
        WebhookDelivery.event == RAISED,
    )
    alerts = session.scalars(
        select(Alert)
        .where(Alert.id > low, alerts_of_agency(webhook.agency_id), ~queued.exists())
        .order_by(Alert.id)
        .limit(QUEUE_CHUNK)
    ).all()
    created = {alert.id: alert.created_at for alert in alerts}
    for card in alert_cards(session, alerts, webhook.agency_id):
        payload = WebhookPayload(
            type=RAISED,
            timestamp=created[card.id],
            data=WebhookData(agency_id=webhook.agency_id, alert=card),
        )
        session.add(
            WebhookDelivery(
                webhook_id=webhook.id,
                alert_id=card.id,
                event=RAISED,
                payload=payload.model_dump_json(),
            )
        )
    top = session.scalar(select(func.max(Alert.id))) or 0
    reached = alerts[-1].id if len(alerts) == QUEUE_CHUNK else top
    webhook.last_alert_id = max(webhook.last_alert_id, reached)
    session.flush()
    return len(alerts)


def _queue_seen_again(session: Session, webhook: Webhook) -> int:
    """Sightings of the agency's open or confirmed alerts; the same lookback as alerts. A
    sighting folds only into an alert of its own site (hotlist.ingest), so whoever sees the
    alert has a share in the sighting's camera too."""
    agency_id = webhook.agency_id
    low = max(webhook.floor_sighting_id, webhook.last_sighting_id - LOOKBACK)
    queued = select(WebhookDelivery.id).where(
        WebhookDelivery.webhook_id == webhook.id,
        WebhookDelivery.event == SEEN_AGAIN,
        WebhookDelivery.sighting_id == AlertSighting.id,
    )
    rows = session.execute(
        select(AlertSighting, Camera.name)
        .join(Alert, Alert.id == AlertSighting.alert_id)
        .join(Camera, Camera.id == AlertSighting.camera_id)
        .where(
            AlertSighting.id > low,
            alerts_of_agency(agency_id),
            Alert.status.in_(SEEN_AGAIN_STATUSES),
            ~queued.exists(),
        )
        .order_by(AlertSighting.id)
        .limit(QUEUE_CHUNK)
    ).all()
    alert_ids = {sighting.alert_id for sighting, _ in rows}
    alerts = session.scalars(select(Alert).where(Alert.id.in_(alert_ids))).all() if rows else []
    cards = {card.id: card for card in alert_cards(session, alerts, agency_id)}
    for sighting, camera_name in rows:
        session.add(_seen_again(webhook, sighting, camera_name, cards[sighting.alert_id]))
    top = session.scalar(select(func.max(AlertSighting.id))) or 0
    reached = rows[-1][0].id if len(rows) == QUEUE_CHUNK else top
    webhook.last_sighting_id = max(webhook.last_sighting_id, reached)
    session.flush()
    return len(rows)


def _seen_again(
    webhook: Webhook, sighting: AlertSighting, camera_name: str, card: AlertPublic
) -> WebhookDelivery:
    seen = WebhookSighting(
        id=sighting.id,
        read_id=sighting.read_id,
        camera_id=sighting.camera_id,
        camera_name=camera_name,
        seen_at=sighting.seen_at,
    )
    data = WebhookData(agency_id=webhook.agency_id, alert=card, sighting=seen)
    payload = WebhookPayload(type=SEEN_AGAIN, timestamp=sighting.seen_at, data=data)
    return WebhookDelivery(
        webhook_id=webhook.id,
        alert_id=sighting.alert_id,
        event=SEEN_AGAIN,
        sighting_id=sighting.id,
        payload=payload.model_dump_json(),
    )


def image_read_id(session: Session, delivery: WebhookDelivery) -> str | None:
    """The read whose images a delivery links to: the sighting's, or the alert's own."""
    if delivery.sighting_id:
        return session.scalar(
            select(AlertSighting.read_id).where(AlertSighting.id == delivery.sighting_id)
        )
    return session.scalar(select(Alert.read_id).where(Alert.id == delivery.alert_id))


def queue_all(session: Session) -> int:
    queued = 0
    for webhook in session.scalars(select(Webhook).where(Webhook.enabled.is_(True))).all():
        try:
            with session.begin_nested():
                queued += queue_deliveries(session, webhook)
        except IntegrityError:
            # Another server queued the same alerts first; its cursor is already ahead.
            session.expire(webhook)
    return queued


def claim_due(session: Session, *, limit: int, lease: timedelta) -> list[WebhookDelivery]:
    """Due deliveries, leased so another worker skips them while this one sends."""
    now = utcnow()
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = list(session.scalars(query))
    for delivery in due:
        delivery.next_attempt_at = now + lease
    return due


def backoff(attempts: int, *, base_s: float, max_s: float) -> timedelta:
    """Delay after the `attempts`-th failure: base, 2x base, 4x base ... capped."""
    return timedelta(seconds=min(base_s * 2 ** max(attempts - 1, 0), max_s))


def record_attempt(
    delivery: WebhookDelivery,
    *,
    status_code: int | None,
    error: str | None,
    at: datetime,
    base_s: float,
    max_s: float,
    max_attempts: int,
) -> None:
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = error[:2000] if error else None
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = "delivered"
        delivery.delivered_at = at
    elif delivery.attempts >= max_attempts:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = at + backoff(delivery.attempts, base_s=base_s, max_s=max_s)


def agency_webhooks(session: Session, agency_id: int | None = None) -> list[Webhook]:
    query = select(Webhook).order_by(Webhook.agency_id, Webhook.id)
    if agency_id is not None:
        query = query.where(Webhook.agency_id == agency_id)
    return list(session.scalars(query))


def recent_deliveries(session: Session, webhook_id: int, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )
