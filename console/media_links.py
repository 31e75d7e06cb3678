"""Signed, expiring links to one image of one read, sent in webhook payloads.

A receiver (a CAD bridge, a dispatcher's screen) has no console account, so the link itself is
the permission: an HMAC-SHA256 over the read, the image kind, the webhook it was sent to and its
expiry. It opens nothing else: another read, the other image or a later time breaks the MAC.
The key is a file beside the audit checkpoint key (never in the database, so a database dump
cannot mint links), created once with mode 0600.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlencode

from sqlalchemy.orm import Session

from console.scope import agency_may_view_read
from store.audit import record_audit
from store.audit_details import MediaLinkOpenDetail
from store.tables import PlateReadRow, Webhook

ImageKind = Literal["crop", "frame"]
KEY_BYTES = 32
OPEN_ACTION = MediaLinkOpenDetail.action


class MediaKeyError(ValueError):
    """The link key file is unreadable, malformed or readable by others; the message says what."""


def load_or_create_link_key(path: Path) -> bytes:
    """The link key at `path`, created on first use (by whichever process gets there first)."""
    if not path.exists():
        _create_key(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot read the media link key ({exc}); check its owner and mode"
        raise MediaKeyError(msg) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        msg = f"{path}: the media link key is readable by others; run `chmod 600 {path}`"
        raise MediaKeyError(msg)
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError as exc:
        msg = f"{path}: not a base64 key; delete it to have a new one made (old links stop working)"
        raise MediaKeyError(msg) from exc
    if len(key) < KEY_BYTES:
        msg = f"{path}: the key has {len(key)} bytes, at least {KEY_BYTES} are needed"
        raise MediaKeyError(msg)
    return key


def _create_key(path: Path) -> None:
    """Written aside and linked into place, so a reader never sees a half-written key and two
    processes starting together cannot end up signing with different keys."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    spare = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(spare, path)
    except FileExistsError:
        pass  # another process made it first; use theirs
    finally:
        spare.unlink()


def _mac(key: bytes, read_id: str, kind: str, webhook_id: int, expires: int) -> str:
    message = f"media/v1\n{read_id}\n{kind}\n{webhook_id}\n{expires}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class LinkSigner:
    key: bytes
    base_url: str  # absolute, without a trailing slash
    ttl: timedelta

    def expiry(self, now: datetime) -> datetime:
        return (now + self.ttl).replace(microsecond=0)

    def link(self, read_id: str, kind: ImageKind, webhook_id: int, now: datetime) -> str:
        expires = int(self.expiry(now).timestamp())
        query = urlencode(
            {
                "exp": expires,
                "wh": webhook_id,
                "sig": _mac(self.key, read_id, kind, webhook_id, expires),
            }
        )
        return f"{self.base_url}/media/{quote(read_id, safe='')}/{kind}?{query}"


@dataclass(frozen=True)
class LinkRequest:
    """What a link's path and query claim."""

    read_id: str
    kind: ImageKind
    webhook_id: int
    expires: int
    sig: str


@dataclass(frozen=True)
class LinkOpen:
    """The answer to one opened link: the file to serve, or the status and why not."""

    status: int
    message: str
    path: Path | None = None


def image_file(read: PlateReadRow, kind: ImageKind, image_root: Path) -> Path | None:
    """The stored image, or None if the read has none or it is gone from the image store."""
    relative = read.crop_path if kind == "crop" else read.frame_path
    if relative is None:
        return None
    root = Path(image_root).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def open_link(
    session: Session, key: bytes, link: LinkRequest, now: datetime, image_root: Path
) -> LinkOpen:
    """Checks a link and audits the opening of any link this console signed (a forged one is
    only refused: it names no webhook anyone could be held to)."""
    expected = _mac(key, link.read_id, link.kind, link.webhook_id, link.expires)
    if not hmac.compare_digest(expected.encode(), link.sig.encode()):
        return LinkOpen(403, "this link's signature does not match; use the link as it was sent")
    outcome = _check(session, link, now, image_root)
    record_audit(
        session,
        actor=f"webhook:{link.webhook_id}",
        subject=link.read_id,
        detail=MediaLinkOpenDetail(kind=link.kind, status=outcome.status),
    )
    return outcome


def _check(session: Session, link: LinkRequest, now: datetime, image_root: Path) -> LinkOpen:
    expired_at = datetime.fromtimestamp(link.expires, UTC)
    if now >= expired_at:
        return LinkOpen(
            410,
            f"this link expired at {expired_at:%Y-%m-%d %H:%M:%S} UTC; "
            "a signed-in officer can still open the image in the console",
        )
    webhook = session.get(Webhook, link.webhook_id)
    if webhook is None or not webhook.enabled:
        return LinkOpen(403, f"webhook {link.webhook_id} is disabled; its links no longer work")
    read = session.get(PlateReadRow, link.read_id)
    if read is None or not agency_may_view_read(session, webhook.agency_id, read):
        return LinkOpen(404, f"no read {link.read_id} in the jurisdiction of webhook {webhook.id}")
    if read.images_purged_at is not None:
        return LinkOpen(
            410,
            f"image purged by retention on {read.images_purged_at:%Y-%m-%d}: "
            f"read {link.read_id} no longer has a {link.kind}",
        )
    path = image_file(read, link.kind, image_root)
    if path is None:
        return LinkOpen(404, f"the {link.kind} image of read {link.read_id} is not in the store")
    return LinkOpen(200, "", path)
