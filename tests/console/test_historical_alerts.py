"""A historical hit as officers and integrations get it: marked on the card, in the webhook's
JSON and in the push, which is not urgent (it is where the car was, not a stop to make)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.read import Box, PlateRead
from console.alerts import officer_alerts
from console.webhook_payloads import RAISED, WebhookPayload
from console.webhooks import create_webhook, queue_deliveries
from console.webpush import push_message
from hotlist.ingest import ingest_read
from hotlist.lists import add_entry, create_hotlist
from hotlist.matcher import Matcher
from hotlist.settings import MatchSettings
from org.registry import create_agency, create_camera, create_site, set_site_sharing
from store.tables import WebhookDelivery

SEEN = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


@pytest.fixture
def agency_id(session: Session) -> int:
    """Oak Ridge shares with Metro PD; a read of 7ABC123 was stored three days ago."""
    metro = create_agency(session, "Metro PD", state="CA")
    oak = create_site(session, "Oak Ridge")
    create_camera(session, "cam-oak", site=oak.id, name="Oak gate", location="Oak Ridge Dr")
    set_site_sharing(session, oak.id, metro.id, actor="cli:test")
    read = PlateRead(
        camera_id="cam-oak",
        captured_at=SEEN,
        plate="7ABC123",
        confidence=0.95,
        box=Box(x1=0, y1=0, x2=10, y2=5),
    )
    ingest_read(session, read, Matcher(None), MatchSettings())
    create_hotlist(session, "Metro stolen", owner_agency=metro.id)
    session.commit()
    return metro.id


def test_the_officers_card_and_push_say_historical_and_when_it_was_seen(
    session: Session, agency_id: int
) -> None:
    add_entry(session, "Metro stolen", plate="7ABC123", reason="stolen_vehicle")
    session.commit()
    [card] = officer_alerts(session, agency_id)
    assert card.historical is True
    assert card.last_seen_at == SEEN
    assert card.camera.name == "Oak gate"
    message = push_message(card)
    assert (message.urgent, message.silent) == (False, True)
    assert json.loads(message.encode())["silent"] is True
    assert message.title == "Historical hit: 7ABC123"
    assert f"seen {SEEN:%Y-%m-%d %H:%M} UTC at Oak gate" in message.body
    assert "not a live stop" in message.body


def test_the_webhook_carries_historical_true(session: Session, agency_id: int) -> None:
    hook = create_webhook(
        session, actor="cli:test", agency_id=agency_id, url="http://127.0.0.1:9/hook"
    ).webhook
    add_entry(session, "Metro stolen", plate="7ABC123", reason="stolen_vehicle")
    assert queue_deliveries(session, hook) == 1
    delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id))
    assert delivery is not None
    body = json.loads(delivery.payload)
    assert body["type"] == RAISED
    assert body["data"]["alert"]["historical"] is True
    assert body["data"]["alert"]["last_seen_at"].startswith(SEEN.strftime("%Y-%m-%dT%H:%M"))
    # The body still parses as the versioned payload receivers were given.
    assert WebhookPayload.model_validate(body).data.alert.historical is True
