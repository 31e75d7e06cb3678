"""Signing in and out, sessions that expire, tokens, CSRF and the login rate limit."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from console.accounts.users import create_user
from store.base import utcnow
from store.tables import ApiToken, AuditEvent, LoginAttempt, LoginSession, User
from tests.console.conftest import PASSWORD, Caller, World, session_headers, token_headers


def _login_form(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    found = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def login(
    client: TestClient, username: str, password: str, *, next_path: str = ""
) -> httpx.Response:
    token = _login_form(client)
    response: httpx.Response = client.post(
        "/login",
        data={"username": username, "password": password, "login_csrf": token, "next": next_path},
        follow_redirects=False,
    )
    return response


def test_login_sets_a_hardened_cookie_and_lands_on_the_role_home(client: TestClient) -> None:
    client.cookies.clear()
    response = login(client, "officer_a", PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/alerts"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("pw_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie
    me = client.get("/api/me")
    assert me.status_code == 200
    assert me.json()["username"] == "officer_a" and me.json()["via"] == "session"
    client.cookies.clear()


def test_login_follows_only_local_next_paths(client: TestClient) -> None:
    client.cookies.clear()
    good = login(client, "auditor", PASSWORD, next_path="/audit/searches")
    assert good.headers["location"] == "/audit/searches"
    client.cookies.clear()
    evil = login(client, "auditor", PASSWORD, next_path="//evil.example/x")
    assert evil.headers["location"] == "/audit"
    client.cookies.clear()


def test_wrong_password_is_refused_and_counted(client: TestClient, world: World) -> None:
    client.cookies.clear()
    response = login(client, "officer_b", "not the password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert "pw_session" not in response.headers.get("set-cookie", "")
    with world.session() as s:
        failures = s.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.username == "officer_b", LoginAttempt.succeeded.is_(False))
        )
    assert failures == 1


def test_login_without_its_form_token_is_refused(client: TestClient) -> None:
    client.cookies.clear()
    response = client.post(
        "/login", data={"username": "officer_a", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "form expired" in response.text
    assert "pw_session" not in response.headers.get("set-cookie", "")


def test_login_is_rate_limited_per_client_and_account(client: TestClient, world: World) -> None:
    with world.session() as s:
        create_user(s, actor="test", username="target", role="auditor", password=PASSWORD)
        s.commit()
    limit = world.settings.console.login_attempts_per_minute
    client.cookies.clear()
    for _ in range(limit):
        assert login(client, "target", "guess").status_code == 401
    blocked = login(client, "target", PASSWORD)  # even the right password waits now
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "60"
    assert "too many failed sign-ins" in blocked.text.lower()
    assert "wait 60 s and try again" in blocked.text
    with world.session() as s:
        s.execute(
            update(LoginAttempt)
            .where(LoginAttempt.username == "target")
            .values(at=utcnow() - timedelta(minutes=2))
        )
        s.commit()
    assert login(client, "target", PASSWORD).status_code == 303
    client.cookies.clear()


def test_expired_session_is_refused_on_api_and_redirected_on_pages(
    client: TestClient, world: World
) -> None:
    headers = session_headers(world, "officer_a")
    caller = Caller(client, headers)
    assert caller.get("/api/alerts").status_code == 200
    with world.session() as s:
        s.execute(
            update(LoginSession)
            .values(expires_at=utcnow() - timedelta(seconds=1))
            .where(LoginSession.csrf_token == headers["X-CSRF-Token"])
        )
        s.commit()
    api = caller.get("/api/alerts")
    assert api.status_code == 401
    assert api.json()["detail"] == "your session has expired; sign in again"
    page = caller.get("/alerts")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Falerts&expired=1"


def test_logout_ends_the_session(client: TestClient, world: World) -> None:
    caller = Caller(client, session_headers(world, "hoa_oak"))
    assert caller.post("/logout").status_code == 303
    assert caller.get("/api/me").status_code == 401
    with world.session() as s:
        assert s.scalar(
            select(AuditEvent.id).where(
                AuditEvent.action == "auth.logout", AuditEvent.actor == "hoa_oak"
            )
        )


def test_no_credentials_and_bad_tokens_are_refused(client: TestClient, world: World) -> None:
    client.cookies.clear()
    assert client.get("/api/me").status_code == 401
    bad = client.get("/api/me", headers={"Authorization": "Bearer pwt_not-a-real-token"})
    assert bad.status_code == 401
    assert "unknown, revoked or expired" in bad.json()["detail"]
    basic = client.get("/api/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"


def test_token_works_until_revoked_or_expired(client: TestClient, world: World) -> None:
    headers = token_headers(world, "auditor")
    assert client.get("/api/me", headers=headers).json()["via"] == "token"
    with world.session() as s:
        token = s.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
        assert token is not None and token.last_used_at is not None
        token.expires_at = utcnow() - timedelta(seconds=1)
        s.commit()
    assert client.get("/api/me", headers=headers).status_code == 401


def test_tokens_are_stored_only_as_hashes(world: World) -> None:
    headers = token_headers(world, "admin")
    secret = headers["Authorization"].removeprefix("Bearer ")
    with world.session() as s:
        stored = [row.token_hash for row in s.scalars(select(ApiToken))]
    assert secret not in stored and all(len(h) == 64 for h in stored)


def test_disabled_user_loses_sessions_and_tokens(client: TestClient, world: World) -> None:
    with world.session() as s:
        create_user(s, actor="test", username="leaver", role="auditor", password=PASSWORD)
        s.commit()
    session = Caller(client, session_headers(world, "leaver"))
    token = Caller(client, token_headers(world, "leaver"))
    admin = Caller(client, token_headers(world, "admin"))
    assert admin.post("/api/users/leaver/disable").status_code == 200
    assert session.get("/api/me").status_code == 401
    assert token.get("/api/me").status_code == 401
    client.cookies.clear()
    assert login(client, "leaver", PASSWORD).status_code == 401


def test_cookie_requests_that_change_things_need_the_csrf_token(
    client: TestClient, world: World, as_user: dict[str, Caller]
) -> None:
    headers = dict(as_user["hoa_oak"].headers)
    no_csrf = {"Cookie": headers["Cookie"]}
    body = {"plate": "CSRF1", "state": "CA", "label": "x"}
    site = world.ids["oak"]
    refused = client.post(f"/api/sites/{site}/safelist", json=body, headers=no_csrf)
    assert refused.status_code == 403
    assert "security token" in refused.json()["detail"]
    wrong = client.post(
        f"/api/sites/{site}/safelist",
        json=body,
        headers={**no_csrf, "X-CSRF-Token": "forged"},
    )
    assert wrong.status_code == 403
    form = client.post("/safelist/add", data=body, headers=no_csrf, follow_redirects=False)
    assert form.status_code == 403
    listed = as_user["hoa_oak"].get(f"/api/sites/{site}/safelist").json()
    assert "CSRF1" not in [e["plate"] for e in listed]  # nothing was written
    ok = client.post(f"/api/sites/{site}/safelist", json=body, headers=headers)
    assert ok.status_code == 201


def test_one_time_password_must_be_changed_first(client: TestClient, world: World) -> None:
    with world.session() as s:
        new = create_user(s, actor="test", username="rookie", role="auditor")
        s.commit()
    assert new.one_time_password
    client.cookies.clear()
    first = login(client, "rookie", new.one_time_password)
    assert first.headers["location"] == "/account/password"
    assert client.get("/audit", follow_redirects=False).headers["location"] == ("/account/password")
    assert client.get("/api/audit").status_code == 403
    page = client.get("/account/password")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    weak = client.post(
        "/account/password",
        data={
            "csrf_token": csrf.group(1),
            "current": new.one_time_password,
            "new": "short",
            "repeat": "short",
        },
    )
    assert weak.status_code == 400 and "at least 12" in weak.text
    done = client.post(
        "/account/password",
        data={
            "csrf_token": csrf.group(1),
            "current": new.one_time_password,
            "new": "a much longer secret",
            "repeat": "a much longer secret",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert client.get("/api/audit").status_code == 200
    with world.session() as s:
        user = s.scalar(select(User).where(User.username == "rookie"))
        assert user is not None and not user.must_change_password
    client.cookies.clear()


@pytest.mark.parametrize("path", ["/alerts", "/safelist", "/audit", "/admin/users"])
def test_pages_send_strict_security_headers(as_user: dict[str, Caller], path: str) -> None:
    role_user = {
        "/alerts": "officer_a",
        "/safelist": "hoa_oak",
        "/audit": "auditor",
        "/admin/users": "admin",
    }[path]
    response = as_user[role_user].get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
