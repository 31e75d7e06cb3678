"""Commands of the retention stage: purge, audit, receipts and legal holds.

Exit codes are for cron and monitoring: 0 all well, 1 violations or files that could not be
deleted, 2 bad settings or arguments, 75 (EX_TEMPFAIL) another purge holds the lock.
"""

from __future__ import annotations

import getpass
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platewatch.commands.common import ConfigOption, settings_of

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from platewatch.settings import Settings
    from retention.purge import PurgeProgress

EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_BUSY = 75

log = logging.getLogger(__name__)

retention_app = typer.Typer(
    help="Image retention: the purge, its receipts and audit, and legal holds.",
    no_args_is_help=True,
)
hold_app = typer.Typer(
    help="Legal holds that keep a read's images past policy.", no_args_is_help=True
)
retention_app.add_typer(hold_app, name="hold")

JsonOption = Annotated[bool, typer.Option("--json", help="print one JSON document")]


def _settings(config: Path | None) -> Settings:
    from platewatch.logs import configure_logging

    settings = settings_of(config)
    configure_logging()
    return settings


def _engine(settings: Settings) -> Engine:
    from store.db import make_engine

    return make_engine(settings.effective_database_url)


def _echo(lines: list[str]) -> None:
    typer.echo("\n".join(lines))


def _busy(exc: Exception, as_json: bool) -> typer.Exit:
    if as_json:
        from retention.render import as_json as dump

        typer.echo(dump({"status": "busy", "message": str(exc)}))
    typer.echo(f"{exc}; exiting with {EXIT_BUSY} so cron retries later", err=True)
    return typer.Exit(EXIT_BUSY)


@contextmanager
def _progress_reporter(total: int | None) -> Iterator[Callable[[PurgeProgress], None]]:
    """A rich bar on a terminal; otherwise a log line every ten seconds for cron logs."""
    if total is None:
        last = [time.monotonic()]

        def log_progress(p: PurgeProgress) -> None:
            if time.monotonic() - last[0] >= 10:
                last[0] = time.monotonic()
                log.info("purged %s reads, %s files (%s batches)", p.reads, p.files, p.batches)

        yield log_progress
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("purging reads", total=total)
        yield lambda p: bar.update(task, completed=p.reads)


