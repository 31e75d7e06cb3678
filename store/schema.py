"""Schema migrations (Alembic), run programmatically so no alembic.ini has to be found."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the newest schema)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


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
