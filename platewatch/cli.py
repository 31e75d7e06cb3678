"""The `platewatch` command: one entry point; each stage registers its own commands."""

from __future__ import annotations

import functools
import itertools
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

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
    """Validate a settings file (and the PLATEWATCH_* environment) without starting anything:
    the keys and values, that the database URL parses and that the data dir is writable."""
    from platewatch.commands.common import BAD_INPUT, fail, settings_of

    settings = settings_of(file)
    problem = _url_problem(settings.effective_database_url) or _unwritable(settings.data_dir)
    if problem:
        fail(f"{file}: {problem}", BAD_INPUT)
    typer.echo(f"{file}: ok (database {settings.effective_database_url.split(':', 1)[0]})")


def _url_problem(url: str) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        shown = url.rsplit("@", maxsplit=1)[-1]  # never the password
        return (
            f"database_url {shown!r} is not a database URL ({exc}); "
            "use e.g. postgresql+psycopg://user@host/db"
        )
    return None


def _unwritable(data_dir: Path) -> str | None:
    """Why a process could not write under data_dir, or None (creating it if it is missing)."""
    import tempfile

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-check-"):
            pass
    except OSError as exc:
        return f"data_dir {data_dir} is not writable ({exc.strerror}); create it or fix its owner"
    return None


@config_app.command("show")
def config_show(
    file: Annotated[Path | None, typer.Option("--config", help="YAML settings file")] = None,
) -> None:
    """Print the effective settings as YAML, then every path as the processes will use it."""
    try:
        settings = load_settings(file)
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(yaml.safe_dump(settings.model_dump(mode="json"), sort_keys=False))
    typer.echo("# resolved paths")
    typer.echo(yaml.safe_dump({"paths": settings.resolved_paths()}, sort_keys=False))


@app.command("run")
def run_command(
    source: Annotated[
        str | None,
        typer.Option("--source", help="camera URL, video file, folder or image (default: demo)"),
    ] = None,
    models: Annotated[
        str | None, typer.Option("--models", help="model pack: auto, hub, offline or a directory")
    ] = None,
    durable: Annotated[
        bool, typer.Option("--durable", help="keep the embedded broker's log across restarts")
    ] = False,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="seed the demo agency, accounts and hotlist; read the demo clip"
        ),
    ] = False,
    config: Annotated[Path | None, typer.Option("--config", help="YAML settings file")] = None,
) -> None:
    """Run the whole pipeline here: broker, matcher, console and one edge reader.

    Plain `run` never creates or resets accounts; `--demo` seeds the demo world."""
    from platewatch.logs import configure_logging
    from platewatch.run import NotReadyError, RunOptions, run_pipeline

    configure_logging()
    try:
        settings = load_settings(config)
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if not demo and source is None:
        typer.echo(
            "run: pass --source URL|FILE for a camera, or --demo for the demo clip", err=True
        )
        raise typer.Exit(2)
    if config is not None:
        # The children read the same file.
        os.environ["PLATEWATCH_CONFIG"] = str(config.resolve())
    options = RunOptions(source=source, models=models, durable=durable, demo=demo)
    try:
        code = run_pipeline(settings, options)
    except NotReadyError as exc:
        typer.echo(f"run: {exc}", err=True)
        raise typer.Exit(1) from exc
    raise typer.Exit(code)


def _register_stages() -> None:
    # Each stage owns its commands; importing here keeps `platewatch --help` complete
    # while the heavy imports (onnxruntime, cv2, kafka) stay inside the commands.
    from platewatch.commands.alpr import register as register_alpr
    from platewatch.commands.console import register as register_console
    from platewatch.commands.db import register as register_store
    from platewatch.commands.lists import register as register_lists
    from platewatch.commands.org import register as register_org
    from platewatch.commands.retention import register as register_retention
    from platewatch.commands.stream import register as register_stream

    for register in (
        register_alpr,
        register_store,
        register_org,
        register_lists,
        register_stream,
        register_console,
        register_retention,
    ):
        register(app)


_register_stages()


@functools.cache
def click_command() -> Any:
    """The command tree, built once per process (Typer would rebuild it on every call)."""
    return typer.main.get_command(app)


def main(argv: list[str] | None = None) -> None:
    """The console script. A settings or database error a command did not turn into its own
    message is still one line (exit 2 or 1), never a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from platewatch.commands.common import BAD_INPUT, FAILED, database_problem

    try:
        click_command()(args=argv, prog_name="platewatch")
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(BAD_INPUT) from None
    except SQLAlchemyError as exc:
        typer.echo(f"error: {database_problem(exc, _database_url(argv))}", err=True)
        raise SystemExit(FAILED) from None


def _database_url(argv: list[str] | None) -> str | None:
    """The URL the failed command used, for its error line (best effort: None if unknown)."""
    args = sys.argv[1:] if argv is None else argv
    config = next((Path(b) for a, b in itertools.pairwise(args) if a == "--config"), None)
    try:
        return load_settings(config).effective_database_url
    except SettingsError:
        return None
