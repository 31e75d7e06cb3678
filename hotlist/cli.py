"""Command-line commands of the `hotlist` stage: agencies, sites, cameras, lists, matching."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from platewatch.settings import Settings

ConfigOption = Annotated[Path | None, typer.Option("--config", help="YAML settings file")]


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def settings_of(config: Path | None) -> Settings:
    from platewatch.settings import SettingsError, load_settings

    try:
        return load_settings(config)
    except SettingsError as exc:
        fail(str(exc))


@contextmanager
def unit_of_work(config: Path | None) -> Iterator[Session]:
    """One committed transaction; a DomainError or ValueError becomes a clean exit 1."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from hotlist.errors import ImportRejectedError
    from store.db import make_engine, make_session_factory, transaction
    from store.errors import DomainError

    settings = settings_of(config)
    engine = make_engine(settings.effective_database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            yield session
    except ImportRejectedError:
        raise  # the import command lists every bad row first
    except (DomainError, ValueError) as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        fail(f"database error ({exc.orig}); is the schema up to date? run `platewatch db upgrade`")
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root `platewatch` app."""
    from hotlist.cli_lists import hotlist_app, safelist_app
    from hotlist.cli_match import register_match
    from hotlist.cli_sites import agency_app, camera_app, site_app

    register_match(hotlist_app)
    app.add_typer(agency_app, name="agency")
    app.add_typer(site_app, name="site")
    app.add_typer(camera_app, name="camera")
    app.add_typer(hotlist_app, name="hotlist")
    app.add_typer(safelist_app, name="safelist")
