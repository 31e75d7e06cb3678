"""An admin in Chromium adds a site, switches its sharing on, adds a camera to it, edits the
camera and retires it, and adds, edits and retires an agency; the database and the audit log
agree with what the pages said."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, ViewportSize, expect
from sqlalchemy import select

from store.tables import Agency, AuditEvent, Camera, Site, SiteSharing
from tests.console.conftest import LiveServer, World
from tests.console.test_browser import sign_in

pytestmark = pytest.mark.browser
LAPTOP: ViewportSize = {"width": 1280, "height": 860}


def test_admin_adds_a_site_and_a_camera_and_retires_the_camera(
    world: World, site: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    site_name, camera_id = f"Maple Court {tag}", f"maple-{tag}"
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, site.url, "admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sites").click()
    expect(page).to_have_url(f"{site.url}/admin/sites")

    adding = page.get_by_role("form", name="Add a site")
    adding.get_by_label("Site name").fill("Oak Ridge HOA")
    adding.get_by_role("button", name="Add site").click()
    expect(page.get_by_role("alert")).to_have_text(
        "site 'Oak Ridge HOA' already exists; pick another name"
    )
    adding = page.get_by_role("form", name="Add a site")
    adding.get_by_label("Site name").fill(site_name)
    adding.get_by_label("Kind").select_option("neighborhood")
    adding.get_by_label("Keep images (days)").fill("21")
    adding.get_by_role("button", name="Add site").click()
    expect(page.get_by_role("status")).to_contain_text(f"Site {site_name} added")
    row = page.locator("tr", has_text=site_name)
    expect(row).to_contain_text("images 21 days")
    row.locator('form[data-share="Metro PD"] button').click()
    expect(page.get_by_role("status")).to_have_text(
        f"{site_name} now shares its reads and alerts with Metro PD."
    )
    share = page.locator("tr", has_text=site_name).locator('form[data-share="Metro PD"] button')
    expect(share).to_have_attribute("aria-pressed", "true")
    page.screenshot(path=tmp_path / "admin-sites.png", full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cameras").click()
    adding = page.get_by_role("form", name="Add a camera")
    adding.get_by_label("Camera id").fill(camera_id)
    adding.get_by_label("Site").select_option(label=site_name)
    adding.get_by_label("Location").fill("Maple Ct gate")
    adding.get_by_label("Latitude").fill("37.8")
    adding.get_by_label("Longitude").fill("-122.3")
    adding.get_by_label("State / province").fill("ca")
    adding.get_by_role("button", name="Add camera").click()
    expect(page.get_by_role("status")).to_contain_text(f"Camera {camera_id} added")
    row = page.locator(f'tr[data-camera="{camera_id}"]')
    expect(row).to_contain_text("Maple Ct gate")
    expect(row).to_contain_text("CA")

    row.get_by_text("Edit").click()
    editing = row.get_by_role("form", name=f"Edit {camera_id}")
    editing.get_by_label("Direction").fill("inbound")
    editing.get_by_label("Keep images (days)").fill("7")  # shorter than the site's 21
    editing.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(f"Camera {camera_id} saved")
    expect(page.locator(f'tr[data-camera="{camera_id}"] [data-f="retention"]')).to_have_text(
        "images 7 days"
    )

    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.locator(f'tr[data-camera="{camera_id}"]').get_by_role("button", name="Retire").click()
    expect(page.get_by_role("status")).to_contain_text(f"Camera {camera_id} retired")
    expect(page.locator(f'tr[data-camera="{camera_id}"] [data-f="status"]')).to_contain_text(
        "retired"
    )
    assert asked and "Its stored reads stay" in asked[0]
    page.screenshot(path=tmp_path / "admin-cameras.png", full_page=True)
    context.close()

    with world.session() as s:
        added = s.scalar(select(Site).where(Site.name == site_name))
        camera = s.get(Camera, camera_id)
        assert added is not None and (added.kind, added.image_retention_days) == (
            "neighborhood",
            21,
        )
        assert camera is not None and camera.site_id == added.id
        assert (camera.direction, camera.region, camera.latitude) == ("inbound", "CA", 37.8)
        assert camera.image_retention_days == 7
        assert camera.retired_at is not None
        shared = s.scalar(
            select(SiteSharing.enabled).where(
                SiteSharing.site_id == added.id, SiteSharing.agency_id == world.ids["metro"]
            )
        )
        assert shared is True
        actions = s.execute(
            select(AuditEvent.actor, AuditEvent.action)
            .where(AuditEvent.subject.in_([f"site:{added.id}", f"camera:{camera_id}"]))
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(a) for a in actions] == [
        ("admin", "site.create"),
        ("admin", "site.share"),
        ("admin", "camera.create"),
        ("admin", "camera.update"),
        ("admin", "camera.retire"),
    ]


def test_admin_adds_edits_and_retires_an_agency(
    world: World, site: LiveServer, browser: Browser
) -> None:
    name = f"Lakeport PD {uuid.uuid4().hex[:6]}"
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, site.url, "admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Agencies").click()
    expect(page).to_have_url(f"{site.url}/admin/agencies")
    adding = page.get_by_role("form", name="Add an agency")
    adding.get_by_label("Agency name").fill(name)
    adding.get_by_label("Jurisdiction").fill("City of Lakeport")
    adding.get_by_label("State").fill("ca")
    adding.get_by_role("button", name="Add agency").click()
    expect(page.get_by_role("status")).to_contain_text(f"Agency {name} added.")
    row = page.locator("tr", has_text=name)
    expect(row).to_contain_text("City of Lakeport")
    expect(row).to_contain_text("CA")

    row.get_by_text("Edit").click()
    editing = row.get_by_role("form", name=f"Edit {name}")
    editing.get_by_label("Jurisdiction").fill("Lake County")
    editing.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(f"Agency {name} saved.")
    expect(page.locator("tr", has_text=name)).to_contain_text("Lake County")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text=name).get_by_role("button", name="Retire").click()
    expect(page.get_by_role("status")).to_contain_text(f"Agency {name} retired")
    expect(page.locator("tr", has_text=name)).to_contain_text("retired")
    context.close()

    with world.session() as s:
        agency = s.scalar(select(Agency).where(Agency.name == name))
        assert agency is not None and agency.jurisdiction == "Lake County"
        assert (agency.state, agency.retired_at is not None) == ("CA", True)
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject == f"agency:{agency.id}", AuditEvent.actor == "admin")
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["agency.create", "agency.update", "agency.retire"]
