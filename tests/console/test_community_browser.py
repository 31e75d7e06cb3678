"""The footage-request flow in Chromium, with real SMTP: an officer drafts, a supervisor
approves, two residents in the area are emailed and one outside is not; one shares a real
clip, one declines; the officer sees exactly one share and nothing about the other two; the
public transparency page lists the request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from console.accounts.users import create_user
from console.app import create_app
from platewatch.settings import load_settings
from tests.community.conftest import SmtpCapture, smtp_server
from tests.community.residents import CENTER, add_resident, near
from tests.console.conftest import PASSWORD, LiveServer, World

pytestmark = pytest.mark.browser
__all__ = ["smtp_server"]  # the fixture, used here from the community tests
# 11 km north of the other console tests' residents, so only this test's are in the area.
HERE = (CENTER[0] + 0.1, CENTER[1])


@pytest.fixture
def site(world: World, smtp_server: SmtpCapture) -> Iterator[LiveServer]:
    settings = load_settings(
        database_url=world.url,
        edge={"image_root": str(world.image_root)},
        console={"feed_poll_ms": 100},
        mail={"enabled": True, "host": smtp_server.host, "port": smtp_server.port},
    )
    with LiveServer(create_app(settings, webhooks=False)) as server:
        yield server


def _page(browser: Browser, base: str, username: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(timezone_id="UTC")
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return context, page


def test_request_flow_in_the_browser(
    world: World, site: LiveServer, browser: Browser, smtp_server: SmtpCapture, shared_data: Path
) -> None:
    tag = world.url.split(":", 1)[0][:2]
    with world.session() as s:
        create_user(
            s, actor="test", username=f"brsup{tag}", role="supervisor",
            agency_id=world.ids["metro"], password=PASSWORD,
        )  # fmt: skip
        ana = add_resident(s, f"brana{tag}", camera_at=near(0.1012, 0.0006))
        ben = add_resident(s, f"brben{tag}", camera_at=near(0.0985))
        cat = add_resident(s, f"brcat{tag}", camera_at=near(0.14))
        s.commit()
    now = datetime.now(UTC)

    officer_ctx, officer = _page(browser, site.url, "officer_a")
    officer.goto(f"{site.url}/community/requests")
    form = officer.locator("#draft-form")
    form.get_by_label("Case number").fill("2025-008812")
    form.get_by_label("From (your local time)").fill(f"{now - timedelta(hours=6):%Y-%m-%dT%H:%M}")
    form.get_by_label("To", exact=True).fill(f"{now - timedelta(hours=3):%Y-%m-%dT%H:%M}")
    form.get_by_label("Investigator contact").fill("Det. Alvarez, 555-0177")
    form.get_by_label("Center latitude").fill(str(HERE[0]))
    form.get_by_label("Center longitude").fill(str(HERE[1]))
    form.get_by_label("Radius (m, up to 1000)").fill("450")
    form.get_by_label("What happened").fill("Hit and run at Birch and 5th, silver hatchback")
    form.get_by_label("Details for police only").fill("Witness saw partial plate 8KX")
    form.get_by_role("button", name="Save draft").click()
    expect(officer.locator("#status")).to_have_text("draft")
    request_url = officer.url

    sup_ctx, supervisor = _page(browser, site.url, f"brsup{tag}")
    supervisor.goto(request_url)
    supervisor.get_by_role("button", name="Approve and ask residents").click()
    expect(supervisor.locator("#status")).to_have_text("approved")
    recipients = sorted(m["To"] for m in smtp_server.messages)
    assert recipients == sorted([ana.email, ben.email])  # not cat, outside the area
    assert "partial plate" not in str(smtp_server.messages[0].get_payload())

    ana_ctx, resident = _page(browser, site.url, ana.username)
    resident.goto(f"{site.url}/community/portal")
    card = resident.locator("section.request").filter(has_text="Hit and run at Birch")
    card.get_by_label("Clips or photos").set_input_files(
        str(shared_data / "samples" / "license_plate.mp4")
    )
    card.get_by_label("Which camera").select_option(label=f"{ana.username} doorbell")
    card.get_by_role("button", name="Share").click()
    expect(resident.get_by_role("status")).to_contain_text("shared")

    ben_ctx, declining = _page(browser, site.url, ben.username)
    declining.goto(f"{site.url}/community/portal")
    other = declining.locator("section.request").filter(has_text="Hit and run at Birch")
    other.get_by_role("button", name="Decline").click()
    expect(declining.get_by_role("status")).to_contain_text("decline")

    officer.goto(request_url)
    expect(officer.locator("#shares tr.share")).to_have_count(1)
    text = officer.content()
    for person in (ana, ben, cat):
        for secret in (person.username, person.email, f"{person.username.title()} Lane"):
            assert secret not in text
    assert "declined" not in text and "asked" not in text.lower().replace("ask residents", "")
    with officer.expect_popup() as popup:
        officer.locator("#shares a", has_text="view").click()
    assert popup.value.url.endswith(tuple("0123456789"))

    officer.goto(f"{site.url}/public/transparency")
    row = officer.locator("#footage-requests tr").filter(has_text="Hit and run at Birch")
    expect(row).to_have_count(1)
    expect(row.locator("td.num")).to_have_text("1")
    for context in (officer_ctx, sup_ctx, ana_ctx, ben_ctx):
        context.close()
