"""Outbound webhooks: Standard Webhooks-signed JSON, retried with backoff under one webhook-id,
every delivery recorded, re-sightings sent again with working image links, and an endpoint
that hangs never holds up the officers' feed."""

from __future__ import annotations

import base64
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from console.app import create_app
from console.webhook_payloads import new_secret
from console.webhooks import backoff
from store.tables import Alert, AuditEvent, Webhook, WebhookDelivery
from tests.console.conftest import (
    Caller,
    LiveServer,
    World,
    session_headers,
    set_status,
    settings_for,
    sight,
)
from tests.console.test_feed import Stream

WAIT_S = 20
PUBLIC_URL = "https://platewatch.example.org/console"


@dataclass
class Hit:
    at: float
    headers: dict[str, str]
    body: bytes

    def verified(self, secret: str) -> Any:
        """The payload, checked as a receiver checks it (raises if the signature is wrong)."""
        return StandardWebhook(secret).verify(self.body, self.headers)


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 answering with scripted status codes."""

    statuses: list[int] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    received: threading.Event = field(default_factory=threading.Event)
    hold: bool = False

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.hits.append(Hit(time.monotonic(), dict(self.headers), body))
                receiver.received.set()
                if receiver.hold:
                    receiver.release.wait(30)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[LiveServer]:
    settings = settings_for(
        world.url,
        world.image_root,
        webhook_backoff_s=0.3,
        webhook_max_attempts=3,
        webhook_timeout_s=10,
        public_url=PUBLIC_URL,
    )
    with LiveServer(create_app(settings)) as live:
        yield live


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _register(world: World, by_token: dict[str, Caller], url: str) -> tuple[int, str]:
    created = by_token["admin"].post(
        "/api/webhooks", json={"agency_id": world.ids["metro"], "url": url}
    )
    assert created.status_code == 201, created.text
    return created.json()["webhook"]["id"], created.json()["secret"]


def _disable(world: World, webhook_id: int) -> None:
    with world.session() as s:
        hook = s.get(Webhook, webhook_id)
        assert hook is not None
        hook.enabled = False
        s.commit()


def _deliveries(world: World, webhook_id: int) -> list[WebhookDelivery]:
    with world.session() as s:
        return list(
            s.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == webhook_id)
                .order_by(WebhookDelivery.id)
            )
        )


def _wait_for(check: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_alerts_are_posted_signed_and_recorded(
    world: World, server: LiveServer, receiver: Receiver, by_token: dict[str, Caller]
) -> None:
    webhook_id, secret = _register(world, by_token, receiver.url)
    try:
        world.new_alert("cam-pine-1")  # County's: not for Metro's endpoint
        alert_id = world.new_alert("cam-oak-1")
        _wait_for(lambda: receiver.hits, "the delivery")
        hit = receiver.hits[0]
        payload = hit.verified(secret)
        assert payload["type"] == "alert.raised" and payload["data"]["alert"]["id"] == alert_id
        assert payload["data"]["agency_id"] == world.ids["metro"]
        with world.session() as s:
            alert = s.get(Alert, alert_id)
            assert alert is not None
            assert payload["timestamp"] == alert.created_at.isoformat().replace("+00:00", "Z")
        assert hit.headers["X-Platewatch-Event"] == "alert.raised"
        assert hit.headers["webhook-signature"].startswith("v1,")
        with pytest.raises(WebhookVerificationError):
            hit.verified(new_secret())
        with pytest.raises(WebhookVerificationError):
            StandardWebhook(secret).verify(hit.body.replace(b"Ford", b"Fiat"), hit.headers)
        _wait_for(lambda: _deliveries(world, webhook_id)[0].status == "delivered", "the record")
        delivery = _deliveries(world, webhook_id)[0]
        assert hit.headers["webhook-id"] == f"msg_{delivery.id}"
        assert (delivery.alert_id, delivery.attempts, delivery.last_status_code) == (
            alert_id,
            1,
            200,
        )
        assert len(_deliveries(world, webhook_id)) == 1  # the Pine Hills alert was not queued
    finally:
        _disable(world, webhook_id)


def test_failures_are_retried_with_growing_delays_then_given_up(
    world: World, server: LiveServer, receiver: Receiver, by_token: dict[str, Caller]
) -> None:
    receiver.statuses = [500, 503, 200, 500, 500, 500]
    webhook_id, secret = _register(world, by_token, receiver.url)
    try:
        world.new_alert()
        _wait_for(lambda: len(receiver.hits) >= 3, "three attempts")
        first = receiver.hits[:3]
        gaps = [b.at - a.at for a, b in itertools.pairwise(first)]
        # The worker may not send before a delivery is due: 0.3 s, then 0.6 s.
        assert gaps[0] >= 0.3 and gaps[1] >= 0.6
        # One message, retried: the same webhook-id, each attempt signed afresh.
        assert len({hit.headers["webhook-id"] for hit in first}) == 1
        assert [hit.verified(secret)["type"] for hit in first] == ["alert.raised"] * 3
        _wait_for(lambda: _deliveries(world, webhook_id)[0].status == "delivered", "delivery")
        assert _deliveries(world, webhook_id)[0].attempts == 3
        world.new_alert()
        _wait_for(
            lambda: (
                len(_deliveries(world, webhook_id)) == 2
                and _deliveries(world, webhook_id)[1].status == "failed"
            ),
            "giving up",
        )
        failed = _deliveries(world, webhook_id)[1]
        assert (failed.attempts, failed.last_status_code, failed.last_error) == (3, 500, "HTTP 500")
    finally:
        _disable(world, webhook_id)


def test_a_hanging_endpoint_does_not_hold_up_the_feed(
    world: World, server: LiveServer, receiver: Receiver, by_token: dict[str, Caller]
) -> None:
    receiver.hold = True
    webhook_id, _ = _register(world, by_token, receiver.url)
    stream = Stream(server.url, session_headers(world, "officer_a"))
    try:
        first = world.new_alert()
        assert receiver.received.wait(WAIT_S)  # the worker is now stuck in that request
        second = world.new_alert()
        events: list[int] = []
        while len(events) < 2:
            event = stream.next()
            assert event is not None
            if event.name == "alert":
                events.append(event.data["alert"]["id"])
        assert events == [first, second]
        assert not receiver.release.is_set()  # both arrived while the endpoint still hung
    finally:
        receiver.release.set()
        stream.close()
        _disable(world, webhook_id)


def test_webhook_admin_validates_urls(by_token: dict[str, Caller], world: World) -> None:
    bad = by_token["admin"].post(
        "/api/webhooks", json={"agency_id": world.ids["metro"], "url": "ftp://x.example"}
    )
    assert bad.status_code == 422 and "is not an http(s) URL" in bad.json()["detail"]


def test_secrets_and_backoff_rules() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:], validate=True)) >= 24
    assert new_secret() != secret
    assert [backoff(n, base_s=2, max_s=30) for n in (1, 2, 3, 4, 5)] == [
        timedelta(seconds=s) for s in (2, 4, 8, 16, 30)
    ]


def _fetch(server: LiveServer, link: str) -> httpx.Response:
    """Opens a payload's link on the test server: the link names the public address."""
    assert link.startswith(PUBLIC_URL + "/media/")
    parts = urlsplit(link)
    return httpx.get(f"{server.url}{parts.path.removeprefix('/console')}?{parts.query}")


