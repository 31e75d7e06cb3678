"""`platewatch agency|site|camera ...`: who owns the cameras and who may see their reads."""
# ruff: noqa: PLR0917  (heavy imports stay inside commands; typer options are parameters)

from __future__ import annotations

from typing import Annotated

import typer

from platewatch.commands.common import ConfigOption, unit_of_work

agency_app = typer.Typer(help="Police agencies.", no_args_is_help=True)
site_app = typer.Typer(help="Sites (HOAs, neighborhoods) and their sharing.", no_args_is_help=True)
camera_app = typer.Typer(help="Cameras and where they are.", no_args_is_help=True)


@agency_app.command("add")
def agency_add(
    name: Annotated[str, typer.Argument(help="agency name, e.g. 'Springfield PD'")],
    jurisdiction: Annotated[str, typer.Option(help="area it serves")] = "",
    state: Annotated[str | None, typer.Option(help="two-letter state code")] = None,
    config: ConfigOption = None,
) -> None:
    """Register an agency."""
    from org.registry import create_agency

    with unit_of_work(config) as session:
        agency = create_agency(session, name, jurisdiction=jurisdiction, state=state)
        typer.echo(f"agency {agency.name!r} added (id {agency.id})")


@site_app.command("add")
def site_add(
    name: Annotated[str, typer.Argument(help="site name, e.g. 'Oak Ridge HOA'")],
    kind: Annotated[
        str, typer.Option(help="hoa, neighborhood, business, school, city, other")
    ] = "hoa",
    image_retention_days: Annotated[
        int | None, typer.Option(help="days images are kept (default: the deployment's)")
    ] = None,
    resident_retention_hours: Annotated[
        int | None,
        typer.Option(help="hours residents' images are kept (default: the deployment's)"),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Register a site."""
    from org.registry import create_site

    with unit_of_work(config) as session:
        site = create_site(
            session,
            name,
            kind=kind,
            image_retention_days=image_retention_days,
            resident_retention_hours=resident_retention_hours,
        )
        typer.echo(
            f"site {site.name!r} added (id {site.id}); it shares with no agency until "
            f"`platewatch site share {site.name!r} AGENCY`"
        )


@site_app.command("share")
def site_share(
    site: Annotated[str, typer.Argument(help="site name or id")],
    agency: Annotated[str, typer.Argument(help="agency name or id")],
    off: Annotated[bool, typer.Option("--off", help="stop sharing (opt out)")] = False,
    actor: Annotated[str, typer.Option(help="who made the change, for the audit log")] = "cli",
    config: ConfigOption = None,
) -> None:
    """Share a site's reads and alerts with an agency, or stop (--off)."""
    from org.registry import set_site_sharing

    with unit_of_work(config) as session:
        set_site_sharing(session, site, agency, enabled=not off, actor=actor)
        typer.echo(f"site {site!r} {'no longer shares' if off else 'shares'} with {agency!r}")


@camera_app.command("add")
def camera_add(
    camera_id: Annotated[str, typer.Argument(metavar="ID", help="camera id the edge reports")],
    site: Annotated[str, typer.Option(help="site name or id")],
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    location: Annotated[str, typer.Option(help="where it is, e.g. 'Main St gate'")] = "",
    lat: Annotated[float | None, typer.Option(help="latitude")] = None,
    lon: Annotated[float | None, typer.Option(help="longitude")] = None,
    direction: Annotated[str, typer.Option(help="direction of travel seen, e.g. 'NB'")] = "",
    config: ConfigOption = None,
) -> None:
    """Register a camera at a site."""
    from org.registry import create_camera

    with unit_of_work(config) as session:
        camera = create_camera(
            session,
            camera_id,
            site=site,
            name=name,
            location=location,
            latitude=lat,
            longitude=lon,
            direction=direction,
        )
        typer.echo(f"camera {camera.id!r} added at site {site!r}")


@camera_app.command("list")
def camera_list(config: ConfigOption = None) -> None:
    """List cameras with their sites."""
    from sqlalchemy import select

    from store.tables import Camera, Site

    with unit_of_work(config) as session:
        rows = session.execute(select(Camera, Site).join(Site).order_by(Camera.id)).all()
        for camera, site in rows:
            typer.echo(f"{camera.id}\t{site.name}\t{camera.name}\t{camera.location}")


def register(app: typer.Typer) -> None:
    """Add the agency, site and camera commands to the root `platewatch` app."""
    app.add_typer(agency_app, name="agency")
    app.add_typer(site_app, name="site")
    app.add_typer(camera_app, name="camera")
