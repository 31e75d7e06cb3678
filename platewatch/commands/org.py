"""`platewatch agency|site|camera ...`: who owns the cameras and who may see their reads.

Every change is audited as `cli:$USER`, through the same services as the console's admin pages.
"""
# ruff: noqa: PLR0917  (heavy imports stay inside commands; typer options are parameters)

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Annotated

import typer

from platewatch.commands.common import BAD_INPUT, ConfigOption, fail, settings_of, unit_of_work

if TYPE_CHECKING:
    from org.admin import Actor

agency_app = typer.Typer(help="Police agencies.", no_args_is_help=True)
site_app = typer.Typer(help="Sites (HOAs, neighborhoods) and their sharing.", no_args_is_help=True)
camera_app = typer.Typer(help="Cameras and where they are.", no_args_is_help=True)


def _actor() -> Actor:
    from org.admin import Actor

    return Actor(f"cli:{getpass.getuser()}")


@agency_app.command("add")
def agency_add(
    name: Annotated[str, typer.Argument(help="agency name, e.g. 'Springfield PD'")],
    jurisdiction: Annotated[str, typer.Option(help="area it serves")] = "",
    state: Annotated[str | None, typer.Option(help="two-letter state code")] = None,
    config: ConfigOption = None,
) -> None:
    """Register an agency."""
    from org.admin import add_agency

    with unit_of_work(config) as session:
        agency = add_agency(session, _actor(), name, jurisdiction=jurisdiction, state=state)
        typer.echo(f"agency {agency.name!r} added (id {agency.id})")


@agency_app.command("retire")
def agency_retire(
    agency: Annotated[str, typer.Argument(help="agency name or id")],
    config: ConfigOption = None,
) -> None:
    """Retire an agency: every site stops sharing with it, its users are disabled and its
    webhooks switched off (its record stays)."""
    from console.org_admin import retire_agency

    with unit_of_work(config) as session:
        retired, ended = retire_agency(session, _actor(), agency)
        typer.echo(
            f"agency {retired.name!r} retired; no site shares with it any more; {ended.summary()}"
        )


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
    from org.admin import add_site

    with unit_of_work(config) as session:
        site = add_site(
            session,
            _actor(),
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
    config: ConfigOption = None,
) -> None:
    """Share a site's reads and alerts with an agency, or stop (--off)."""
    from org.admin import share_site

    with unit_of_work(config) as session:
        share_site(session, _actor(), site, agency, enabled=not off)
        typer.echo(f"site {site!r} {'no longer shares' if off else 'shares'} with {agency!r}")


@site_app.command("retire")
def site_retire(
    site: Annotated[str, typer.Argument(help="site name or id")],
    config: ConfigOption = None,
) -> None:
    """Retire a site: its cameras are retired, it stops sharing and its HOA admins are
    disabled (its reads stay)."""
    from console.org_admin import retire_site

    with unit_of_work(config) as session:
        retired, ended = retire_site(session, _actor(), site)
        typer.echo(
            f"site {retired.name!r} retired, with its cameras; it shares with no agency; "
            f"{len(ended.users_disabled)} HOA admins disabled"
        )


@camera_app.command("add")
def camera_add(
    camera_id: Annotated[str, typer.Argument(metavar="ID", help="camera id the edge reports")],
    site: Annotated[str, typer.Option(help="site name or id")],
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    location: Annotated[str, typer.Option(help="where it is, e.g. 'Main St gate'")] = "",
    lat: Annotated[float | None, typer.Option(help="latitude")] = None,
    lon: Annotated[float | None, typer.Option(help="longitude")] = None,
    direction: Annotated[str, typer.Option(help="direction of travel seen, e.g. 'NB'")] = "",
    region: Annotated[str | None, typer.Option(help="two-letter state or province")] = None,
    image_days: Annotated[
        int | None,
        typer.Option(help="days its images are kept, at most its site's (default: the site's)"),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Register a camera at a site."""
    from org.admin import CameraFields, add_camera

    given = CameraFields(camera_id, site, name, location, lat, lon, direction, region, image_days)
    default_days = settings_of(config).retention.image_days
    with unit_of_work(config) as session:
        camera = add_camera(session, _actor(), given, default_image_days=default_days)
        typer.echo(f"camera {camera.id!r} added at site {site!r}")


@camera_app.command("edit")
def camera_edit(
    camera_id: Annotated[str, typer.Argument(metavar="ID", help="camera id")],
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    location: Annotated[str | None, typer.Option(help="where it is")] = None,
    lat: Annotated[float | None, typer.Option(help="latitude")] = None,
    lon: Annotated[float | None, typer.Option(help="longitude")] = None,
    direction: Annotated[str | None, typer.Option(help="direction of travel seen")] = None,
    region: Annotated[str | None, typer.Option(help="two-letter state or province")] = None,
    image_days: Annotated[
        int | None, typer.Option(help="days its images are kept, at most its site's")
    ] = None,
    site_image_days: Annotated[
        bool, typer.Option("--site-image-days", help="keep images as long as its site does")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Change a camera's name, place, region or image retention; options left out stay."""
    from org.admin import KEEP, CameraChanges, Keep, update_camera

    if site_image_days and image_days is not None:
        fail("give --image-days N or --site-image-days, not both", BAD_INPUT)
    days: int | Keep | None = KEEP if image_days is None else image_days

    changes = CameraChanges(
        name=KEEP if name is None else name,
        location=KEEP if location is None else location,
        latitude=KEEP if lat is None else lat,
        longitude=KEEP if lon is None else lon,
        direction=KEEP if direction is None else direction,
        region=KEEP if region is None else region,
        image_retention_days=None if site_image_days else days,
    )
    default_days = settings_of(config).retention.image_days
    with unit_of_work(config) as session:
        camera = update_camera(
            session, _actor(), camera_id, changes, default_image_days=default_days
        )
        typer.echo(f"camera {camera.id!r} saved")


@camera_app.command("retire")
def camera_retire(
    camera_id: Annotated[str, typer.Argument(metavar="ID", help="camera id")],
    config: ConfigOption = None,
) -> None:
    """Retire a camera: its stored reads stay; reads it takes from now on are refused."""
    from org.admin import retire_camera

    with unit_of_work(config) as session:
        camera = retire_camera(session, _actor(), camera_id)
        typer.echo(f"camera {camera.id!r} retired")


@camera_app.command("list")
def camera_list(config: ConfigOption = None) -> None:
    """List cameras with their sites (retired ones marked)."""
    from sqlalchemy import select

    from store.tables import Camera, Site

    with unit_of_work(config) as session:
        rows = session.execute(select(Camera, Site).join(Site).order_by(Camera.id)).all()
        for camera, site in rows:
            retired = f"\tretired {camera.retired_at:%Y-%m-%d}" if camera.retired_at else ""
            days = camera.image_retention_days
            kept = f"\timages {days} days" if days else ""
            typer.echo(f"{camera.id}\t{site.name}\t{camera.name}\t{camera.location}{kept}{retired}")


def register(app: typer.Typer) -> None:
    """Add the agency, site and camera commands to the root `platewatch` app."""
    app.add_typer(agency_app, name="agency")
    app.add_typer(site_app, name="site")
    app.add_typer(camera_app, name="camera")
