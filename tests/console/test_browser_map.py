"""The map in a real browser: Leaflet and everything else from this console alone (no request
leaves 127.0.0.1), the offline grid drawn, cameras and cells on it, and a plate's sightings
from the audited search drawn as numbered markers joined in time order."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Request, expect

from console.app import create_app
from console.routes.map import leaflet_installed
from tests.console.conftest import LiveServer, World
from tests.console.test_browser import LAPTOP, sign_in
from tests.console.test_map import PLATE, seed_map

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(world: World) -> Iterator[LiveServer]:
    if not leaflet_installed():
        pytest.fail("Leaflet is not in console/static/vendor/leaflet: run `make install`")
    seed_map(world)
    with LiveServer(create_app(world.settings, webhooks=False)) as server:
        yield server


def test_officer_maps_cameras_and_a_plates_sightings_offline(
    world: World, site: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=LAPTOP)
    requested: list[str] = []

    def log(request: Request) -> None:
        requested.append(request.url)

    context.on("request", log)
    page = context.new_page()
    sign_in(page, site.url, "officer_a")
    page.get_by_role("link", name="Map").click()
    expect(page).to_have_url(f"{site.url}/map")
    expect(page.locator("#map-summary")).to_contain_text("2 LPR cameras")

    tiles = page.locator(".map-grid canvas")
    expect(tiles.first).to_be_attached()
    label = tiles.first.get_attribute("data-label") or ""
    assert re.fullmatch(r"-?\d+(\.\d+)?, -?\d+(\.\d+)?", label), label
    cameras = page.locator(".lpr-camera-icon")
    expect(cameras).to_have_count(2)
    assert {cameras.nth(i).get_attribute("title") for i in range(2)} == {
        "Oak gate north",
        "Oak gate south",
    }
    expect(page.locator("path.camera-cell").first).to_be_attached()
    expect(page.locator("path.request-area").first).to_be_attached()

    form = page.locator("#sightings-form")
    form.get_by_label("Plate").fill(PLATE)
    form.get_by_label("Case number").fill("2025-007002")
    form.get_by_label("Reason").fill("hit and run on Oak Dr, tracing the vehicle's route")
    form.get_by_role("button", name="Show sightings").click()
    expect(page.locator("#sightings-status")).to_contain_text(f"4 sightings of {PLATE}")
    markers = page.locator(".sighting-icon")
    # One marker a camera; the trailer camera (sighting 2) has no coordinates.
    expect(markers).to_have_count(2)
    assert sorted(markers.all_inner_texts()) == ["1, 4", "3"]
    expect(page.locator("path.sighting-path")).to_have_count(1)
    expect(page.locator("#sightings-list li")).to_have_count(4)
    page.screenshot(path=str(tmp_path / "map.png"), full_page=True)

    # From a search's results to the map: one click there runs it again (audited again).
    page.get_by_role("link", name="Search reads").click()
    search = page.locator("form[action='/search']")
    search.get_by_label("Plate").fill(PLATE)
    search.get_by_label("Case number").fill("2025-007004")
    search.get_by_label("Reason").fill("hit and run on Oak Dr, tracing the vehicle's route")
    search.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Show on the map").click()
    page.get_by_role("button", name=re.compile(r"Show the sightings of search \d+")).click()
    expect(page.locator("#sightings-status")).to_contain_text(f"4 sightings of {PLATE}")
    expect(page.locator(".sighting-icon")).to_have_count(2)
    context.close()

    assert any(url.endswith("/static/vendor/leaflet/leaflet.js") for url in requested)
    foreign = [
        url
        for url in requested
        if not url.startswith("data:") and urlsplit(url).hostname != "127.0.0.1"
    ]
    assert foreign == []
