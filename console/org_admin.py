"""What the admin pages and API share about agencies, sites and cameras: who the actor is,
how registry errors become HTTP answers, and the lists they show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.accounts.users import disable_members
from console.deps import Principal
from console.schemas.org import SharingPublic
from console.webhooks import disable_agency_webhooks
from org import admin as org
from org.admin import Actor
from org.errors import InvalidField, RetiredError
from store.errors import AlreadyExistsError, DomainError, NotFoundError
from store.tables import Agency, Camera, Site, SiteSharing


def actor_of(me: Principal) -> Actor:
    """The signed-in user, and the API token when the request carried one."""
    return Actor(me.username, me.token_id if me.via == "token" else None)


def http_error(exc: DomainError, *, missing_field: str | None = None) -> HTTPException:
    """422 naming the field, 409 for a taken name or a retired row, 404 for what was not
    found (or 422 on `missing_field` when the missing thing was named in the body)."""
    if isinstance(exc, InvalidField):
        return _field_error(exc.field, str(exc))
    if isinstance(exc, NotFoundError):
        if missing_field is not None:
            return _field_error(missing_field, str(exc))
        return HTTPException(status_code=404, detail=str(exc))
    if isinstance(exc, AlreadyExistsError | RetiredError):
        return HTTPException(status_code=409, detail=str(exc))
    return HTTPException(status_code=422, detail=str(exc))


def _field_error(field: str, message: str) -> HTTPException:
    # The shape FastAPI gives a request that fails its schema, so clients read one form.
    detail = [{"loc": ["body", field], "msg": message, "type": "value_error"}]
    return HTTPException(status_code=422, detail=detail)


def error_text(exc: DomainError) -> str:
    """For a page: the message, with the field it is about."""
    if isinstance(exc, InvalidField):
        return f"{exc.field.replace('_', ' ')}: {exc}"
    return str(exc)


def agencies(db: Session) -> Sequence[Agency]:
    return db.scalars(select(Agency).order_by(Agency.retired_at.is_not(None), Agency.name)).all()


def sites(db: Session) -> Sequence[Site]:
    return db.scalars(select(Site).order_by(Site.retired_at.is_not(None), Site.name)).all()


def cameras(db: Session) -> Sequence[Camera]:
    return db.scalars(select(Camera).order_by(Camera.retired_at.is_not(None), Camera.id)).all()


def sharing_of(db: Session, site_id: int) -> list[SharingPublic]:
    """Every agency in service, and each retired one the site once shared with: whether the
    site shares with it now."""
    rows = db.execute(
        select(Agency, SiteSharing)
        .outerjoin(
            SiteSharing,
            (SiteSharing.agency_id == Agency.id) & (SiteSharing.site_id == site_id),
        )
        .order_by(Agency.name)
    ).all()
    return [
        SharingPublic(
            site_id=site_id,
            agency_id=agency.id,
            agency=agency.name,
            agency_retired=agency.retired_at is not None,
            enabled=bool(share and share.enabled),
            changed_at=share.changed_at if share else None,
        )
        for agency, share in rows
        if agency.retired_at is None or share is not None
    ]


@dataclass(frozen=True)
class Retirement:
    """What retiring an agency or site also ended: its people's accounts and its webhooks."""

    users_disabled: tuple[str, ...]
    webhooks_disabled: tuple[int, ...] = ()

    def summary(self) -> str:
        users = len(self.users_disabled)
        hooks = len(self.webhooks_disabled)
        return (
            f"{users} user{'s' if users != 1 else ''} disabled and signed out, "
            f"{hooks} webhook{'s' if hooks != 1 else ''} switched off"
        )


def retire_agency(session: Session, actor: Actor, agency: str | int) -> tuple[Agency, Retirement]:
    """Retire the agency (no site shares with it any more), disable its users (their sessions
    and tokens end now) and switch off its webhooks; all audited, in the caller's transaction."""
    retired = org.retire_agency(session, actor, agency)
    users = disable_members(session, actor=actor.name, agency_id=retired.id)
    hooks = disable_agency_webhooks(session, actor=actor.name, agency_id=retired.id)
    return retired, Retirement(tuple(users), tuple(hooks))


def retire_site(session: Session, actor: Actor, site: str | int) -> tuple[Site, Retirement]:
    """Retire the site with its cameras and sharing, and disable its HOA admins."""
    retired = org.retire_site(session, actor, site)
    users = disable_members(session, actor=actor.name, site_id=retired.id)
    return retired, Retirement(tuple(users))
