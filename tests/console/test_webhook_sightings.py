"""Which re-sightings become alert.seen_again deliveries: those of open or confirmed alerts
the agency sees, after the webhook was registered or re-enabled, each once.

Queued here by calling the queue directly (no worker), so each test sees exactly what it made.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from console.webhook_payloads import WebhookPayload
from console.webhook_worker import WebhookWorker
from console.webhooks import create_webhook, queue_deliveries, set_webhook_enabled
from store.base import utcnow
from store.db import make_session_factory
from store.tables import Alert, PlateReadRow, Webhook, WebhookDelivery
from tests.console.conftest import World, set_status, settings_for, sight
from tests.console.test_webhooks import Receiver


def new_webhook(world: World, agency: str = "metro") -> int:
    with world.session() as s:
        new = create_webhook(
            s, actor="test", agency_id=world.ids[agency], url="https://cad.example.org/h"
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
    county = new_webhook(world, "county")  # Oak Ridge does not share with County SO
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
    assert queue(world, county) == []
    with world.session() as s:
        set_webhook_enabled(s, actor="test", webhook_id=county, enabled=False)
        s.commit()


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


def test_links_are_signed_at_sending_and_left_out_once_purged(world: World) -> None:
    receiver = Receiver()
    with world.session() as s:
        new = create_webhook(s, actor="test", agency_id=world.ids["metro"], url=receiver.url)
        s.commit()
        webhook_id, secret = new.webhook.id, new.secret
    try:
        kept, purged = world.new_alert(images=True), world.new_alert(images=True)
        with world.session() as s:
            alert = s.get(Alert, purged)
            assert alert is not None
            read = s.get(PlateReadRow, alert.read_id)
            assert read is not None
            read.images_purged_at = utcnow()
            s.commit()
        settings = settings_for(world.url, world.image_root, webhook_link_ttl_minutes=5)
        worker = WebhookWorker(make_session_factory(world.engine), settings.console)
        with httpx.Client() as client, ThreadPoolExecutor(2) as pool:
            before = utcnow()
            assert worker.run_once(client, pool) == 2
        links = {}
        for hit in receiver.hits:
            data = hit.verified(secret)["data"]
            links[data["alert"]["id"]] = data["links"]
        assert links[purged]["crop_url"] is None and links[purged]["frame_url"] is None
        assert links[kept]["crop_url"].startswith("http://127.0.0.1:8000/media/")
        expires = datetime.fromisoformat(links[kept]["expires_at"])
        assert before + timedelta(minutes=5) - timedelta(seconds=1) <= expires
        assert expires <= utcnow() + timedelta(minutes=5)
    finally:
        receiver.close()
        with world.session() as s:
            set_webhook_enabled(s, actor="test", webhook_id=webhook_id, enabled=False)
            s.commit()
