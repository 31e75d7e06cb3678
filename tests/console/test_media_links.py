"""Webhook image links: they open exactly the one image they were signed for, until they expire,
and every opening of a link this console signed is in the audit log."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from console.app import create_app
from console.media_links import ImageKind, LinkSigner, MediaKeyError, load_or_create_link_key
from console.webhooks import create_webhook, set_webhook_enabled
from platewatch.settings import SettingsError, load_settings
from store.base import utcnow
from store.tables import Alert, AuditEvent, PlateReadRow
from tests.console.conftest import World, settings_for

BASE = "https://pw.example.gov"


@dataclass(frozen=True)
class Links:
    client: TestClient
    signer: LinkSigner
    webhook_id: int

    def link(self, read_id: str, kind: ImageKind = "crop", *, ago: timedelta = timedelta()) -> str:
        signed = self.signer.link(read_id, kind, self.webhook_id, utcnow() - ago)
        assert signed.startswith(BASE + "/media/")
        return signed.removeprefix(BASE)

    def open(self, path: str) -> tuple[int, bytes, str]:
        response = self.client.get(path)
        detail = response.json()["detail"] if response.status_code != 200 else ""
        return response.status_code, response.content, detail


@pytest.fixture(scope="module")
def links(world: World) -> Iterator[Links]:
    settings = settings_for(world.url, world.image_root, public_url=BASE + "/")
    with world.session() as s:
        hook = create_webhook(
            s, actor="test", agency_id=world.ids["metro"], url="https://cad.example.org/h"
        ).webhook
        s.commit()
        webhook_id = hook.id
    signer = LinkSigner(
        load_or_create_link_key(settings.console.media_link_key_path),
        settings.console.public_base_url(),
        timedelta(hours=1),
    )
    with TestClient(create_app(settings, webhooks=False)) as client:
        yield Links(client, signer, webhook_id)
    with world.session() as s:
        set_webhook_enabled(s, actor="test", webhook_id=webhook_id, enabled=False)
        s.commit()


def _opens(world: World, links: Links) -> list[tuple[str, int]]:
    with world.session() as s:
        events = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.actor == f"webhook:{links.webhook_id}")
            .order_by(AuditEvent.id)
        )
        return [(e.subject, (e.detail or {})["status"]) for e in events]


def test_a_link_opens_its_image_and_each_opening_is_audited(world: World, links: Links) -> None:
    before = len(_opens(world, links))
    assert links.open(links.link("r-oak-1", "crop"))[:2] == (200, b"\xff\xd8\xff\xe0crop-r-oak-1")
    assert links.open(links.link("r-oak-1", "frame"))[:2] == (
        200,
        b"\xff\xd8\xff\xe0frame-r-oak-1",
    )
    assert _opens(world, links)[before:] == [("r-oak-1", 200), ("r-oak-1", 200)]


def test_a_link_opens_nothing_else(world: World, links: Links) -> None:
    path = links.link("r-oak-1", "crop")
    parts = urlsplit(path)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    with world.session() as s:
        audited = s.scalar(select(func.count()).select_from(AuditEvent))

    def variant(path_: str = parts.path, **changes: str) -> str:
        return f"{path_}?{urlencode({**query, **changes})}"

    tampered = [
        variant(parts.path.replace("/crop", "/frame")),  # the other image
        variant(parts.path.replace("r-oak-1", "r-oak-res")),  # another read
        variant(exp=str(int(query["exp"]) + 3600)),  # a later expiry
        variant(wh=str(links.webhook_id + 1)),  # another webhook's
        variant(sig=query["sig"][:-2] + ("AA" if not query["sig"].endswith("AA") else "BB")),
        variant(sig=""),
        variant(sig="é" * len(query["sig"])),
    ]
    for bad in tampered:
        status, _, detail = links.open(bad)
        assert status == 403, bad
        assert "signature does not match" in detail
    assert links.client.get(parts.path).status_code == 422  # no signature at all
    with world.session() as s:
        # Forged links name no webhook anyone answers for: refused, not audited.
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == audited


def test_an_expired_link_is_gone(world: World, links: Links) -> None:
    status, _, detail = links.open(links.link("r-oak-1", ago=timedelta(hours=1, seconds=1)))
    assert status == 410 and "this link expired at" in detail
    assert _opens(world, links)[-1] == ("r-oak-1", 410)


def test_a_link_to_a_purged_image_says_so(world: World, links: Links) -> None:
    alert_id = world.new_alert(images=True)
    with world.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        read_id = alert.read_id
    path = links.link(read_id, "frame")
    assert links.open(path)[0] == 200
    with world.session() as s:
        read = s.get(PlateReadRow, read_id)
        assert read is not None
        read.images_purged_at = utcnow()
        s.commit()
    status, _, detail = links.open(path)
    assert status == 410 and detail.startswith("image purged by retention on ")
    assert _opens(world, links)[-2:] == [(read_id, 200), (read_id, 410)]


def test_a_disabled_webhooks_links_and_other_agencies_reads_stay_shut(
    world: World, links: Links
) -> None:
    # Pine Hills shares with County SO, not with this Metro webhook.
    status, _, detail = links.open(links.link("r-pine-1"))
    assert status == 404 and "no read r-pine-1 in the jurisdiction" in detail
    path = links.link("r-oak-1")
    with world.session() as s:
        set_webhook_enabled(s, actor="test", webhook_id=links.webhook_id, enabled=False)
        s.commit()
    try:
        status, _, detail = links.open(path)
        assert status == 403 and f"webhook {links.webhook_id} is disabled" in detail
    finally:
        with world.session() as s:
            set_webhook_enabled(s, actor="test", webhook_id=links.webhook_id, enabled=True)
            s.commit()


def test_the_link_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "media.key"
    key = load_or_create_link_key(path)
    assert len(key) == 32 and load_or_create_link_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    with pytest.raises(MediaKeyError, match=r"readable by others; run `chmod 600"):
        load_or_create_link_key(path)


def test_links_start_at_the_public_address(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, console={"host": "10.0.0.5", "port": 8443})
    assert settings.console.public_base_url() == "http://10.0.0.5:8443"
    assert settings.console.media_link_key_path == tmp_path / "keys" / "media-links.key"
    with pytest.raises(SettingsError, match=r"console.public_url: .*not an absolute http\(s\) URL"):
        load_settings(data_dir=tmp_path, console={"public_url": "pw.example.gov"})
