"""`platewatch users add|disable|token|reset|list` and `platewatch serve --help`."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from console.accounts.logins import LoginFailedError, authenticate, find_token
from console.accounts.throttle import admit
from org.registry import create_agency, create_site
from platewatch.cli import app
from store.base import Base
from store.db import make_engine, make_session_factory
from store.tables import AuditEvent, User

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as s:
        create_agency(s, "Metro PD")
        create_site(s, "Oak Ridge HOA")
        s.commit()
    engine.dispose()
    monkeypatch.setenv("PLATEWATCH_DATABASE_URL", url)
    yield url


def _session(url: str) -> Session:
    return make_session_factory(make_engine(url))()


def _sign_in(session: Session, username: str, password: str) -> User:
    admission = admit(session, username=username, client="cli-test", limit=5)
    return authenticate(session, admission, password=password)


def test_add_prints_a_one_time_password_once_and_never_logs_it(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = runner.invoke(
        app,
        ["users", "add", "Jdoe", "--role", "officer", "--agency", "Metro PD", "--name", "J. Doe"],
    )
    assert result.exit_code == 0, result.output
    found = re.search(r"one-time password \(shown once\): (\S+)", result.output)
    assert found
    password = found.group(1)
    assert password not in caplog.text
    with _session(db) as s:
        user = _sign_in(s, "jdoe", password)
        assert user.role == "officer" and user.must_change_password
        assert user.password_hash != password and user.password_hash.startswith("$argon2id$")
        actor = s.scalar(select(AuditEvent.actor).where(AuditEvent.action == "user.create"))
        assert actor is not None and actor.startswith("cli:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "add", "x1", "--role", "chief"], "unknown role 'chief'"),
        (["users", "add", "x2", "--role", "officer"], "an officer must belong to an agency"),
        (["users", "add", "x4", "--role", "supervisor"], "a supervisor must belong to an agency"),
        (["users", "add", "x5", "--role", "resident"], "residents sign up themselves at /join"),
        (["users", "add", "x3", "--role", "hoa_admin", "--site", "Nowhere"], "no site 'Nowhere'"),
        (["users", "disable", "ghost"], "no user 'ghost'"),
        (["users", "token", "ghost", "--name", "cad"], "no user 'ghost'"),
        (["users", "revoke-token", "41"], "no API token with id 41"),
    ],
)
def test_mistakes_are_explained_and_change_nothing(db: str, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert message in result.output
    with _session(db) as s:
        assert s.scalars(select(User)).all() == []


def test_token_and_disable(db: str) -> None:
    assert runner.invoke(app, ["users", "add", "bridge", "--role", "auditor"]).exit_code == 0
    result = runner.invoke(
        app, ["users", "token", "bridge", "--name", "cad-bridge", "--days", "30"]
    )
    assert result.exit_code == 0, result.output
    secret = re.search(r"\(shown once\): (pwt_\S+)", result.output)
    assert secret
    with _session(db) as s:
        match = find_token(s, secret.group(1))
        assert match is not None and match.user.username == "bridge"
    token_id = re.search(r"token (\d+) for bridge", result.output)
    assert token_id
    revoked = runner.invoke(app, ["users", "revoke-token", token_id.group(1)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    with _session(db) as s:
        assert find_token(s, secret.group(1)) is None
        assert s.scalar(select(AuditEvent.detail).where(AuditEvent.action == "token.revoke"))
    disabled = runner.invoke(app, ["users", "disable", "bridge"])
    assert disabled.exit_code == 0 and "no longer work" in disabled.output
    with _session(db) as s:
        assert find_token(s, secret.group(1)) is None
    listed = runner.invoke(app, ["users", "list"])
    assert re.search(r"bridge\s+auditor\s+-\s+disabled", listed.output)


def test_reset_gives_a_new_one_time_password(db: str) -> None:
    runner.invoke(app, ["users", "add", "hoa1", "--role", "hoa_admin", "--site", "Oak Ridge HOA"])
    result = runner.invoke(app, ["users", "reset", "hoa1"])
    password = re.search(r"\(shown once\): (\S+)", result.output)
    assert result.exit_code == 0 and password
    with _session(db) as s:
        assert _sign_in(s, "hoa1", password.group(1)).site_id is not None
        with pytest.raises(LoginFailedError):
            _sign_in(s, "hoa1", "wrong")


def test_serve_is_registered() -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output


def test_serve_runs_the_console_with_offline_docs(db: str, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Public here to fetch them without signing in; who may read them is tested in test_ops.
    env = {**os.environ, "PLATEWATCH_DATABASE_URL": db, "PLATEWATCH_CONSOLE__API_DOCS": "public"}
    process = subprocess.Popen(
        [sys.executable, "-m", "platewatch", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "platewatch serve did not come up"
            time.sleep(0.2)
        docs = httpx.get(f"{base}/docs")
        assert docs.status_code == 200 and "/static/docs/swagger-ui-bundle.js" in docs.text
        assert "cdn." not in docs.text  # everything is served locally
        assert httpx.get(f"{base}/static/docs/swagger-ui-bundle.js").status_code == 200
        spec = httpx.get(f"{base}/openapi.json").json()
        assert {"/api/alerts", "/api/reads/search", "/api/audit"} <= set(spec["paths"])
        assert httpx.get(f"{base}/static/app.css").status_code == 200
    finally:
        process.terminate()
        process.wait(15)


def test_a_supervisor_is_added_for_an_agency(db: str) -> None:
    result = runner.invoke(
        app, ["users", "add", "sgt", "--role", "supervisor", "--agency", "Metro PD"]
    )
    assert result.exit_code == 0, result.output
    with _session(db) as s:
        user = s.scalars(select(User).where(User.username == "sgt")).one()
        assert user.role == "supervisor" and user.agency_id is not None
