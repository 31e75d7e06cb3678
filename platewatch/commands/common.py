"""What every `platewatch` command shares: `--config`, loading the settings, the database check
and how errors are printed. One line each (what, where, what to do), never a traceback:

- exit 2: the settings or the arguments are wrong (nothing was attempted);
- exit 1: the operation was attempted and failed (database unreachable or not upgraded, a bad
  row, a name that does not exist).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from platewatch.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

BAD_INPUT = 2
FAILED = 1

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="YAML settings file (default: $PLATEWATCH_CONFIG, if set)"),
]


def fail(message: str, code: int = FAILED) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings_of(config: Path | None, **overrides: Any) -> Settings:
    """The settings tree, or exit 2 with the file, line and field that are wrong."""
    try:
        return load_settings(config, **overrides)
    except SettingsError as exc:
        fail(str(exc), BAD_INPUT)


def database_problem(exc: Exception, url: str | None) -> str:
    """One line for a database error a command met: unreachable, or a schema not upgraded."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    where = _shown(url) if url else "the configured URL"
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else ""
    # SQLite says "no such table", PostgreSQL 'relation "x" does not exist'; a missing
    # database ('database "x" does not exist') is not something `db upgrade` can fix.
    missing_table = "no such table" in text or ("relation" in text and "does not exist" in text)
    if isinstance(exc, OperationalError | ProgrammingError) and missing_table:
        return (
            f"the database at {where} has no platewatch schema yet or an old one ({text}); "
            "run `platewatch db upgrade`"
        )
    return (
        f"cannot use the database at {where} ({text}); check database_url and that the "
        "server is running"
    )


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def engine_of(settings: Settings, *, check_schema: bool = True) -> Iterator[Engine]:
    """An engine for the settings' database, disposed afterwards. Unless `check_schema` is off
    (`db upgrade`), a database this code cannot use is refused first; database errors inside
    the block become one line and exit 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from store.db import make_engine
    from store.schema import schema_problem

    engine = make_engine(settings.effective_database_url)
    try:
        if check_schema and (problem := schema_problem(engine)):
            fail(f"the database at {_shown(settings.effective_database_url)} {problem}")
        yield engine
    except SQLAlchemyError as exc:
        fail(database_problem(exc, settings.effective_database_url))
    finally:
        engine.dispose()


@contextmanager
def unit_of_work(config: Path | None) -> Iterator[Session]:
    """One committed transaction; a service's refusal (DomainError, ValueError) is one line and
    exit 1, and nothing of it is written."""
    from hotlist.errors import ImportRejectedError
    from store.db import make_session_factory, transaction
    from store.errors import DomainError

    settings = settings_of(config)
    with engine_of(settings) as engine:
        try:
            with transaction(make_session_factory(engine)) as session:
                yield session
        except ImportRejectedError:
            raise  # the import command lists every bad row first
        except (DomainError, ValueError) as exc:
            fail(str(exc))
