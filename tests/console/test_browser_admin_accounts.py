"""An admin in Chromium adds an officer, whose one-time password signs in once and must be
changed, then disables the officer; and adds a webhook for an agency and switches it off. The
database and the audit log agree with what the pages said."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, ViewportSize, expect
from sqlalchemy import select

from store.tables import AuditEvent, User, Webhook
from tests.console.conftest import LiveServer, World
from tests.console.test_browser import sign_in

pytestmark = pytest.mark.browser
LAPTOP: ViewportSize = {"width": 1280, "height": 860}


def test_admin_adds_an_officer_who_must_change_the_one_time_password_then_disables_them(
    world: World, site: LiveServer, browser: Browser
) -> None:
    username = f"officer-{uuid.uuid4().hex[:6]}"
    admin = browser.new_context(viewport=LAPTOP)
    page = admin.new_page()
    sign_in(page, site.url, "admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page).to_have_url(f"{site.url}/admin/users")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Name", exact=True).fill("Dana Reyes")
    page.get_by_label("Role").select_option("officer")
    page.get_by_label("Agency or site").select_option(label="Metro PD")
    page.get_by_role("button", name="Add user").click()
    shown = page.get_by_role("status")
    expect(shown).to_contain_text(f"One-time password for {username}")
    one_time = shown.locator("code.secret").inner_text()
    assert len(one_time) >= 12

    officer = browser.new_context(viewport=LAPTOP)
    first = officer.new_page()
    first.goto(f"{site.url}/login")
    first.get_by_label("Username").fill(username)
    first.get_by_label("Password").fill(one_time)
    first.get_by_role("button", name="Sign in").click()
    expect(first.get_by_role("heading", name="Choose your password")).to_be_visible()
    expect(first.locator(".notice.warn")).to_contain_text("one-time password")
    officer.close()

    page.once("dialog", lambda dialog: dialog.accept())
    row = page.locator("tr", has_text=username)
    expect(row).to_contain_text("Metro PD")
    row.get_by_role("button", name="Disable").click()
    expect(page.locator("tr", has_text=username)).to_contain_text("disabled")
    admin.close()

    with world.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None and user.disabled and user.agency_id == world.ids["metro"]
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.actor == "admin", AuditEvent.subject.contains(username))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["user.create", "user.disable"]


def test_admin_adds_a_webhook_and_switches_it_off(
    world: World, site: LiveServer, browser: Browser
) -> None:
    url = f"https://cad.example.gov/platewatch/{uuid.uuid4().hex[:6]}"
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, site.url, "admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks").click()
    expect(page).to_have_url(f"{site.url}/admin/webhooks")
    page.get_by_role("combobox", name="Agency").select_option(label="Metro PD")
    page.get_by_label("URL").fill(url)
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_role("status")).to_contain_text("Signing secret")
    secret = page.get_by_role("status").locator("code.secret").inner_text()
    assert secret.startswith("whsec_")
    hook_panel = page.locator("section.panel", has_text=url)
    expect(hook_panel).to_contain_text("enabled")
    hook_panel.get_by_role("button", name="Disable").click()
    hook_panel = page.locator("section.panel", has_text=url)
    expect(hook_panel.get_by_role("button", name="Enable")).to_be_visible()
    expect(hook_panel).to_contain_text("disabled")
    context.close()

    with world.session() as s:
        hook = s.scalar(select(Webhook).where(Webhook.url == url))
        assert hook is not None and not hook.enabled
        assert hook.agency_id == world.ids["metro"]
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject == str(hook.id), AuditEvent.action.like("webhook.%"))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["webhook.create", "webhook.disable"]
