"""Admins' hotlists and legal holds in a real browser (Debian's Chromium through Playwright):
create a list, upload a file and watch the import reach done, export and expire it; place a
legal hold on a read and release it. Screenshots go to each test's tmp_path."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, expect
from sqlalchemy import select

from store.tables import AuditEvent, Hotlist, HotlistEntry, RetentionHold
from tests.console.conftest import LiveServer, World
from tests.console.test_browser import LAPTOP, sign_in

pytestmark = pytest.mark.browser
ROWS = 2_000
_runs = itertools.count()


def test_admin_creates_a_hotlist_imports_exports_and_expires_it(
    world: World, site: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    name = f"Browser list {next(_runs)}"
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "plate,state,reason\n" + "".join(f"BRH{i:04d},CA,stolen_vehicle\n" for i in range(ROWS)),
        encoding="utf-8",
    )
    context = browser.new_context(viewport=LAPTOP, accept_downloads=True)
    page = context.new_page()
    sign_in(page, site.url, "admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Hotlists").click()
    expect(page).to_have_url(f"{site.url}/admin/hotlists")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Description").first.fill("Browser test feed")
    page.get_by_role("button", name="Create hotlist").click()
    expect(page.get_by_role("status")).to_contain_text(f"Hotlist {name} created")

    panel = page.locator(f"section[data-hotlist='{name}']")
    panel.get_by_label(f"File for {name}").set_input_files(feed)
    panel.get_by_role("button", name=f"Import into {name}").click()
    expect(page).to_have_url(re.compile(rf"{site.url}/imports/\d+$"))
    expect(page.locator("#import-progress")).to_be_visible()
    expect(page.locator("#import-status")).to_have_text("Done", timeout=60_000)
    expect(page.locator("#import-progress")).to_have_attribute("value", "100")
    expect(page.locator("#import-done")).to_have_text(
        f"Imported feed.csv into {name}: {ROWS} imported."
    )
    page.screenshot(path=tmp_path / "admin-hotlist-import-done.png", full_page=True)
    page.get_by_role("link", name="Back to the hotlists").click()
    expect(panel.locator(".entries")).to_have_text(f"{ROWS} entries")

    with page.expect_download() as download:
        panel.get_by_role("link", name=f"Export {name} as CSV").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert exported[0].startswith("plate,state,reason")
    assert len(exported) == ROWS + 1 and exported[1].startswith("BRH0000,CA,stolen_vehicle")

    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.once("dialog", accept)
    panel.get_by_role("button", name=f"Expire {name}").click()
    expect(page.get_by_role("status")).to_contain_text(f"{name} expired: {ROWS} entries ended")
    expect(panel).to_contain_text(f"{ROWS} expired")
    page.screenshot(path=tmp_path / "admin-hotlists.png", full_page=True)
    context.close()
    with world.session() as s:
        hotlist = s.scalars(select(Hotlist).where(Hotlist.name == name)).one()
        ends = s.scalars(
            select(HotlistEntry.expires_at).where(HotlistEntry.hotlist_id == hotlist.id)
        )
        assert all(end is not None for end in ends)
        events = s.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail)
            .where(AuditEvent.subject == f"hotlist:{hotlist.id}")
            .order_by(AuditEvent.id)
        ).all()
    assert [(a, who) for a, who, _ in events] == [
        ("hotlist.create", "admin"),
        ("hotlist.import", "admin"),
        ("hotlist.export", "admin"),
        ("hotlist.expire", "admin"),
    ]
    assert {detail["via"] for _, _, detail in events} == {"session"}


def test_admin_places_and_releases_a_legal_hold(
    world: World, site: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    case = f"BRW-{next(_runs)}-{datetime.now(UTC):%H%M%S}"
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, site.url, "admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Legal holds").click()
    expect(page).to_have_url(f"{site.url}/admin/holds")
    page.get_by_label("Read id").fill("r-oak-plain")
    page.get_by_label("Case number").fill(case)
    page.get_by_label("Reason", exact=True).fill("records request 12")
    page.get_by_label("Hold until").fill("2001-01-01")
    page.get_by_role("button", name="Place hold").click()
    expect(page.get_by_role("alert")).to_contain_text("Not placed:")
    expect(page.get_by_role("alert")).to_contain_text("is not in the future")
    expect(page.get_by_label("Read id")).to_have_value("r-oak-plain")
    until = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    page.get_by_label("Hold until").fill(until)
    page.get_by_role("button", name="Place hold").click()
    expect(page.get_by_role("status")).to_contain_text("placed on read r-oak-plain")
    row = page.locator("tbody tr", has_text=case)
    expect(row).to_contain_text("records request 12")
    expect(row).to_contain_text(f"{until} 23:59:59 UTC")
    page.screenshot(path=tmp_path / "admin-hold-placed.png", full_page=True)
    hold_id = row.get_attribute("data-hold")
    row.get_by_label(f"Reason to release hold {hold_id}").fill("case closed")
    row.get_by_role("button", name="Release").click()
    expect(page.get_by_role("status")).to_contain_text(f"Hold {hold_id} released.")
    expect(page.locator("tbody tr", has_text=case)).to_have_count(0)
    page.get_by_role("link", name="Include released and ended holds").click()
    ended = page.locator("tbody tr", has_text=case)
    expect(ended).to_contain_text("released")
    expect(ended).to_contain_text("admin: case closed")
    context.close()
    with world.session() as s:
        hold = s.get(RetentionHold, int(hold_id or 0))
        assert hold is not None and hold.released_by == "admin" and hold.case_number == case
