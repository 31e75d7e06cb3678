"""Chromium: the officer's feed marks silent alerts "sound off", and the service worker shows a
pushed alert as the console's push worker encodes it. Headless Chromium reaches no push service
(its own is Google's, not on this network), so the push is handed to the service worker through
the DevTools protocol, the way Chromium itself delivers one after decrypting it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Browser, CDPSession, Page, expect

from console.alerts import officer_alert
from console.webpush import push_message
from tests.console.conftest import LiveServer, World
from tests.console.test_browser import LAPTOP, sign_in

pytestmark = pytest.mark.browser


def _feed(browser: Browser, site: LiveServer) -> Page:
    context = browser.new_context(viewport=LAPTOP, permissions=["notifications"])
    page = context.new_page()
    sign_in(page, site.url, "officer_a")
    expect(page).to_have_url(f"{site.url}/alerts")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    return page


def test_an_alert_that_made_no_sound_says_sound_off(
    world: World, site: LiveServer, browser: Browser
) -> None:
    page = _feed(browser, site)
    alert_id = world.new_alert("cam-oak-1")
    card = page.locator(f'#open-alerts .card[data-id="{alert_id}"]')
    expect(card.locator('[data-f="sound-off"]')).to_be_visible()
    page.get_by_role("button", name="Enable sound").click()
    expect(page.locator("#sound")).to_have_attribute("aria-pressed", "true")
    louder = world.new_alert("cam-oak-1")
    loud_card = page.locator(f'#open-alerts .card[data-id="{louder}"]')
    expect(loud_card).to_be_visible()
    expect(loud_card.locator('[data-f="sound-off"]')).to_be_hidden()
    page.context.close()


def _service_worker(page: Page, origin: str) -> tuple[CDPSession, list[str]]:
    """A DevTools session with the ServiceWorker domain on, and the registrations under the
    feed's scope: the browser also lists those of the module's earlier, closed contexts."""
    cdp = page.context.new_cdp_session(page)
    found: list[str] = []

    def seen(event: dict[str, Any]) -> None:
        found.extend(
            r["registrationId"]
            for r in event["registrations"]
            if r["scopeURL"] == f"{origin}/static/" and not r["isDeleted"]
        )

    cdp.on("ServiceWorker.workerRegistrationUpdated", seen)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not found and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert found, "the feed page registered no service worker under /static/"
    return cdp, sorted(set(found))


def test_the_service_worker_shows_a_pushed_alert_with_plate_reason_and_camera(
    world: World, site: LiveServer, browser: Browser
) -> None:
    page = _feed(browser, site)
    page.wait_for_function(
        "navigator.serviceWorker.getRegistration('/static/').then(r => !!(r && r.active))"
    )
    cdp, registrations = _service_worker(page, site.url)
    alert_id = world.new_alert("cam-oak-1")
    with world.session() as s:
        card = officer_alert(s, world.ids["metro"], alert_id)
    message = push_message(card)
    shown: list[dict[str, str]] = []
    deadline = time.monotonic() + 15
    while not shown and time.monotonic() < deadline:
        # The DevTools hook stands in for the push service, and like one it is retried: in
        # headless Chromium a delivery now and then reaches the worker without a notification.
        # One tag per alert, so a repeat replaces the notification rather than adding one.
        for registration in registrations:  # only this page's own worker can show it
            cdp.send(
                "ServiceWorker.deliverPushMessage",
                {
                    "origin": site.url,
                    "registrationId": registration,
                    "data": message.encode().decode(),
                },
            )
        page.wait_for_timeout(1000)
        shown = page.evaluate(
            """async () => {
              const reg = await navigator.serviceWorker.getRegistration('/static/');
              const all = await reg.getNotifications();
              return all.map(n => ({title: n.title, body: n.body, url: n.data.url}));
            }"""
        )
    assert shown == [{"title": message.title, "body": message.body, "url": message.url}]
    assert card.plate_read in shown[0]["title"] and "Oak gate north" in shown[0]["body"]
    page.context.close()
