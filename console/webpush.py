"""Web Push to officers' browsers: VAPID identity, subscriptions, and what one push carries.

The console signs each push with its VAPID key (RFC 8292) and pywebpush encrypts the payload
for the browser (RFC 8291, aes128gcm), so the push service relays bytes it cannot read. The
key is a file created once under the data dir: browsers bind a subscription to its public key,
so replacing the key silently ends every subscription.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.schemas.alerts import AlertPublic
from console.webhooks import check_target
from store.audit import record_audit
from store.audit_details import PushSubscribeDetail, PushUnsubscribeDetail
from store.tables import PushSubscription, User


class PushError(ValueError):
    """A subscription cannot be accepted as sent; the message says what was wrong."""


def load_or_create_vapid(path: Path) -> Vapid02:
    """The console's VAPID key at `path` (PEM, mode 600), created on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another console created it meanwhile
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
    return Vapid02.from_pem(path.read_bytes())


def application_server_key(vapid: Vapid02) -> str:
    """The public key as browsers' `pushManager.subscribe` wants it (base64url, raw point)."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _key_bytes(value: str, name: str, size: int) -> str:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError as exc:
        msg = f"keys.{name} is not base64url; send the browser's PushSubscription.toJSON()"
        raise PushError(msg) from exc
    if len(raw) != size:
        msg = f"keys.{name} must be {size} bytes, got {len(raw)}; send PushSubscription.toJSON()"
        raise PushError(msg)
    return value


def subscribe(
    session: Session,
    user: User,
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    user_agent: str,
    allow_hosts: tuple[str, ...],
) -> PushSubscription:
    """Record (or take over) a browser's subscription for `user`; audited."""
    try:
        check_target(endpoint, allow_hosts)
    except ValueError as exc:
        msg = f"endpoint: {exc}"
        raise PushError(msg) from exc
    _key_bytes(p256dh, "p256dh", 65)
    _key_bytes(auth, "auth", 16)
    row = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if row is None:
        row = PushSubscription(endpoint=endpoint, user_id=user.id, p256dh=p256dh, auth=auth)
        session.add(row)
    # A browser re-subscribing (new keys, or another officer signed in on it) replaces the old.
    row.user_id, row.p256dh, row.auth = user.id, p256dh, auth
    row.user_agent, row.gone_at = user_agent[:300], None
    session.flush()
    record_audit(
        session,
        actor=user.username,
        detail=PushSubscribeDetail(subscription_id=row.id, push_service=_host(endpoint)),
        subject=str(row.id),
    )
    return row


def unsubscribe(session: Session, user: User, endpoint: str) -> bool:
    row = session.scalar(
        select(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id
        )
    )
    if row is None:
        return False
    record_audit(
        session,
        actor=user.username,
        detail=PushUnsubscribeDetail(subscription_id=row.id, push_service=_host(endpoint)),
        subject=str(row.id),
    )
    session.delete(row)
    session.flush()
    return True


def _host(endpoint: str) -> str:
    return urlsplit(endpoint).hostname or ""


@dataclass(frozen=True)
class PushMessage:
    """What the service worker shows: the plate, why it is listed, where; and where to go."""

    alert_id: int
    title: str
    body: str
    url: str
    urgent: bool
    silent: bool = False  # a historical hit: shown without the device's alert sound

    def encode(self) -> bytes:
        return json.dumps(self.__dict__, separators=(",", ":")).encode()


def push_message(card: AlertPublic, *, seen_again: bool = False) -> PushMessage:
    reason = card.record.reason.replace("_", " ")
    where = card.camera.name or card.camera.id
    url = f"/alerts?focus={card.id}"
    if card.historical:
        # A lead on where the car was: it must not read, or demand attention, like a stop.
        seen = card.last_seen_at.strftime("%Y-%m-%d %H:%M UTC")
        title = f"Historical hit: {card.plate_read}"
        body = f"{reason} · seen {seen} at {where}. Seen earlier, not a live stop."
        return PushMessage(card.id, title, body, url, urgent=False, silent=True)
    title = f"{'Seen again' if seen_again else 'Hotlist hit'}: {card.plate_read}"
    verify = " (verify the read)" if card.decision == "verify" else ""
    body = f"{reason} · {where}{verify}. Confirm with dispatch before acting."
    return PushMessage(card.id, title, body, url, card.decision == "alert")
