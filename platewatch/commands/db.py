"""`platewatch db ...`: schema migrations; `platewatch audit ...`: the audit log's checkpoints.

`audit` exit codes: 0 all well, 1 the chain or its checkpoints do not verify, 2 bad settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platewatch.commands.common import ConfigOption, engine_of, fail, settings_of

if TYPE_CHECKING:
    from platewatch.settings import Settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(
    help="The hash-chained audit log and the signed checkpoints of its head.", no_args_is_help=True
)


@db_app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
    config: ConfigOption = None,
) -> None:
    """Create or migrate the database schema to the newest revision."""
    from store.schema import MigrationError, upgrade

    settings = settings_of(config)
    with engine_of(settings, check_schema=False) as engine:
        try:
            upgrade(engine, revision)
        except MigrationError as exc:
            fail(str(exc))
    typer.echo(f"database at {engine.url.render_as_string(hide_password=True)} is at {revision}")


def _settings(config: Path | None) -> Settings:
    return settings_of(config)


@audit_app.command("keygen")
def keygen_command(config: ConfigOption = None) -> None:
    """Create the Ed25519 key that signs checkpoints (mode 0600); prints its public key."""
    from store.signing import CheckpointKeyError, create_key

    path = _settings(config).checkpoint_paths().key
    try:
        signer = create_key(path)
    except CheckpointKeyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    verifier = signer.verifier
    typer.echo(f"checkpoint key {path} (key id {verifier.key_id})")
    typer.echo(f"public key (Ed25519, base64): {verifier.public_b64}")


AcceptOption = Annotated[
    list[str] | None,
    typer.Option(
        "--accept",
        help="re-sign a changed group of reads (day:YYYY-MM-DD) or a site (site:ID) that "
        "`retention audit` names, once you know the change was authorised; audited",
    ),
]


@audit_app.command("checkpoint")
def checkpoint_command(accept: AcceptOption = None, config: ConfigOption = None) -> None:
    """Sign the heads of the audit log and the receipt chain, and the digests of the reads;
    run it from cron, hourly."""
    import getpass

    from store.checkpoints import CheckpointError, publish_checkpoints
    from store.db import make_engine
    from store.read_chain import ReadsOptions
    from store.read_digests import parse_key
    from store.signing import CheckpointKeyError

    try:
        groups = frozenset(parse_key(key) for key in accept or ())
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--accept") from exc
    settings = _settings(config)
    engine = make_engine(settings.effective_database_url)
    paths = settings.checkpoint_paths()
    reads = ReadsOptions(accept=groups, actor=f"cli:{getpass.getuser()}")
    try:
        written = publish_checkpoints(engine, paths, reads=reads)
    except (CheckpointError, CheckpointKeyError) as exc:
        typer.echo(f"no checkpoint written: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    for cp in written:
        typer.echo(
            f"checkpoint {cp.chain}/{cp.seq}: head {cp.head_id} {cp.head_hash[:16]}..., "
            f"{cp.row_count} rows, appended to {paths.sink}"
        )


@audit_app.command("verify")
def verify_command(config: ConfigOption = None) -> None:
    """Recompute the audit log's chain, read every row's detail, check the head against its
    signed checkpoints, and the reads and sites against the digests the checkpoints signed."""
    from store.audit import unreadable_details, verify_audit_chain
    from store.checkpoint_verify import verify_checkpoints
    from store.db import make_engine, make_session_factory
    from store.read_verify import verify_reads

    settings = _settings(config)
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            problems = [
                f"audit event {b.event_id}: {b.problem}" for b in verify_audit_chain(session)
            ]
            problems += [
                f"audit event {u.event_id}: unreadable detail: {u.unreadable.problem}"
                for u in unreadable_details(session)
            ]
            problems += verify_checkpoints(session, "audit", settings.checkpoint_paths())
            problems += [p.problem for p in verify_reads(session, settings.checkpoint_paths())]
    finally:
        engine.dispose()
    if problems:
        typer.echo(f"audit log does not verify: {problems[0]}")
        for problem in problems[1:]:
            typer.echo(f"  also: {problem}")
        raise typer.Exit(1)
    typer.echo(
        "audit log verifies: chain intact, details readable, head matches its signed "
        "checkpoint, reads and sites as signed"
    )


@audit_app.command("flags")
def flags_command(
    out: Annotated[
        Path | None, typer.Option("--out", help="also write the report as JSON to this file")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """The nightly anomaly report: what the auditor's Flags page shows for the last
    `console.audit_flags.window_days` days, one line per flag with its audit rows."""
    import json
    from dataclasses import asdict

    from console.audit_flags import audit_flags
    from store.base import utcnow
    from store.db import make_session_factory

    settings = _settings(config)
    now = utcnow()
    with engine_of(settings) as engine, make_session_factory(engine)() as session:
        flags = audit_flags(session, settings.console.audit_flags, now)
    for flag in flags:
        rows = ",".join(str(i) for i in flag.event_ids)
        typer.echo(f"{flag.kind}: {flag.summary} (audit rows {rows})")
    days = settings.console.audit_flags.window_days
    typer.echo(f"{len(flags)} flags in the {days} days to {now:%Y-%m-%d %H:%M} UTC")
    if out is not None:
        report = {"generated_at": now.isoformat(), "flags": [asdict(f) for f in flags]}
        out.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(audit_app, name="audit")
