"""Which browser gets which alert: one pending push per (subscription, alert), queued from the
alerts table by id and claimed with a lease, so two consoles never push one alert twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.alerts import alert_cards
from console.scope import alerts_of_agency
from console.webpush import push_message
from store.base import utcnow
from store.tables import Alert, PushDelivery, PushSubscription, User

QUEUE_CHUNK = 200
MAX_ATTEMPTS = 3
# A push that could not go out within this long is no longer a live alert: drop it.
STALE_AFTER = timedelta(minutes=5)


def newest_alert_id(session: Session) -> int:
    return session.scalar(select(func.max(Alert.id))) or 0


def _subscribers(session: Session) -> dict[int, list[PushSubscription]]:
    """Live subscriptions of enabled officers, by their agency."""
    rows = session.execute(
        select(PushSubscription, User.agency_id)
        .join(User, User.id == PushSubscription.user_id)
        .where(
            PushSubscription.gone_at.is_(None),
            User.disabled.is_(False),
            User.role == "officer",
            User.agency_id.is_not(None),
        )
    ).all()
    by_agency: dict[int, list[PushSubscription]] = {}
    for subscription, agency_id in rows:
        if agency_id is not None:  # filtered above; the type cannot know
            by_agency.setdefault(agency_id, []).append(subscription)
    return by_agency


def queue_pushes(session: Session, after_id: int) -> int:
    """Queue a push per subscribed officer for alerts above `after_id` their agency may see;
    returns the highest alert id looked at (the caller's next cursor)."""
    alerts = list(
        session.scalars(
            select(Alert).where(Alert.id > after_id).order_by(Alert.id).limit(QUEUE_CHUNK)
        )
    )
    if not alerts:
        return after_id
    for agency_id, subscriptions in _subscribers(session).items():
        visible = set(
            session.scalars(
                select(Alert.id).where(
                    Alert.id.in_([a.id for a in alerts]), alerts_of_agency(agency_id)
                )
            )
        )
        cards = alert_cards(session, [a for a in alerts if a.id in visible], agency_id)
        for card in cards:
            payload = push_message(card).encode().decode()
            for subscription in subscriptions:
                _add(session, subscription.id, card.id, payload)
    return alerts[-1].id


def _add(session: Session, subscription_id: int, alert_id: int, payload: str) -> None:
    try:
        with session.begin_nested():
            session.add(
                PushDelivery(subscription_id=subscription_id, alert_id=alert_id, payload=payload)
            )
    except IntegrityError:
        pass  # another console queued this one first


def claim_pushes(session: Session, *, limit: int, lease: timedelta) -> Sequence[PushDelivery]:
    now = utcnow()
    query = (
        select(PushDelivery)
        .where(PushDelivery.status == "pending", PushDelivery.next_attempt_at <= now)
        .order_by(PushDelivery.next_attempt_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = list(session.scalars(query))
    for delivery in due:
        if now - delivery.created_at > STALE_AFTER:
            delivery.status, delivery.last_error = "failed", "stale: not sent within 5 minutes"
            continue
        delivery.next_attempt_at = now + lease
    return [d for d in due if d.status == "pending"]


def record_push(
    session: Session, delivery: PushDelivery, *, status_code: int | None, error: str | None
) -> None:
    """Sent (2xx), gone (404/410: the browser dropped the subscription), or retried."""
    now: datetime = utcnow()
    delivery.attempts += 1
    delivery.last_error = error[:2000] if error else None
    subscription = session.get(PushSubscription, delivery.subscription_id)
    if status_code is not None and 200 <= status_code < 300:
        delivery.status, delivery.sent_at = "sent", now
        if subscription is not None:
            subscription.last_success_at = now
    elif status_code in (404, 410):
        delivery.status = "failed"
        if subscription is not None:
            subscription.gone_at = now
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = now + timedelta(seconds=2**delivery.attempts)
