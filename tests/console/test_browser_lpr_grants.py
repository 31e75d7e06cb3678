"""A grant of an opted-out site's reads in a real browser: the officer asks the site on an
approved footage request, the site's HOA admin approves, the officer sees the answer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from community.area import Area
from community.request_settings import RequestSettings
from community.requests import RequestDraft, decide_request, draft_request
from console.accounts.users import create_user
from org.registry import create_camera, create_site
from store.base import utcnow
from store.tables import LprAccessGrant
from tests.community.residents import CENTER
from tests.console.conftest import PASSWORD, LiveServer, World
from tests.console.test_browser import LAPTOP, sign_in

pytestmark = pytest.mark.browser


def _approved_request(world: World) -> tuple[int, int]:
    """Cedar Court HOA (sharing with nobody) and an approved request of Metro PD's."""
    with world.session() as s:
        cedar = create_site(s, "Cedar Court HOA")
        create_camera(s, "cam-cedar-1", site=cedar.id, name="Cedar gate")
        create_camera(s, "cam-cedar-2", site=cedar.id, name="Cedar garage")
        create_user(
            s, actor="test", username="hoa_cedar", role="hoa_admin", site_id=cedar.id,
            password=PASSWORD,
        )  # fmt: skip
        now = utcnow()
        draft = RequestDraft(
            case_number="2025-031337",
            public_summary="Stolen bicycle taken through the Cedar Court gate",
            details="",
            starts_at=now - timedelta(hours=6),
            ends_at=now - timedelta(hours=3),
            area=Area(CENTER[0], CENTER[1], 300),
            contact="Det. Okafor, 555-0142",
        )
        settings = RequestSettings()
        metro = world.ids["metro"]
        row = draft_request(s, metro, draft, actor="officer_a", settings=settings, image_days=30)
        decide_request(
            s, row.id, approve=True, actor="supervisor", agency_id=metro, settings=settings
        )
        s.commit()
        return row.id, cedar.id


def test_officer_asks_and_the_hoa_admin_approves(
    world: World, site: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    request_id, cedar = _approved_request(world)
    officer = browser.new_context(viewport=LAPTOP)
    page = officer.new_page()
    sign_in(page, site.url, "officer_a")
    page.goto(f"{site.url}/community/requests/{request_id}")
    form = page.locator(f'form.ask-site[data-site="{cedar}"]')
    form.get_by_label("Cedar gate").check()
    form.get_by_label("Only these plates").fill("7abc123")
    form.get_by_role("button", name="Ask Cedar Court HOA").click()
    expect(page.get_by_role("status")).to_contain_text("sees it once the request is approved")
    row = page.locator("#lpr-grants tr.lpr-grant")
    expect(row.locator(".status")).to_contain_text("waiting for the site")

    hoa = browser.new_context(viewport=LAPTOP)
    hoa_page = hoa.new_page()
    sign_in(hoa_page, site.url, "hoa_cedar")
    hoa_page.get_by_role("link", name="Plate read requests").click()
    ask = hoa_page.locator("section.lpr-ask")
    expect(ask).to_have_count(1)
    expect(ask).to_contain_text("2025-031337")
    expect(ask).to_contain_text("Metro PD")
    expect(ask).to_contain_text("7ABC123")
    expect(ask).to_contain_text("cam-cedar-1")
    ask.get_by_role("button", name="Approve").click()
    expect(hoa_page.get_by_role("status")).to_contain_text("approved")
    expect(hoa_page.locator("tr.lpr-answered .status")).to_contain_text("approved until")
    expect(hoa_page.get_by_role("button", name="Revoke")).to_be_visible()
    hoa_page.screenshot(path=str(tmp_path / "lpr-requests.png"), full_page=True)
    hoa.close()

    page.reload()
    expect(row.locator(".status")).to_contain_text("granted")
    officer.close()
    with world.session() as s:
        grant = s.scalars(select(LprAccessGrant).where(LprAccessGrant.site_id == cedar)).one()
        assert grant.status == "approved" and grant.decided_by == "hoa_cedar"
        assert grant.camera_ids == ["cam-cedar-1"] and grant.plates == ["7ABC123"]
