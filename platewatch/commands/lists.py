"""`platewatch hotlist ...` and `platewatch safelist ...`: loading and inspecting lists."""
# ruff: noqa: PLR0917  (heavy imports stay inside commands; typer options are parameters)

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from platewatch.commands.common import ConfigOption, fail, settings_of, unit_of_work

if TYPE_CHECKING:
    from hotlist.historical import HistoryCheck
    from hotlist.parse import RowError

hotlist_app = typer.Typer(
    help="Watch lists (hotlists): import, inspect, match.", no_args_is_help=True
)
safelist_app = typer.Typer(help="Residents' safe lists, per site.", no_args_is_help=True)
_SHOWN_ERRORS = 1000

FileArg = Annotated[
    Path,
    typer.Argument(
        metavar="FILE", exists=True, dir_okay=False, help="CSV (or delimited feed) to load"
    ),
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="write here instead of stdout")
]
SkipOption = Annotated[
    bool, typer.Option("--skip-invalid", help="import the valid rows, report the bad ones")
]
ErrorsOption = Annotated[
    Path | None, typer.Option("--errors-file", help="write every bad row here")
]


def cli_actor() -> str:
    """Who runs the command, for the audit log: the login name, never a name typed in."""
    return f"cli:{getpass.getuser()}"


def report_errors(file: Path, errors: tuple[RowError, ...], errors_file: Path | None) -> None:
    for error in errors[:_SHOWN_ERRORS]:
        typer.echo(error.located(file), err=True)
    if len(errors) > _SHOWN_ERRORS:
        typer.echo(
            f"... and {len(errors) - _SHOWN_ERRORS} more bad rows"
            + ("" if errors_file else "; --errors-file FILE lists them all"),
            err=True,
        )
    if errors_file is not None:
        errors_file.write_text("".join(e.located(file) + "\n" for e in errors), encoding="utf-8")


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        yield handle


