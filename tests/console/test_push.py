"""Web Push end to end against a local push service that does what a real one cannot skip: it
checks the VAPID signature (RFC 8292) and decrypts the payload with the browser's keys
(RFC 8291, aes128gcm), so what an officer's phone would show is what is asserted."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from fastapi.testclient import TestClient
from sqlalchemy import select

from console.push_worker import PushWorker
from store.tables import PushSubscription, User
from tests.console.conftest import Caller, World, token_headers


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """A browser's half of a subscription: its P-256 key and auth secret."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def keys(self) -> dict[str, str]:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": _b64(point), "auth": _b64(self.auth)}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        message: dict[str, Any] = json.loads(plain)
        return message


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class PushService:
    """A push service on 127.0.0.1: records each push; answers with `status`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 201
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.received.append(Received(self.path, headers, body))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.close()


def _verify_vapid(received: Received, audience: str, expected_key: str) -> dict[str, Any]:
    """The Authorization header a push service checks: `vapid t=<ES256 JWT>, k=<public key>`."""
    scheme, _, params = received.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    assert parts["k"] == expected_key, "signed with another key than the console publishes"
    header_b64, claims_b64, signature_b64 = parts["t"].split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(parts["k"]))
    raw = _unb64(signature_b64)
    der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
    try:
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        pytest.fail("VAPID JWT signature does not verify")
    claims: dict[str, Any] = json.loads(_unb64(claims_b64))
    assert claims["aud"] == audience
    return claims


def _subscribe(caller: Caller, endpoint: str, browser: Browser) -> int:
    response = caller.post(
        "/api/push/subscriptions", json={"endpoint": endpoint, "keys": browser.keys()}
    )
    assert response.status_code == 201, response.text
    subscription_id: int = response.json()["id"]
    return subscription_id


def _worker(world: World) -> PushWorker:
    worker = PushWorker(world.factory, world.settings.console, world.settings.console.push_key_path)
    worker.run_once()  # follows alerts from here on
    return worker


def test_an_alert_reaches_the_subscribed_officers_browser_encrypted_and_signed(
    world: World, client: TestClient, push_service: PushService
) -> None:
    officer = Caller(client, token_headers(world, "officer_a"))
    other_agency = Caller(client, token_headers(world, "officer_b"))
    metro, county = Browser(), Browser()
    _subscribe(officer, f"{push_service.url}/metro-phone", metro)
    _subscribe(other_agency, f"{push_service.url}/county-laptop", county)
    key = officer.get("/api/push/key").json()
    worker = _worker(world)
    alert_id = world.new_alert("cam-oak-1")  # Oak Ridge shares with Metro PD only

    assert worker.run_once() == 1
    assert [r.path for r in push_service.received] == ["/metro-phone"]
    received = push_service.received[0]
    assert received.headers["content-encoding"] == "aes128gcm"
    assert b"PWT" not in received.body, "the push service must not see the plate"
    claims = _verify_vapid(received, push_service.url, key["application_server_key"])
    assert claims["sub"] == world.settings.console.push_contact
    shown = metro.decrypt(received.body)
    assert shown["alert_id"] == alert_id and shown["url"] == f"/alerts?focus={alert_id}"
    assert shown["title"].startswith("Hotlist hit: PWT")
    assert "Oak gate north" in shown["body"] and "dispatch" in shown["body"]

    assert worker.run_once() == 0, "a second cycle must not push the alert again"
    assert len(push_service.received) == 1


def test_a_disabled_officer_and_a_gone_browser_get_nothing(
    world: World, client: TestClient, push_service: PushService
) -> None:
    officer = Caller(client, token_headers(world, "officer_a"))
    subscription_id = _subscribe(officer, f"{push_service.url}/soon-gone", Browser())
    worker = _worker(world)
    push_service.status = 410  # the browser dropped the subscription
    world.new_alert("cam-oak-1")
    worker.run_once()
    with world.session() as s:
        row = s.get(PushSubscription, subscription_id)
        assert row is not None and row.gone_at is not None
    sent = len(push_service.received)
    push_service.status = 201
    world.new_alert("cam-oak-1")
    worker.run_once()
    assert len(push_service.received) == sent, "pushed to a subscription the service dropped"

    with world.session() as s:
        user = s.scalar(select(User).where(User.username == "officer_a"))
        assert user is not None
        s.get(PushSubscription, subscription_id).gone_at = None  # type: ignore[union-attr]
        user.disabled = True
        s.commit()
    try:
        world.new_alert("cam-oak-1")
        worker.run_once()
        assert len(push_service.received) == sent, "pushed to a disabled officer"
    finally:
        with world.session() as s:
            user = s.scalar(select(User).where(User.username == "officer_a"))
            assert user is not None
            user.disabled = False
            s.delete(s.get(PushSubscription, subscription_id))
            s.commit()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"endpoint": "http://push.example.com/x"}, "https"),
        ({"keys": {"p256dh": "abc", "auth": _b64(os.urandom(16))}}, "keys.p256dh must be 65"),
        ({"keys": {"p256dh": Browser().keys()["p256dh"], "auth": "%%%"}}, "keys.auth"),
    ],
    ids=["plain-http", "short-key", "bad-auth"],
)
def test_a_bad_subscription_is_refused_with_what_is_wrong_and_nothing_stored(
    world: World, client: TestClient, body: dict[str, Any], message: str
) -> None:
    officer = Caller(client, token_headers(world, "officer_a"))
    sent = {"endpoint": "https://push.example.com/ok", "keys": Browser().keys(), **body}
    with world.session() as s:
        before = len(s.scalars(select(PushSubscription)).all())
    response = officer.post("/api/push/subscriptions", json=sent)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    with world.session() as s:
        assert len(s.scalars(select(PushSubscription)).all()) == before


@pytest.mark.parametrize("username", ["hoa_oak", "auditor", "admin"])
def test_only_officers_subscribe(world: World, client: TestClient, username: str) -> None:
    caller = Caller(client, token_headers(world, username))
    sent = {"endpoint": "https://push.example.com/x", "keys": Browser().keys()}
    assert caller.post("/api/push/subscriptions", json=sent).status_code == 403
    assert caller.get("/api/push/key").status_code == 403