def _link_opens(world: World, webhook_id: int) -> list[AuditEvent]:
    with world.session() as s:
        return list(
            s.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "media.link_open",
                    AuditEvent.actor == f"webhook:{webhook_id}",
                )
            )
        )


def test_a_confirmed_alert_seen_again_is_sent_with_links_to_the_new_images(
    world: World, server: LiveServer, receiver: Receiver, by_token: dict[str, Caller]
) -> None:
    webhook_id, secret = _register(world, by_token, receiver.url)
    try:
        alert_id = world.new_alert(pictures=(b"\xff\xd8first-crop", b"\xff\xd8first-frame"))
        _wait_for(lambda: receiver.hits, "alert.raised")
        raised = receiver.hits[0].verified(secret)
        assert _fetch(server, raised["data"]["links"]["crop_url"]).content == b"\xff\xd8first-crop"
        set_status(world, alert_id, "confirmed")
        sighting_id = sight(world, alert_id)
        _wait_for(lambda: len(receiver.hits) >= 2, "alert.seen_again")
        hit = receiver.hits[1]
        again = hit.verified(secret)
        assert hit.headers["X-Platewatch-Event"] == again["type"] == "alert.seen_again"
        assert again["data"]["alert"]["id"] == alert_id
        assert again["data"]["alert"]["status"] == "confirmed"
        sighting = again["data"]["sighting"]
        assert (sighting["id"], sighting["camera_id"]) == (sighting_id, "cam-oak-2")
        assert again["timestamp"] == sighting["seen_at"]
        links = again["data"]["links"]
        read_id = sighting["read_id"]
        crop, frame = _fetch(server, links["crop_url"]), _fetch(server, links["frame_url"])
        assert crop.status_code == frame.status_code == 200
        assert crop.content == b"\xff\xd8\xff\xe0crop-" + read_id.encode()
        assert frame.content == b"\xff\xd8\xff\xe0frame-" + read_id.encode()
        assert crop.headers["cache-control"] == "private, no-store"
        assert [e.subject for e in _link_opens(world, webhook_id)] == [
            raised["data"]["alert"]["read_id"],
            read_id,
            read_id,
        ]
    finally:
        _disable(world, webhook_id)


def test_webhooks_page_shows_deliveries(world: World, as_user: dict[str, Caller]) -> None:
    page = as_user["admin"].get("/admin/webhooks")
    assert page.status_code == 200 and "webhook-signature" in page.text
    assert httpx.URL(page.url).path == "/admin/webhooks"
