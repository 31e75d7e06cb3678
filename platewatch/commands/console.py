"""Commands of the web console: `platewatch serve` and `platewatch users`."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from platewatch.commands.common import ConfigOption, engine_of, fail, settings_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from platewatch.settings import Settings

users_app = typer.Typer(
    help="Console accounts: officers, HOA admins, auditors, admins.", no_args_is_help=True
)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def serve_command(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    config: ConfigOption = None,
) -> None:
    """Run the web console (officers' live alerts, HOA safe lists, audit) and its API."""
    from console.server import serve
    from platewatch.logs import configure_logging

    configure_logging()
    settings = settings_of(config)
    with engine_of(settings):
        pass  # refuses, in one line, a database it cannot use before the server starts
    serve(settings, host=host, port=port)


@users_app.command("add")
def users_add(
    *,
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option(help="officer, supervisor, hoa_admin, auditor or admin")],
    agency: Annotated[
        str | None, typer.Option(help="agency name or id (officers, supervisors)")
    ] = None,
    site: Annotated[str | None, typer.Option(help="site name or id (HOA admins)")] = None,
    name: Annotated[str, typer.Option(help="display name")] = "",
    config: ConfigOption = None,
) -> None:
    """Add an account and print its one-time password (once; it must be changed at sign-in)."""
    from console.accounts.users import AccountError, as_role, create_user
    from org.registry import get_agency, get_site
    from store.errors import NotFoundError

    if role == "resident":
        _fail(
            "residents sign up themselves at /join with an invite code; an HOA admin or an "
            "admin issues one on the console's Invites page"
        )
    with _session(settings_of(config)) as session:
        try:
            agency_id = get_agency(session, agency).id if agency else None
            site_id = get_site(session, site).id if site else None
            new = create_user(
                session,
                actor=_actor(),
                username=username,
                role=as_role(role),
                display_name=name,
                agency_id=agency_id,
                site_id=site_id,
            )
        except (AccountError, NotFoundError) as exc:
            _fail(str(exc))
        session.commit()
        typer.echo(f"added {new.user.username} ({role})")
        typer.echo(f"one-time password (shown once): {new.one_time_password}")


@users_app.command("disable")
def users_disable(username: str, config: ConfigOption = None) -> None:
    """Block an account and end all its sessions and API tokens now."""
    from console.accounts.users import AccountError, disable_user

    with _session(settings_of(config)) as session:
        try:
            disable_user(session, actor=_actor(), username=username)
        except AccountError as exc:
            _fail(str(exc))
        session.commit()
    typer.echo(f"disabled {username}; its sessions and tokens no longer work")


@users_app.command("token")
def users_token(
    username: str,
    name: Annotated[str, typer.Option(help="what the token is for, e.g. 'cad-bridge'")],
    days: Annotated[int | None, typer.Option(help="valid for this many days")] = None,
    config: ConfigOption = None,
) -> None:
    """Issue an API token acting as the user; printed once, stored only as a hash."""
    from console.accounts.users import AccountError, issue_token

    settings = settings_of(config)
    with _session(settings) as session:
        valid = days or settings.console.api_token_days
        try:
            new = issue_token(session, actor=_actor(), username=username, name=name, days=valid)
        except AccountError as exc:
            _fail(str(exc))
        session.commit()
        typer.echo(f"token {new.token.id} for {username}, expires {new.token.expires_at:%Y-%m-%d}")
        typer.echo(f"send as 'Authorization: Bearer <token>' (shown once): {new.secret}")


@users_app.command("reset")
def users_reset(username: str, config: ConfigOption = None) -> None:
    """Replace a forgotten password with a one-time password, printed once."""
    from console.accounts.users import AccountError, reset_password

    with _session(settings_of(config)) as session:
        try:
            password = reset_password(session, actor=_actor(), username=username)
        except AccountError as exc:
            _fail(str(exc))
        session.commit()
        typer.echo(f"one-time password for {username} (shown once): {password}")
    typer.echo(f"every session of {username} has ended; their API tokens still work")


@users_app.command("revoke-token")
def users_revoke_token(token_id: int, config: ConfigOption = None) -> None:
    """End one API token now (a leaked one, or a retired integration)."""
    from console.accounts.users import AccountError, revoke_token

    with _session(settings_of(config)) as session:
        try:
            revoke_token(session, actor=_actor(), token_id=token_id)
        except AccountError as exc:
            _fail(str(exc))
        session.commit()
    typer.echo(f"token {token_id} revoked; requests and open streams using it stop within seconds")


@users_app.command("list")
def users_list(config: ConfigOption = None) -> None:
    """List accounts with their role, scope and state."""
    from console.accounts.users import list_users

    with _session(settings_of(config)) as session:
        for user in list_users(session):
            scope = (
                f"agency {user.agency_id}"
                if user.agency_id
                else f"site {user.site_id}"
                if user.site_id
                else "-"
            )
            state = "disabled" if user.disabled else "active"
            typer.echo(f"{user.username:<24} {user.role:<10} {scope:<12} {state}")


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    from store.db import make_session_factory

    with engine_of(settings) as engine, make_session_factory(engine)() as session:
        yield session


def _fail(message: str) -> NoReturn:
    fail(message)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root `platewatch` app."""
    app.command("serve")(serve_command)
    app.add_typer(users_app, name="users")
