"""Shared fixtures: real databases (SQLite file and PostgreSQL on 127.0.0.1), cleaned up after.

PostgreSQL tests get a database of their own per test run, and each test a fresh schema in it,
so runs never see each other's rows. Set PLATEWATCH_TEST_PG_URL to point elsewhere.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

import store.tables  # noqa: F401  (every table on the metadata)
from store.base import Base
from store.db import make_engine, make_session_factory

PG_ADMIN_URL = os.environ.get(
    "PLATEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"test data not found at {SHARED}: ../shared must sit beside the checkout")
    return SHARED


@contextmanager
def scratch_pg_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on admin_url's server, dropped (its connections ended
    first) on exit: the one way tests make a database of their own."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except OperationalError as exc:
            pytest.fail(
                f"PostgreSQL at {admin_url} is not reachable: {exc}; start it, or point "
                "PLATEWATCH_TEST_PG_URL at one"
            )
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A PostgreSQL database for this test run, dropped at the end."""
    with scratch_pg_database(PG_ADMIN_URL, f"platewatch_test_{os.getpid()}") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL on each backend: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'platewatch.db'}"
        return
    with scratch_pg_database(request.getfixturevalue("pg_database_url"), "pw") as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database with the whole schema, on both backends."""
    eng = make_engine(db_url)
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session inside one transaction that the test may flush or commit."""
    with session_factory() as s:
        yield s


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium through Playwright (its own browser download cannot work offline)."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()
