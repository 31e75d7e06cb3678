"""Schema migrations (Alembic), run programmatically so no alembic.ini has to be found."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


class MigrationError(RuntimeError):
    """A migration left the database inconsistent; its transaction was rolled back."""


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the newest schema)."""
    _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to `revision`, keeping every row the older schema can hold."""
    _migrate(engine, command.downgrade, revision)


def _migrate(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    config = alembic_config(engine)
    with engine.connect() as connection, _foreign_keys_off(connection), connection.begin():
        config.attributes["connection"] = connection
        step(config, revision)
        _check_foreign_keys(connection)


@contextmanager
def _foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite without foreign key enforcement while migrations run.

    Alembic's batch mode rebuilds a table to change it, and dropping the old copy with
    foreign keys on deletes every row that points at it (ON DELETE CASCADE): 0008 rebuilt
    `users` and took every session and API token with it. The pragma cannot change inside a
    transaction, so it is set on the connection before the migration's transaction begins, and
    the result is checked with `foreign_key_check` before that transaction commits.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        msg = (
            f"the migration left {len(broken)} rows pointing at missing rows (first: "
            f"{table} row {rowid} -> {parent}); nothing was changed: report this as a bug"
        )
        raise MigrationError(msg)


def schema_problem(engine: Engine) -> str | None:
    """Why this code cannot use the database's schema, or None when it can.

    A database made by `Base.metadata.create_all` (tests, tools) has tables but no Alembic
    revision; it counts as current. A database with neither has no schema at all.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        has_tables = inspect(connection).has_table("plate_reads")
    if current == head or (current is None and has_tables):
        return None
    if current is None:
        return "has no platewatch schema yet; run `platewatch db upgrade`"
    return (
        f"is at schema revision {current}, this platewatch needs {head}; "
        "run `platewatch db upgrade`"
    )
