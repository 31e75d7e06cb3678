"""A historical hit in a real browser: the officer's card says it is one, where and when the
car was last seen, and that it is not a live stop; a live hit beside it still reads HIT.

Its own console world (a SQLite file): the historical alert it raises must not show up in the
feeds the other console tests count."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from console.app import create_app
from hotlist.lists import add_entry
from store.base import Base
from store.db import make_engine, make_session_factory
from tests.console.conftest import LiveServer, World, seed, settings_for
from tests.console.test_browser import LAPTOP, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def own_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("historical-world")
    url = f"sqlite:///{folder / 'console.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    image_root = folder / "images"
    image_root.mkdir()
    world = World(
        url, settings_for(url, image_root), engine, make_session_factory(engine), image_root
    )
    seed(world)
    yield world
    engine.dispose()


# Counts the oscillators the feed starts: each tone is a few of them.
_COUNTING_AUDIO = """
window.__tones = 0;
window.AudioContext = class {
  get currentTime() { return 0; }
  get destination() { return {}; }
  resume() {}
  createOscillator() {
    window.__tones += 1;
    return { frequency: {}, connect: (x) => x, start() {}, stop() {} };
  }
  createGain() {
    return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect: (x) => x };
  }
};
"""


def test_a_historical_hit_is_marked_and_silent_and_a_live_sighting_still_sounds(
    own_world: World, browser: Browser, tmp_path: Path
) -> None:
    world = own_world
    with LiveServer(create_app(world.settings, webhooks=False)) as site:
        context = browser.new_context(viewport=LAPTOP)
        context.add_init_script(_COUNTING_AUDIO)
        page = context.new_page()
        sign_in(page, site.url, "officer_a")
        expect(page).to_have_url(f"{site.url}/alerts")
        expect(page.locator("#live")).to_have_attribute("data-state", "live")
        page.get_by_role("button", name="Enable sound").click()
        expect(page.locator("#sound")).to_have_attribute("aria-pressed", "true")
        tones = page.evaluate("window.__tones")

        with world.session() as s:
            # Read two days ago at Oak Ridge (which shares with Metro PD), listed only now.
            world.ingest(s, "r-before-listing", "cam-oak-1", "HIS7777", minutes_ago=2 * 24 * 60)
            s.commit()
            add_entry(s, "NCIC stolen", plate="HIS7777", state="CA", reason="stolen_vehicle")
            s.commit()
        card = page.locator("#open-alerts .card.historical")
        expect(card).to_have_count(1)
        expect(card.locator(".badge")).to_have_text("HISTORICAL")
        banner = card.locator('[data-f="historical"]')
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("Historical hit - seen earlier, not a live stop.")
        expect(banner).to_contain_text("Last seen")
        expect(banner).to_contain_text("Oak gate north")
        expect(card.locator('[data-f="seen-plate"]')).to_contain_text("HIS7777")
        assert page.evaluate("window.__tones") == tones, "a historical hit made a sound"
        page.screenshot(path=tmp_path / "officer-feed-historical.png", full_page=True)

        # The same car read now: a live alert of its own, with the tone.
        with world.session() as s:
            outcome = world.ingest(s, "r-after-listing", "cam-oak-2", "HIS7777", minutes_ago=0)
            s.commit()
        [live_id] = outcome.alert_ids
        live = page.locator(f'#open-alerts .card[data-id="{live_id}"]')
        expect(live.locator(".badge")).to_have_text("HIT")
        expect(live.locator('[data-f="historical"]')).to_be_hidden()
        expect(card).to_have_count(1)
        assert page.evaluate("window.__tones") > tones, "the live sighting made no sound"
        context.close()
