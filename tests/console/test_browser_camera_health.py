"""Camera health in a real browser (Chromium): a camera whose edge stopped reporting shows as
offline on the health page with its alert card, an admin acknowledges it, and the officer of
the agency sharing in its site sees the same card in the live alert feed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import delete, select

from console.ops_alerts import check_cameras
from store.base import utcnow
from store.tables import CameraHealth, OpsAlert
from stream.health import record_heartbeats
from tests.console.conftest import LiveServer, World
from tests.console.test_browser import LAPTOP, sign_in
from tests.console.test_camera_health import CAMERAS, beat

pytestmark = pytest.mark.browser


@pytest.fixture
def oak_gate_offline(world: World) -> Iterator[int]:
    """cam-oak-1 last reported ten minutes ago, the others just now; the checker has run."""
    now = utcnow()
    with world.session() as s:
        s.execute(delete(OpsAlert))
        s.execute(delete(CameraHealth))
        record_heartbeats(s, [beat(c, now) for c in CAMERAS if c != "cam-oak-1"], heard_at=now)
        old = now - timedelta(minutes=10)
        record_heartbeats(s, [beat("cam-oak-1", old)], heard_at=old)
        s.commit()
        changes = check_cameras(s, world.settings.health, now=now)
        s.commit()
    assert [(c.alert.camera_id, c.alert.state) for c in changes] == [("cam-oak-1", "offline")]
    yield changes[0].alert.id
    with world.session() as s:
        s.execute(delete(OpsAlert))
        s.execute(delete(CameraHealth))
        s.commit()


def test_the_offline_camera_and_its_alert_card(
    world: World, site: LiveServer, browser: Browser, oak_gate_offline: int, tmp_path: Path
) -> None:
    admin = browser.new_context(viewport=LAPTOP)
    page = admin.new_page()
    sign_in(page, site.url, "admin")
    page.goto(f"{site.url}/cameras/health")
    row = page.locator('tr[data-camera="cam-oak-1"]')
    expect(row.locator('[data-f="state"]')).to_have_text("offline")
    expect(row).to_contain_text("no heartbeat for 10 min")
    expect(page.locator('tr[data-camera="cam-pine-1"] [data-f="state"]')).to_have_text("live")
    card = page.locator(f'.ops-card[data-ops-id="{oak_gate_offline}"]')
    expect(card).to_be_visible()
    expect(card.locator('[data-f="badge"]')).to_have_text("Camera offline")
    expect(card).to_contain_text("Oak gate north · Oak Ridge HOA")
    page.screenshot(path=str(tmp_path / "camera-health.png"), full_page=True)
    card.get_by_role("button", name="Acknowledge").click()
    expect(card.locator('[data-f="ack"]')).to_have_text("Acknowledged by admin")
    admin.close()
    with world.session() as s:
        alert = s.scalar(select(OpsAlert).where(OpsAlert.id == oak_gate_offline))
        assert alert is not None and alert.acknowledged_by == "admin"
        assert isinstance(alert.acknowledged_at, datetime)

    officer = browser.new_context(viewport=LAPTOP)
    feed = officer.new_page()
    sign_in(feed, site.url, "officer_a")
    expect(feed).to_have_url(f"{site.url}/alerts")
    feed_card = feed.locator(f'.ops-card[data-ops-id="{oak_gate_offline}"]')
    expect(feed_card).to_contain_text("Camera offline")
    expect(feed_card.locator('[data-f="ack"]')).to_have_text("Acknowledged by admin")
    feed.screenshot(path=str(tmp_path / "feed-with-camera-alert.png"), full_page=True)
    officer.close()

    other = browser.new_context(viewport=LAPTOP)
    county = other.new_page()
    sign_in(county, site.url, "officer_b")
    expect(county).to_have_url(f"{site.url}/alerts")
    expect(county.locator("#ops-alerts")).to_be_hidden()
    other.close()
