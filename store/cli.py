"""`platewatch db ...`: schema migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", help="YAML settings file")]


@db_app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
    config: ConfigOption = None,
) -> None:
    """Create or migrate the database schema to the newest revision."""
    from platewatch.settings import load_settings
    from store.db import make_engine
    from store.schema import upgrade

    settings = load_settings(config)
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade(engine, revision)
    finally:
        engine.dispose()
    typer.echo(f"database at {engine.url.render_as_string(hide_password=True)} is at {revision}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
