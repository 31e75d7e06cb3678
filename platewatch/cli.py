"""The `platewatch` command: one entry point; each stage registers its own commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platewatch.settings import SettingsError, load_settings

app = typer.Typer(
    name="platewatch",
    help="License-plate-reader alert pipeline: edge reading, hotlist matching, alerts, retention.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Inspect and validate settings.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("check")
def config_check(
    file: Annotated[Path, typer.Argument(help="YAML settings file to validate")],
) -> None:
    """Validate a settings file (and the PLATEWATCH_* environment) without starting anything."""
    try:
        settings = load_settings(file)
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{file}: ok (database {settings.effective_database_url.split(':', 1)[0]})")


@config_app.command("show")
def config_show(
    file: Annotated[Path | None, typer.Option("--config", help="YAML settings file")] = None,
) -> None:
    """Print the effective settings as YAML."""
    import yaml

    try:
        settings = load_settings(file)
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(yaml.safe_dump(settings.model_dump(mode="json"), sort_keys=False))


def _register_stages() -> None:
    # Each stage owns its commands; importing here keeps `platewatch --help` complete
    # while the heavy imports (onnxruntime, cv2, kafka) stay inside the commands.
    from alpr.cli import register as register_alpr
    from console.cli import register as register_console
    from hotlist.cli import register as register_hotlist
    from retention.cli import register as register_retention
    from store.cli import register as register_store
    from stream.cli import register as register_stream

    for register in (
        register_alpr,
        register_store,
        register_hotlist,
        register_stream,
        register_console,
        register_retention,
    ):
        register(app)


_register_stages()


def main() -> None:
    app()
