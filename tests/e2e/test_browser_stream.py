"""An officer's open feed in Chromium while a read travels the real stream: edge outbox,
embedded broker, a matcher process, the database, the console process. The alert must show
within 2 seconds of publishing; the officer confirms it; the auditor sees it in the log."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from alpr.read import Box, PlateRead
from console.accounts.users import change_password, get_user
from hotlist.lists import add_entry
from platewatch.demo import HOTLIST, seed_demo
from platewatch.run import Pipeline
from platewatch.settings import Settings, load_settings
from store.db import make_engine, make_session_factory, transaction
from store.schema import upgrade
from stream.broker import free_port
from stream.publisher import EdgePublisher

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.slow]
PASSWORD = "night-shift-passphrase-42"
STOLEN = "6TRK402"


def _settings(data: Path) -> tuple[Settings, dict[str, str]]:
    console_port, broker_port = free_port(), free_port()
    env = {
        **os.environ,
        "PLATEWATCH_DATA_DIR": str(data),
        "PLATEWATCH_CONSOLE__PORT": str(console_port),
        "PLATEWATCH_STREAM__BROKER_PORT": str(broker_port),
        "PLATEWATCH_EDGE__OUTBOX_PATH": str(data / "edge-outbox.db"),
        "PLATEWATCH_EDGE__IMAGE_ROOT": str(data / "images"),
    }
    for name in (
        "PLATEWATCH_KAFKA_BOOTSTRAP_SERVERS",
        "PLATEWATCH_DATABASE_URL",
        "PLATEWATCH_CONFIG",
    ):
        env.pop(name, None)
    settings = load_settings(
        data_dir=data,
        console={"port": console_port},
        stream={"broker_port": broker_port},
        edge={"outbox_path": data / "edge-outbox.db", "image_root": data / "images"},
    )
    return settings, env


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    settings, env = _settings(tmp_path_factory.mktemp("stack") / "var")
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        world = seed_demo(session)
        add_entry(
            session,
            HOTLIST,
            plate=STOLEN,
            state="CA",
            reason="stolen_vehicle",
            make="Toyota",
            model="Tacoma",
            color="Red",
            record_number="V-2026-0999",
        )
        for login in world.logins:
            change_password(
                session, get_user(session, login.username), current=login.password, new=PASSWORD
            )
    engine.dispose()
    with Pipeline(settings, env=dict(env)) as pipeline:
        yield pipeline


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_read_on_the_stream_reaches_the_open_feed_within_two_seconds(
    stack: Pipeline, browser: Browser, tmp_path: Path
) -> None:
    officer = browser.new_context(viewport={"width": 1280, "height": 860})
    page = officer.new_page()
    _sign_in(page, stack.console_url, "officer")
    expect(page).to_have_url(f"{stack.console_url}/alerts")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")

    read = PlateRead(
        camera_id="demo-cam-1",
        captured_at=datetime.now(UTC),
        plate=STOLEN,
        confidence=0.98,
        char_confidences=(0.98,) * len(STOLEN),
        box=Box(x1=410, y1=300, x2=560, y2=345),
    )
    with EdgePublisher(stack.settings, bootstrap=stack.bootstrap) as publisher:
        published = time.monotonic()
        publisher.publish(read)
        card = page.locator("#open-alerts .card", has_text=STOLEN)
        card.wait_for(state="visible", timeout=10_000)
        shown_after = time.monotonic() - published
    page.screenshot(path=tmp_path / "stream-alert.png", full_page=True)
    assert shown_after < 2.0, f"the alert took {shown_after:.2f} s from publish to the feed"
    expect(card.locator('[data-f="vehicle"]')).to_have_text("Red Toyota Tacoma")
    expect(card.locator('[data-f="instruction"]')).to_have_text(
        "Confirm with dispatch before acting."
    )

    alert_id = card.get_attribute("data-id")
    card.get_by_label("Case number").fill("2026-118")
    card.get_by_role("button", name="Correct read", exact=True).click()
    expect(page.locator(f'#handled li[data-id="{alert_id}"]')).to_contain_text(
        "Correct read by officer"
    )
    officer.close()

    auditor = browser.new_context(viewport={"width": 1280, "height": 860})
    audit = auditor.new_page()
    _sign_in(audit, stack.console_url, "auditor")
    expect(audit).to_have_url(f"{stack.console_url}/audit")
    audit.get_by_label("Action").fill("alert.confirm")
    audit.get_by_role("button", name="Filter").click()
    row = audit.locator("tbody tr", has_text=f"alert:{alert_id}")
    expect(row).to_contain_text("officer")
    expect(row).to_contain_text("2026-118")
    audit.screenshot(path=tmp_path / "stream-audit.png", full_page=True)
    auditor.close()
