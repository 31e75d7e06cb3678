"""Residents in a real browser: an HOA admin issues an invite, a resident joins with it,
registers a doorbell camera and pauses it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from store.tables import CommunityCamera, User
from tests.console.conftest import LiveServer, World
from tests.console.test_browser import LAPTOP, PHONE, sign_in

pytestmark = pytest.mark.browser


def test_invite_join_register_and_pause(
    world: World, site: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    hoa = browser.new_context(viewport=LAPTOP)
    page = hoa.new_page()
    sign_in(page, site.url, "hoa_oak")
    page.get_by_role("link", name="Invites").click()
    page.get_by_role("button", name="Create invite").click()
    code = page.locator("#invite-code").inner_text()
    page.screenshot(path=str(tmp_path / "invite.png"))
    hoa.close()

    resident = browser.new_context(viewport=PHONE)
    page = resident.new_page()
    page.goto(f"{site.url}/join")
    page.get_by_label("Invite code").fill(code)
    page.get_by_label("Username").fill("res_browser")
    page.get_by_label("Password").fill("my own long password")
    page.get_by_label("Email").fill("res.browser@example.org")
    page.get_by_role("button", name="Join").click()
    expect(page).to_have_url(f"{site.url}/community/cameras")

    form = page.locator("#add-camera")
    form.get_by_label("Label").fill("Front door")
    form.get_by_label("Kind").select_option("doorbell")
    form.get_by_label("Latitude").fill("37.774912")
    form.get_by_label("Longitude").fill("-122.419415")
    form.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_have_text("Registered Front door.")
    row = page.locator("tr[data-camera]")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Pause").click()
    expect(row.locator(".tag")).to_have_text("paused")
    expect(row.get_by_role("button", name="Resume")).to_be_visible()
    page.screenshot(path=str(tmp_path / "cameras.png"), full_page=True)
    resident.close()

    with world.session() as s:
        user = s.scalars(select(User).where(User.username == "res_browser")).one()
        assert user.role == "resident" and user.site_id == world.ids["oak"]
        camera = s.scalars(
            select(CommunityCamera).where(CommunityCamera.owner_user_id == user.id)
        ).one()
        assert (camera.latitude, camera.longitude) == (37.774912, -122.419415)
        assert camera.kind == "doorbell" and camera.paused_at is not None
