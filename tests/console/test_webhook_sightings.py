"""Which re-sightings become alert.seen_again deliveries: those of open or confirmed alerts
the agency sees, after the webhook was registered or re-enabled, each once.

Queued here by calling the queue directly (no worker), so each test sees exactly what it made.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from console.webhook_payloads import WebhookPayload
from console.webhooks import create_webhook, queue_deliveries, set_webhook_enabled
from store.tables import Alert, AlertSighting, Webhook, WebhookDelivery
from tests.console.conftest import World

_reads = itertools.count()


def sight(world: World, alert_id: int, camera_id: str = "cam-oak-2") -> int:
    """A later read of the alert's plate: the matcher folds it into the alert as a sighting."""
    with world.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        read_id = f"r-again-{next(_reads)}-{alert.plate_read}"
        world.ingest(s, read_id, camera_id, alert.plate_read, minutes_ago=0, images=True)
        s.commit()
        sighting = s.scalar(select(AlertSighting).where(AlertSighting.read_id == read_id))
        assert sighting is not None and sighting.alert_id == alert_id
        return sighting.id


def set_status(world: World, alert_id: int, status: str) -> None:
    with world.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        alert.status = status
        s.commit()


def new_webhook(world: World) -> int:
    with world.session() as s:
        new = create_webhook(
            s, actor="test", agency_id=world.ids["metro"], url="https://cad.example.org/h"
        )
        s.commit()
        return new.webhook.id


def queue(world: World, webhook_id: int) -> list[WebhookDelivery]:
    """Queue, then every seen_again delivery of the webhook."""
    with world.session() as s:
        webhook = s.get(Webhook, webhook_id)
        assert webhook is not None
        queue_deliveries(s, webhook)
        s.commit()
        return list(
            s.scalars(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.webhook_id == webhook_id,
                    WebhookDelivery.event == "alert.seen_again",
                )
                .order_by(WebhookDelivery.id)
            )
        )


@pytest.fixture
def webhook_id(world: World) -> Iterator[int]:
    hook = new_webhook(world)
    yield hook
    with world.session() as s:
        set_webhook_enabled(s, actor="test", webhook_id=hook, enabled=False)
        s.commit()


def test_sightings_of_open_and_confirmed_alerts_are_sent_again(
    world: World, webhook_id: int
) -> None:
    alerts = {status: world.new_alert() for status in ("new", "acknowledged", "confirmed")}
    closed = {status: world.new_alert() for status in ("rejected", "dismissed")}
    sightings = {}
    for status, alert_id in {**alerts, **closed}.items():
        sightings[status] = sight(world, alert_id)
        set_status(world, alert_id, status)
    sent = queue(world, webhook_id)
    assert {d.sighting_id for d in sent} == {sightings[s] for s in alerts}
    by_sighting = {d.sighting_id: d for d in sent}
    confirmed = by_sighting[sightings["confirmed"]]
    payload = WebhookPayload.model_validate_json(confirmed.payload)
    assert payload.type == "alert.seen_again" and payload.data.alert.id == alerts["confirmed"]
    assert payload.data.sighting is not None
    assert (payload.data.sighting.id, payload.data.sighting.camera_name) == (
        sightings["confirmed"],
        "Oak gate south",
    )
    assert payload.timestamp == payload.data.sighting.seen_at
    assert payload.data.links is None  # signed when sent, not when queued
    # Queued once: the next cycle rereads the lookback window and adds nothing.
    assert [d.id for d in queue(world, webhook_id)] == [d.id for d in sent]


def test_sightings_before_registration_or_while_disabled_are_not_sent(world: World) -> None:
    alert_id = world.new_alert()
    sight(world, alert_id)
    webhook_id = new_webhook(world)
    try:
        assert queue(world, webhook_id) == []
        with world.session() as s:
            set_webhook_enabled(s, actor="test", webhook_id=webhook_id, enabled=False)
            s.commit()
        sight(world, alert_id)
        with world.session() as s:
            set_webhook_enabled(s, actor="test", webhook_id=webhook_id, enabled=True)
            s.commit()
        assert queue(world, webhook_id) == []
        later = sight(world, alert_id)
        assert [d.sighting_id for d in queue(world, webhook_id)] == [later]
    finally:
        with world.session() as s:
            set_webhook_enabled(s, actor="test", webhook_id=webhook_id, enabled=False)
            s.commit()
