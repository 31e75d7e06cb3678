"""The sign-in throttle over a real server: forged X-Forwarded-For buys nothing, concurrent
guesses cannot outrun the limit, back-off grows and is capped, and an attacker failing against
an officer's account does not keep the officer out."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from console.accounts.throttle import (
    ACCOUNT_FACTOR,
    BACKOFF_CAP,
    LoginRateLimitedError,
    admit,
)
from console.accounts.users import create_user
from console.app import create_app
from store.tables import LoginAttempt
from tests.console.conftest import PASSWORD, LiveServer, World, settings_for

WAIT_S = 30.0
_names = itertools.count()


@pytest.fixture(scope="module")
def direct(world: World) -> Iterator[LiveServer]:
    """Clients connect straight to the console: no proxy is trusted (the default)."""
    with LiveServer(create_app(world.settings, webhooks=False)) as server:
        yield server


@pytest.fixture(scope="module")
def proxied(world: World) -> Iterator[LiveServer]:
    """The console behind a reverse proxy on 127.0.0.1, the address tests connect from."""
    settings = settings_for(world.url, world.image_root, trusted_proxies=["127.0.0.1/32"])
    with LiveServer(create_app(settings, webhooks=False)) as server:
        yield server


def _account(world: World, role: str = "auditor") -> str:
    username = f"thr_{role}_{next(_names)}"
    with world.session() as s:
        create_user(
            s,
            actor="test",
            username=username,
            role=role,  # type: ignore[arg-type]
            agency_id=world.ids["metro"] if role == "officer" else None,
            password=PASSWORD,
        )
        s.commit()
    return username


class Browser:
    """One client of the sign-in form: its own cookies, optionally a forwarded-for header."""

    def __init__(self, base: str, forwarded_for: str | None = None) -> None:
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        self.http = httpx.Client(base_url=base, headers=headers, timeout=WAIT_S)
        page = self.http.get("/login")
        found = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
        assert page.status_code == 200 and found
        self.csrf = found.group(1)

    def sign_in(self, username: str, password: str) -> httpx.Response:
        data = {"username": username, "password": password, "login_csrf": self.csrf}
        response = self.http.post("/login", data=data, follow_redirects=False)
        # A refusal renders the form again, with a fresh form token.
        found = re.search(r'name="login_csrf" value="([^"]+)"', response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def close(self) -> None:
        self.http.close()


def _guess(base: str, username: str, forwarded_for: str | None = None) -> httpx.Response:
    browser = Browser(base, forwarded_for)
    try:
        return browser.sign_in(username, "not the password")
    finally:
        browser.close()


def _checked(world: World, username: str) -> dict[str, int]:
    """Password checks made for the account, by the client they were counted against."""
    with world.session() as s:
        rows = s.execute(
            select(LoginAttempt.client, func.count())
            .where(LoginAttempt.username == username)
            .group_by(LoginAttempt.client)
        ).all()
    return {row[0]: row[1] for row in rows}


def _assert_refused(response: httpx.Response) -> int:
    assert response.status_code == 429, response.status_code
    wait = int(response.headers["retry-after"])
    assert 1 <= wait <= BACKOFF_CAP.total_seconds()
    assert f"wait {wait} s and try again" in response.text
    return wait


def test_forged_forwarded_for_from_an_untrusted_peer_is_ignored(
    world: World, direct: LiveServer
) -> None:
    username = _account(world)
    limit = world.settings.console.login_attempts_per_minute
    responses = [_guess(direct.url, username, f"203.0.113.{n}") for n in range(30)]
    assert [r.status_code for r in responses[:limit]] == [401] * limit
    for response in responses[limit:]:
        _assert_refused(response)
        assert "for this account from your address" in response.text
    # All 30 were one client, the connecting one; only `limit` passwords were checked.
    assert _checked(world, username) == {"127.0.0.1": limit}


def test_behind_a_trusted_proxy_forwarded_clients_count_separately(
    world: World, proxied: LiveServer
) -> None:
    username = _account(world)
    limit = world.settings.console.login_attempts_per_minute
    clients = ["198.51.100.1", "198.51.100.2", "2001:db8::7"]
    for client in clients:
        # The client put a forged hop first; the proxy appended the address it saw.
        chain = f"10.9.9.9, {client}"
        assert [_guess(proxied.url, username, chain).status_code for _ in range(limit)] == [
            401
        ] * limit
        _assert_refused(_guess(proxied.url, username, chain))
    assert _checked(world, username) == dict.fromkeys(clients, limit)


def test_concurrent_wrong_passwords_get_at_most_the_limit_checked(
    world: World, direct: LiveServer
) -> None:
    username = _account(world)
    limit = world.settings.console.login_attempts_per_minute
    browsers = [Browser(direct.url) for _ in range(40)]
    start = threading.Barrier(len(browsers))
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt(browser: Browser) -> None:
        start.wait()
        status = browser.sign_in(username, "not the password").status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S * 2)
    for browser in browsers:
        browser.close()
    assert sorted(statuses) == [401] * limit + [429] * (len(browsers) - limit)
    assert _checked(world, username) == {"127.0.0.1": limit}


def test_an_attacker_cannot_keep_the_officer_out(world: World, proxied: LiveServer) -> None:
    officer = _account(world, "officer")
    limit = world.settings.console.login_attempts_per_minute
    # Enough attacking addresses to pass the account-wide threshold, each to its own limit;
    # past the threshold an address that failed is slowed after its first guess.
    attackers = [f"192.0.2.{n}" for n in range(ACCOUNT_FACTOR + 2)]
    for attacker in attackers:
        statuses = [_guess(proxied.url, officer, attacker).status_code for _ in range(limit + 1)]
        assert statuses[0] == 401 and statuses[-1] == 429, statuses
    checked = _checked(world, officer)
    assert sum(checked.values()) >= limit * ACCOUNT_FACTOR
    assert checked[attackers[-1]] == 1 and max(checked.values()) == limit
    station = Browser(proxied.url, "198.51.100.50")
    try:
        signed_in = station.sign_in(officer, PASSWORD)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/alerts"
        assert station.http.get("/api/me").json()["username"] == officer
    finally:
        station.close()
    # An officer who mistyped once during the attack waits a little, never long.
    typo = Browser(proxied.url, "198.51.100.51")
    try:
        assert typo.sign_in(officer, "fat fingers").status_code == 401
        slowed = typo.sign_in(officer, PASSWORD)
        assert _assert_refused(slowed) <= 30 and "for this account;" in slowed.text
    finally:
        typo.close()


def test_back_off_doubles_per_further_failure_and_is_capped(world: World) -> None:
    username = f"thr_backoff_{next(_names)}"
    client = "192.0.2.200"
    limit = world.settings.console.login_attempts_per_minute
    with world.session() as s:
        for _ in range(limit):
            admit(s, username=username, client=client, limit=limit)
        s.commit()
        waits = []
        for _ in range(7):
            with pytest.raises(LoginRateLimitedError) as refused:
                admit(s, username=username, client=client, limit=limit)
            s.rollback()
            waits.append(refused.value.retry_after_s)
            assert f"wait {waits[-1]} s and try again" in str(refused.value)
            # Let the wait pass, then fail once more.
            for row in s.scalars(select(LoginAttempt).where(LoginAttempt.username == username)):
                row.at -= timedelta(seconds=waits[-1] + 1)
            s.flush()
            admit(s, username=username, client=client, limit=limit)
            s.commit()
    assert waits == [60, 120, 240, 480, 900, 900, 900]
    # Another address is not held back by this one's failures.
    with world.session() as s:
        admit(s, username=username, client="192.0.2.201", limit=limit)
        s.rollback()