@hotlist_app.command("import")
def hotlist_import(
    file: FileArg,
    list_name: Annotated[str, typer.Option("--list", help="hotlist name (created if new)")],
    fmt: Annotated[str, typer.Option("--format", help="csv (with a header) or delimited")] = "csv",
    columns: Annotated[
        str | None,
        typer.Option(help="field map: plate=HEADER,... for csv, plate=1,state=2,... for delimited"),
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="default , for csv and ; for delimited")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="swap the whole list in one transaction")
    ] = False,
    skip_invalid: SkipOption = False,
    errors_file: ErrorsOption = None,
    source: Annotated[
        str, typer.Option(help="for a new list: ncic, state, agency, site, custom")
    ] = "custom",
    config: ConfigOption = None,
) -> None:
    """Load a hotlist feed. Any bad row rejects the whole file unless --skip-invalid."""
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from hotlist.errors import ImportRejectedError
    from hotlist.list_admin import ListActor, audit_import
    from hotlist.lists import import_hotlist
    from hotlist.parse import parse_column_map

    if fmt not in ("csv", "delimited"):
        fail(f"--format {fmt!r}: use csv or delimited")
    try:
        column_map = parse_column_map(columns)
    except ValueError as exc:
        fail(str(exc))
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}"),
        TimeElapsedColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
        console=None,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = "checking rows" if stage == "parse" else "writing entries"
                tasks[stage] = bar.add_task(label, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        try:
            with unit_of_work(config) as session:
                report = import_hotlist(
                    session,
                    file,
                    list_name=list_name,
                    fmt=fmt,  # type: ignore[arg-type]
                    columns=column_map,
                    delimiter=delimiter,
                    replace=replace,
                    skip_invalid=skip_invalid,
                    list_source=source,
                    progress=progress,
                    history=_history(config),
                )
                audit_import(session, ListActor.cli(), report, list_name, replace=replace)
        except ImportRejectedError as exc:
            bar.stop()
            report_errors(file, exc.errors, errors_file)  # type: ignore[arg-type]
            fail(f"{file}: {exc}")
    report_errors(file, report.errors, errors_file)
    created = " (new list)" if report.created else ""
    typer.echo(
        f"{report.list_name}{created}: {report.imported:,} entries imported"
        + (f", {report.removed:,} removed" if replace else "")
        + (f", {report.unchanged:,} already listed" if report.unchanged else "")
        + (f", {report.skipped_invalid:,} invalid rows skipped" if report.skipped_invalid else "")
        + (
            f"; {report.historical_alerts:,} historical alerts from stored reads"
            if report.historical_alerts
            else ""
        )
    )


def _history(config: Path | None) -> HistoryCheck:
    """New entries are looked for as far back as the configured retention keeps reads."""
    from hotlist.historical import HistoryCheck

    settings = settings_of(config)
    return HistoryCheck(window_days=settings.retention.image_days, settings=settings.matching)


@hotlist_app.command("create")
def hotlist_create(
    name: Annotated[str, typer.Argument(help="list name")],
    source: Annotated[str, typer.Option(help="ncic, state, agency, site, custom")] = "custom",
    priority: Annotated[int, typer.Option(help="1 (highest) to 9")] = 1,
    agency: Annotated[str | None, typer.Option(help="owning agency")] = None,
    site: Annotated[str | None, typer.Option(help="owning site (its own watch list)")] = None,
    config: ConfigOption = None,
) -> None:
    """Create an empty hotlist."""
    from hotlist.list_admin import ListActor, create_list

    with unit_of_work(config) as session:
        hotlist = create_list(
            session,
            ListActor.cli(),
            name,
            source=source,
            priority=priority,
            owner_agency=agency,
            owner_site=site,
        )
        typer.echo(f"hotlist {hotlist.name!r} created (id {hotlist.id})")


@hotlist_app.command("list")
def hotlist_list(config: ConfigOption = None) -> None:
    """Every hotlist with its size, version and last refresh."""
    from hotlist.lists import hotlist_summaries

    with unit_of_work(config) as session:
        typer.echo("name\tsource\tpriority\tentries\tversion\trefreshed_at")
        for h in hotlist_summaries(session):
            refreshed = h.refreshed_at.isoformat(timespec="seconds") if h.refreshed_at else "-"
            typer.echo(f"{h.name}\t{h.source}\t{h.priority}\t{h.entries}\t{h.version}\t{refreshed}")


@hotlist_app.command("show")
def hotlist_show(
    name: Annotated[str, typer.Argument(help="list name or id")],
    limit: Annotated[int, typer.Option(help="entries to print")] = 20,
    config: ConfigOption = None,
) -> None:
    """A list's details and its first entries."""
    from sqlalchemy import func, select

    from hotlist.lists import get_hotlist
    from store.tables import HotlistEntry

    with unit_of_work(config) as session:
        h = get_hotlist(session, name)
        count = session.scalar(select(func.count()).where(HotlistEntry.hotlist_id == h.id))
        typer.echo(
            f"{h.name} (id {h.id}): source {h.source}, priority {h.priority}, "
            f"{count:,} entries, version {h.version}, refreshed "
            f"{h.refreshed_at.isoformat(timespec='seconds') if h.refreshed_at else 'never'}"
        )
        entries = session.scalars(
            select(HotlistEntry)
            .where(HotlistEntry.hotlist_id == h.id)
            .order_by(HotlistEntry.id)
            .limit(limit)
        )
        for e in entries:
            vehicle = " ".join(v for v in (e.color, e.make, e.model) if v)
            typer.echo(
                f"  {e.plate}\t{e.state or '-'}\t{e.reason}\t{vehicle or '-'}\t"
                f"{e.record_number or '-'}"
            )


@hotlist_app.command("export")
def hotlist_export(
    name: Annotated[str, typer.Argument(help="list name or id")],
    output: OutputOption = None,
    config: ConfigOption = None,
) -> None:
    """Write a list as CSV (the import's format)."""
    from hotlist.list_admin import ListActor, audit_export
    from hotlist.lists import export_hotlist

    with unit_of_work(config) as session, _output(output) as out:
        count = export_hotlist(session, name, out)
        audit_export(session, ListActor.cli(), name, count)
    typer.echo(f"{count:,} entries exported", err=True)


@hotlist_app.command("add")
def hotlist_add(
    name: Annotated[str, typer.Argument(help="list name or id")],
    plate: Annotated[str, typer.Argument(help="plate; ? and * for partial plates")],
    state: Annotated[str, typer.Option(help="state or country code")] = "",
    reason: Annotated[str, typer.Option(help="stolen_vehicle, wanted_person, ...")] = "",
    make: Annotated[str, typer.Option()] = "",
    model: Annotated[str, typer.Option()] = "",
    color: Annotated[str, typer.Option()] = "",
    record: Annotated[str, typer.Option(help="record number")] = "",
    expires: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
    config: ConfigOption = None,
) -> None:
    """Add one entry to a list."""
    from hotlist.list_admin import ListActor, audit_entry_add
    from hotlist.lists import add_entry

    with unit_of_work(config) as session:
        entry = add_entry(
            session,
            name,
            plate=plate,
            state=state,
            reason=reason,
            make=make,
            model=model,
            color=color,
            record_number=record,
            expires_at=expires,
            history=_history(config),
        )
        audit_entry_add(session, ListActor.cli(), name)
        typer.echo(f"{entry.plate} added to {name!r}")


@hotlist_app.command("remove")
def hotlist_remove(
    name: Annotated[str, typer.Argument(help="list name or id")],
    plate: Annotated[str, typer.Argument()],
    state: Annotated[str | None, typer.Option(help="only this state's entry")] = None,
    config: ConfigOption = None,
) -> None:
    """Remove a plate's entries from a list."""
    from hotlist.list_admin import ListActor, audit_entry_remove
    from hotlist.lists import remove_entries

    with unit_of_work(config) as session:
        removed = remove_entries(session, name, plate, state)
        if removed:
            audit_entry_remove(session, ListActor.cli(), name, removed)
    typer.echo(f"{removed} entries removed")


@safelist_app.command("import")
def safelist_import(
    file: FileArg,
    site: Annotated[str, typer.Option(help="site name or id")],
    replace: Annotated[bool, typer.Option("--replace", help="swap the site's whole list")] = False,
    skip_invalid: SkipOption = False,
    errors_file: ErrorsOption = None,
    config: ConfigOption = None,
) -> None:
    """Load a site's safe list from CSV (plate, state, label, expires_at)."""
    from hotlist.errors import ImportRejectedError
    from hotlist.safelists import import_safelist

    try:
        with unit_of_work(config) as session:
            report = import_safelist(
                session,
                file,
                site=site,
                added_by=cli_actor(),
                replace=replace,
                skip_invalid=skip_invalid,
            )
    except ImportRejectedError as exc:
        report_errors(file, exc.errors, errors_file)  # type: ignore[arg-type]
        fail(f"{file}: {exc}")
    report_errors(file, report.errors, errors_file)
    typer.echo(
        f"{report.site}: {report.added} added, {report.updated} updated"
        + (f", {report.removed} replaced" if replace else "")
        + (f", {report.skipped_invalid} invalid rows skipped" if report.skipped_invalid else "")
    )


@safelist_app.command("add")
def safelist_add(
    site: Annotated[str, typer.Argument(help="site name or id")],
    plate: Annotated[str, typer.Argument()],
    state: Annotated[str, typer.Option(help="state or country code")] = "",
    label: Annotated[str, typer.Option(help="e.g. a unit number")] = "",
    expires: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
    config: ConfigOption = None,
) -> None:
    """Add a resident's plate to a site's safe list."""
    from hotlist.safelists import add_safelist_entry

    with unit_of_work(config) as session:
        entry = add_safelist_entry(
            session, site, plate, state=state, label=label, expires_at=expires, added_by=cli_actor()
        )
        typer.echo(f"{entry.plate} is on the safe list of {site!r}")


@safelist_app.command("remove")
def safelist_remove(
    site: Annotated[str, typer.Argument(help="site name or id")],
    plate: Annotated[str, typer.Argument()],
    state: Annotated[str | None, typer.Option(help="only this state's entry")] = None,
    config: ConfigOption = None,
) -> None:
    """Remove a plate from a site's safe list."""
    from hotlist.safelists import remove_safelist_entry

    with unit_of_work(config) as session:
        removed = remove_safelist_entry(session, site, plate, state=state, actor=cli_actor())
    typer.echo(f"{removed} entries removed")


@safelist_app.command("export")
def safelist_export(
    site: Annotated[str, typer.Argument(help="site name or id")],
    output: OutputOption = None,
    config: ConfigOption = None,
) -> None:
    """Write a site's safe list as CSV."""
    from hotlist.safelists import export_safelist

    with unit_of_work(config) as session, _output(output) as out:
        count = export_safelist(session, site, out)
    typer.echo(f"{count} entries exported", err=True)


def register(app: typer.Typer) -> None:
    """Add the list commands (and `hotlist match`) to the root `platewatch` app."""
    from platewatch.commands.match import register_match

    register_match(hotlist_app)
    app.add_typer(hotlist_app, name="hotlist")
    app.add_typer(safelist_app, name="safelist")
