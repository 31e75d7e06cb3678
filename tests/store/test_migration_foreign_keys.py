"""Migrations on SQLite run with foreign key enforcement off, so a table that batch mode
rebuilds does not take the rows pointing at it along (0008 rebuilt `users` and, with
enforcement on, deleted every session and API token); the rows are checked afterwards and
enforcement is back on for the connection."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from store.db import make_engine
from store.schema import MigrationError, upgrade

USER = (
    "INSERT INTO users (id, username, display_name, role, password_hash, must_change_password, "
    "disabled, created_at) VALUES (1, 'ann', '', 'auditor', 'x', 0, 0, '2026-01-01 00:00:00')"
)
TOKEN = (
    "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at, expires_at) "
    "VALUES (1, 1, 'cad', 'h', 'p', '2026-01-01 00:00:00', '2027-01-01 00:00:00')"
)


def test_upgrading_past_0008_keeps_the_users_api_tokens(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pw.db'}")
    try:
        upgrade(engine, "0007")
        with engine.begin() as conn:
            conn.execute(text(USER))
            conn.execute(text(TOKEN))
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM api_tokens")).scalar_one() == 1
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_migration_that_leaves_dangling_rows_is_rolled_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pw.db'}")
    try:
        upgrade(engine, "0007")
        with engine.connect() as conn:
            # A token whose user is gone: what a migration without enforcement could leave.
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            conn.execute(text(TOKEN))
            conn.commit()
        with pytest.raises(MigrationError, match=r"1 rows pointing at missing rows .*api_tokens"):
            upgrade(engine, "0008")
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            assert revision == "0007"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    finally:
        engine.dispose()