@retention_app.command("purge")
def purge_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="count what is due; change nothing")
    ] = False,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Delete the images of reads past their retention policy and write a receipt."""
    from retention.lock import PurgeAlreadyRunningError
    from retention.plan import plan_purge
    from retention.purge import run_purge
    from retention.render import as_json as dump
    from retention.render import plan_lines, result_lines
    from store.db import make_session_factory

    settings = _settings(config)
    engine = _engine(settings)
    interactive = sys.stderr.isatty() and not as_json
    total = None
    if dry_run or interactive:
        with make_session_factory(engine)() as session:
            plan = plan_purge(session, settings.retention)
        if dry_run:
            typer.echo(dump(plan)) if as_json else _echo(plan_lines(plan))
            return
        total = plan.reads
    try:
        with _progress_reporter(total) as progress:
            result = run_purge(
                engine,
                settings.retention,
                settings.edge.image_root,
                progress=progress,
                checkpoints=settings.checkpoint_paths(),
            )
    except PurgeAlreadyRunningError as exc:
        raise _busy(exc, as_json) from exc
    typer.echo(dump(result)) if as_json else _echo(result_lines(result))
    if result.checkpoint_error:
        typer.echo(f"no checkpoint signed after the purge: {result.checkpoint_error}", err=True)
    if result.failed_paths or result.checkpoint_error:
        raise typer.Exit(EXIT_PROBLEMS)


@retention_app.command("audit")
def audit_command(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """Check the promise: nothing past policy unless held, disk and database agree, receipts
    chain. Exits 0 when all hold, 1 with the violations listed."""
    from retention.audit import run_audit
    from retention.lock import PurgeAlreadyRunningError
    from retention.render import as_json as dump
    from retention.render import audit_lines

    settings = _settings(config)
    try:
        report = run_audit(
            _engine(settings),
            settings.retention,
            settings.edge.image_root,
            checkpoints=settings.checkpoint_paths(),
        )
    except PurgeAlreadyRunningError as exc:
        raise _busy(exc, as_json) from exc
    if as_json:
        typer.echo(dump({"ok": report.ok, **_asdict(report)}))
    else:
        _echo(audit_lines(report))
    if not report.ok:
        raise typer.Exit(EXIT_PROBLEMS)


def _asdict(value: object) -> dict[str, object]:
    import dataclasses

    assert dataclasses.is_dataclass(value) and not isinstance(value, type)
    return dataclasses.asdict(value)


@retention_app.command("receipts")
def receipts_command(
    limit: Annotated[int, typer.Option(min=1, help="how many, newest first")] = 20,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """List purge receipts, newest first."""
    from retention.receipts import list_receipts
    from retention.render import as_json as dump
    from retention.render import receipt_lines
    from store.db import make_session_factory

    settings = _settings(config)
    with make_session_factory(_engine(settings))() as session:
        receipts = list_receipts(session, limit=limit)
    if as_json:
        typer.echo(dump(receipts))
    else:
        _echo([line for r in receipts for line in receipt_lines(r)] or ["no receipts yet"])


@retention_app.command("receipt-ids")
def receipt_ids_command(receipt_id: int, config: ConfigOption = None) -> None:
    """Print the read ids a receipt covers, one per line, in digest order
    (`... | sha256sum` gives the receipt's ids digest)."""
    from retention.receipts import get_receipt, receipt_read_ids
    from store.db import make_session_factory

    settings = _settings(config)
    with make_session_factory(_engine(settings))() as session:
        if get_receipt(session, receipt_id) is None:
            typer.echo(
                f"no receipt {receipt_id}; list them with `platewatch retention receipts`", err=True
            )
            raise typer.Exit(EXIT_USAGE)
        for read_id in receipt_read_ids(session, receipt_id):
            typer.echo(read_id)


def parse_until(text: str) -> datetime:
    """An ISO 8601 end time with an offset (`Z` for UTC), a date (00:00 UTC), or `90d`."""
    text = text.strip()
    if text.endswith("d") and text[:-1].isdigit():
        return datetime.now(UTC) + timedelta(days=int(text[:-1]))
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        msg = f"--until {text!r}: not a date or time; use e.g. 2025-01-31, 2025-01-31T18:00Z or 90d"
        raise typer.BadParameter(msg) from exc
    if len(text) == 10:
        return value.replace(tzinfo=UTC)
    if value.tzinfo is None:
        msg = f"--until {text!r} has no UTC offset; add one, e.g. {text}Z for UTC"
        raise typer.BadParameter(msg)
    return value.astimezone(UTC)


def _actor() -> str:
    """The login name running the command: the audit log never takes a name typed in."""
    return f"cli:{getpass.getuser()}"


@hold_app.command("add")
def hold_add(
    read_id: Annotated[str, typer.Argument(help="the read whose images to keep")],
    *,
    reason: Annotated[str, typer.Option(help="why (request, court order), for the audit log")],
    until: Annotated[str, typer.Option(help="end: 2025-01-31 (00:00 UTC), 2025-01-31T18:00Z, 90d")],
    case_number: Annotated[str | None, typer.Option(help="case the hold serves")] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Keep a read's images past its policy until the given end; audited."""
    from retention.holds import HoldError, place_hold
    from retention.render import as_json as dump
    from retention.render import hold_lines
    from store.db import make_session_factory, transaction

    end = parse_until(until)
    settings = _settings(config)
    try:
        with transaction(make_session_factory(_engine(settings))) as session:
            hold = place_hold(
                session,
                read_id=read_id,
                actor=_actor(),
                reason=reason,
                until=end,
                case_number=case_number,
            )
    except HoldError as exc:
        typer.echo(f"hold not placed: {exc}", err=True)
        raise typer.Exit(EXIT_PROBLEMS) from exc
    typer.echo(dump(hold)) if as_json else _echo(hold_lines([hold]))


@hold_app.command("release")
def hold_release(
    hold_id: Annotated[int, typer.Argument(help="the hold's id (see `hold list`)")],
    reason: Annotated[str, typer.Option(help="why it ends now, for the audit log")],
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """End a hold now; the read's images become due again under its policy. Audited."""
    from retention.holds import HoldError, release_hold
    from retention.render import as_json as dump
    from retention.render import hold_lines
    from store.db import make_session_factory, transaction

    settings = _settings(config)
    try:
        with transaction(make_session_factory(_engine(settings))) as session:
            hold = release_hold(session, hold_id, actor=_actor(), reason=reason)
    except HoldError as exc:
        typer.echo(f"hold not released: {exc}", err=True)
        raise typer.Exit(EXIT_PROBLEMS) from exc
    typer.echo(dump(hold)) if as_json else _echo(hold_lines([hold]))


@hold_app.command("list")
def hold_list(
    include_ended: Annotated[
        bool, typer.Option("--all", help="include ended and released")
    ] = False,
    read_id: Annotated[str | None, typer.Option(help="only this read's holds")] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """List holds, newest first (by default only those in force)."""
    from retention.holds import list_holds
    from retention.render import as_json as dump
    from retention.render import hold_lines
    from store.db import make_session_factory

    settings = _settings(config)
    with make_session_factory(_engine(settings))() as session:
        holds = list_holds(session, include_ended=include_ended, read_id=read_id)
    typer.echo(dump(holds)) if as_json else _echo(hold_lines(holds))


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root `platewatch` app."""
    app.add_typer(retention_app, name="retention")
