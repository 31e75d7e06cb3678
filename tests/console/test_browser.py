"""The console in a real browser (Debian's Chromium through Playwright): an officer sees an
alert arrive in the open feed and confirms it, the auditor finds it in the audit log, and an
HOA admin imports a safe list with a bad row. Screenshots go to each test's tmp_path."""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import cv2
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy import delete, func, select

from hotlist.lists import add_entry
from store.tables import SafelistEntry
from tests.console.conftest import PASSWORD, LiveServer, World

pytestmark = pytest.mark.browser
LAPTOP: ViewportSize = {"width": 1280, "height": 860}
PHONE: ViewportSize = {"width": 390, "height": 844}


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def camera_pictures(shared_data: Path) -> tuple[str, bytes, bytes]:
    """A real plate crop and a scaled-down frame from the labelled photos."""
    folder = shared_data / "openalpr-dev"
    with (folder / "labels.csv").open() as handle:
        row = next(
            r for r in csv.DictReader(handle) if r["file"].startswith("us/") and int(r["w"]) >= 90
        )
    image = cv2.imread(str(folder / row["file"]))
    assert image is not None, row["file"]
    x, y, w, h = (int(row[k]) for k in ("x", "y", "w", "h"))
    crop = image[max(0, y - h // 4) : y + h + h // 4, max(0, x - w // 8) : x + w + w // 8]
    frame = cv2.resize(image, (960, int(960 * image.shape[0] / image.shape[1])))
    ok_crop, crop_jpg = cv2.imencode(".jpg", crop)
    ok_frame, frame_jpg = cv2.imencode(".jpg", frame)
    assert ok_crop and ok_frame
    return row["plate_text"], crop_jpg.tobytes(), frame_jpg.tobytes()


def test_officer_sees_the_alert_live_confirms_it_and_the_auditor_finds_it(
    world: World, site: LiveServer, browser: Browser, shared_data: Path, tmp_path: Path
) -> None:
    plate, crop, frame = camera_pictures(shared_data)
    with world.session() as s:
        add_entry(
            s,
            "NCIC stolen",
            plate=plate,
            state="CA",
            reason="stolen_vehicle",
            make="Subaru",
            model="Outback",
            color="green",
            record_number="V20250117",
        )
        s.commit()
    officer = browser.new_context(viewport=LAPTOP)
    page = officer.new_page()
    sign_in(page, site.url, "officer_a")
    expect(page).to_have_url(f"{site.url}/alerts")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")

    with world.session() as s:
        outcome = world.ingest(
            s,
            f"r-browser-{plate}-{time.time_ns()}",
            "cam-oak-1",
            plate,
            minutes_ago=0,
            pictures=(crop, frame),
        )
        s.commit()
    stored = time.monotonic()
    assert len(outcome.alert_ids) == 1
    alert_id = outcome.alert_ids[0]
    card = page.locator(f'#open-alerts .card[data-id="{alert_id}"]')
    card.wait_for(state="visible", timeout=5000)
    shown_after = time.monotonic() - stored
    assert shown_after < 2.0, f"the alert took {shown_after:.2f} s to appear"
    expect(card.locator(".badge")).to_have_text("HIT")
    expect(card.locator('[data-f="seen-plate"]')).to_contain_text(plate)
    expect(card.locator('[data-f="vehicle"]')).to_have_text("green Subaru Outback")
    expect(card.locator('[data-f="instruction"]')).to_have_text(
        "Confirm with dispatch before acting."
    )
    expect(card.locator('img[data-f="crop"]')).to_have_js_property("complete", True)
    assert card.locator('img[data-f="crop"]').evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=tmp_path / "officer-feed-new-alert.png", full_page=True)

    card.get_by_label("Note (optional)").fill("Dispatch confirmed, unit 12 responding")
    card.get_by_label("Case number").fill("2025-004211")
    card.get_by_role("button", name="Correct read", exact=True).click()
    handled = page.locator(f'#handled li[data-id="{alert_id}"]')
    expect(handled).to_contain_text("Correct read by officer_a")
    expect(card).to_have_count(0)
    page.screenshot(path=tmp_path / "officer-feed-confirmed.png", full_page=True)

    # The confirmed car passes another camera: the card comes back on top, announced.
    with world.session() as s:
        again = world.ingest(
            s, f"r-browser-{plate}-again-{time.time_ns()}", "cam-oak-2", plate, minutes_ago=0
        )
        s.commit()
    assert again.alert_ids == (alert_id,)
    expect(card).to_have_count(1)
    expect(card.locator('[data-f="again"]')).to_contain_text(
        "Confirmed stolen vehicle seen again: Oak gate south, "
    )
    expect(handled).to_have_count(0)
    page.screenshot(path=tmp_path / "officer-feed-seen-again.png", full_page=True)

    phone = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    phone_page = phone.new_page()
    sign_in(phone_page, site.url, "officer_a")
    expect(phone_page.locator("#live")).to_have_attribute("data-state", "live")
    world.new_alert(pictures=(crop, frame))
    expect(phone_page.locator("#open-alerts .card").first).to_be_visible()
    phone_page.wait_for_function(
        "() => [...document.querySelectorAll('#open-alerts .card:first-child img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    phone_page.screenshot(path=tmp_path / "officer-feed-phone.png")
    phone.close()
    officer.close()

    auditor = browser.new_context(viewport=LAPTOP)
    audit = auditor.new_page()
    sign_in(audit, site.url, "auditor")
    expect(audit).to_have_url(f"{site.url}/audit")
    audit.get_by_label("Action").fill("alert.confirm")
    audit.get_by_role("button", name="Filter").click()
    row = audit.locator("tbody tr", has_text=f"alert:{alert_id}")
    expect(row).to_contain_text("officer_a")
    expect(row).to_contain_text("Dispatch confirmed, unit 12 responding")
    expect(row).to_contain_text("2025-004211")
    audit.screenshot(path=tmp_path / "auditor-log.png", full_page=True)
    auditor.close()


def test_hoa_admin_imports_a_safe_list_and_sees_the_bad_row(
    world: World, site: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    csv_file = tmp_path / "residents.csv"
    csv_file.write_text(
        "plate,state,label,expires_at\n"
        "BRW101,CA,Unit 1,\n"
        "BRW1?2,CA,Unit 2,\n"
        "BRW103,CA,Unit 3,2031-12-31\n"
    )
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, site.url, "hoa_oak")
    expect(page).to_have_url(f"{site.url}/safelist")
    page.get_by_label("CSV file").set_input_files(csv_file)
    page.get_by_role("button", name="Import").click()
    expect(page).to_have_url(re.compile(rf"{site.url}/imports/\d+$"))
    error = page.locator("#import-error")
    expect(error).to_contain_text("1 of 3 rows are invalid, so nothing was imported")
    expect(page.locator(".row-errors li")).to_have_text(
        [
            "residents.csv: line 3, plate: 'BRW1?2': safe-list plates must be complete "
            "(no `?` or `*`)"
        ]
    )
    page.screenshot(path=tmp_path / "hoa-import-error.png", full_page=True)
    with world.session() as s:
        assert not s.scalars(
            select(SafelistEntry).where(SafelistEntry.plate.in_(["BRW101", "BRW103"]))
        ).all()
    context.close()


def test_hoa_admin_watches_an_import_reach_done(
    world: World, site: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    rows = 10_000  # enough for the page to load while the worker still writes
    csv_file = tmp_path / "homes.csv"
    csv_file.write_text(
        "plate,state,label,expires_at\n"
        + "".join(f"BRW{i:05d},CA,Unit {i},\n" for i in range(rows))
    )
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, site.url, "hoa_oak")
    page.get_by_label("CSV file").set_input_files(csv_file)
    page.get_by_role("button", name="Import").click()
    expect(page).to_have_url(re.compile(rf"{site.url}/imports/\d+$"))
    bar = page.locator("#import-progress")
    expect(bar).to_be_visible()
    expect(page.locator("#import-status")).to_have_text("Done", timeout=60_000)
    expect(bar).to_have_attribute("value", "100")
    expect(page.locator("#import-done")).to_have_text(
        f"Imported homes.csv: {rows} added, 0 updated."
    )
    page.screenshot(path=tmp_path / "hoa-import-done.png", full_page=True)
    expect(page.get_by_role("link", name="Back to the safe list")).to_have_attribute(
        "href", "/safelist"
    )
    with world.session() as s:
        listed = select(func.count()).where(SafelistEntry.plate.like("BRW%"))
        assert s.scalar(listed) == rows
        s.execute(delete(SafelistEntry).where(SafelistEntry.plate.like("BRW%")))
        s.commit()
    context.close()
