"""Creating, editing and retiring agencies, sites and cameras, each change audited.

The console's admin pages and API and the `platewatch agency|site|camera` commands all come
here, so every change names who made it: the signed-in user (and the API token, when one was
used) or `cli:$USER`. Services take a session and never commit.

Retiring keeps the row, because reads, alerts, users and the audit log name it:
- a retired camera takes no reads captured from its retirement on (`RetiredCamera`, which the
  stream dead-letters); reads captured before, even if they arrive late, are still stored;
- a retired agency stops receiving every site's reads (its sharing rows are switched off);
- a retired site retires its cameras and stops sharing with every agency.
Nothing retired can be edited or shared with again.

A camera's own image retention may only shorten its site's period (the site's override, else
`retention.image_days`, passed as `default_image_days`); a longer one is refused naming it. A
site shortened later wins: the purge keeps the shorter. A camera created with one is audited as
`camera.create` then `camera.update` setting it (the create detail's stored form predates it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime
from enum import Enum
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from org import fields
from org.errors import RetiredError
from org.registry import (
    create_agency,
    create_camera,
    create_site,
    get_agency,
    get_camera,
    get_site,
    set_site_sharing,
)
from store.audit import record_audit
from store.audit_org import (
    AgencyCreateDetail,
    AgencyRetireDetail,
    AgencyUpdateDetail,
    CameraCreateDetail,
    CameraRetireDetail,
    CameraUpdateDetail,
    FieldChange,
    SiteCreateDetail,
    SiteRetireDetail,
    SiteUpdateDetail,
)
from store.base import utcnow
from store.errors import AlreadyExistsError
from store.settings import DEFAULT_IMAGE_DAYS
from store.tables import Agency, Camera, Site, SiteSharing


class Keep(Enum):
    """An edit's field left as it is (None would mean "clear it")."""

    KEEP = "keep"


KEEP = Keep.KEEP
_Value = TypeVar("_Value")
_Row = TypeVar("_Row", Agency, Site, Camera)


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a username or `cli:$USER`, and the API token used, if any."""

    name: str
    token_id: int | None = None


@dataclass(frozen=True)
class AgencyChanges:
    name: str | Keep = KEEP
    jurisdiction: str | Keep = KEEP
    state: str | Keep | None = KEEP


@dataclass(frozen=True)
class SiteChanges:
    name: str | Keep = KEEP
    kind: str | Keep = KEEP
    image_retention_days: int | Keep | None = KEEP
    resident_retention_hours: int | Keep | None = KEEP


@dataclass(frozen=True)
class CameraChanges:
    name: str | Keep = KEEP
    location: str | Keep = KEEP
    latitude: float | Keep | None = KEEP
    longitude: float | Keep | None = KEEP
    direction: str | Keep = KEEP
    region: str | Keep | None = KEEP
    image_retention_days: int | Keep | None = KEEP


@dataclass(frozen=True)
class CameraFields:
    camera_id: str
    site: str | int
    name: str | None = None
    location: str = ""
    latitude: float | None = None
    longitude: float | None = None
    direction: str = ""
    region: str | None = None
    image_retention_days: int | None = None


def add_agency(
    session: Session, actor: Actor, name: str, *, jurisdiction: str = "", state: str | None = None
) -> Agency:
    agency = create_agency(session, name, jurisdiction=jurisdiction, state=state)
    detail = AgencyCreateDetail(
        token_id=actor.token_id,
        name=agency.name,
        jurisdiction=agency.jurisdiction,
        state=agency.state,
    )
    record_audit(session, actor=actor.name, subject=f"agency:{agency.id}", detail=detail)
    return agency


def add_site(
    session: Session,
    actor: Actor,
    name: str,
    *,
    kind: str = "hoa",
    image_retention_days: int | None = None,
    resident_retention_hours: int | None = None,
) -> Site:
    site = create_site(
        session,
        name,
        kind=kind,
        image_retention_days=image_retention_days,
        resident_retention_hours=resident_retention_hours,
    )
    detail = SiteCreateDetail(
        token_id=actor.token_id,
        name=site.name,
        kind=site.kind,
        image_retention_days=site.image_retention_days,
        resident_retention_hours=site.resident_retention_hours,
    )
    record_audit(session, actor=actor.name, subject=f"site:{site.id}", detail=detail)
    return site


def add_camera(
    session: Session,
    actor: Actor,
    given: CameraFields,
    *,
    default_image_days: int = DEFAULT_IMAGE_DAYS,
) -> Camera:
    if given.image_retention_days is not None:  # checked before anything is written
        site = get_site(session, given.site)
        fields.camera_retention(
            given.image_retention_days, site.name, site.image_retention_days, default_image_days
        )
    camera = create_camera(
        session,
        given.camera_id,
        site=given.site,
        name=given.name,
        location=given.location,
        latitude=given.latitude,
        longitude=given.longitude,
        direction=given.direction,
        region=given.region,
    )
    detail = CameraCreateDetail(
        token_id=actor.token_id,
        site=get_site(session, camera.site_id).name,
        name=camera.name,
        location=camera.location,
        latitude=camera.latitude,
        longitude=camera.longitude,
        direction=camera.direction,
        region=camera.region,
    )
    record_audit(session, actor=actor.name, subject=f"camera:{camera.id}", detail=detail)
    if given.image_retention_days is not None:
        retention = CameraChanges(image_retention_days=given.image_retention_days)
        _audit_camera_update(session, actor, camera, _apply(camera, retention))
    return camera


def share_site(
    session: Session, actor: Actor, site: str | int, agency: str | int, *, enabled: bool
) -> SiteSharing:
    """Switch a site's sharing with an agency on or off (audited as site.share/unshare)."""
    return set_site_sharing(session, site, agency, enabled=enabled, actor=actor.name)


def update_agency(
    session: Session, actor: Actor, agency: str | int, changes: AgencyChanges
) -> Agency:
    row = _in_service(get_agency(session, agency), "agency")
    name = _checked(lambda v: fields.required_text(v, "name", "agency name"), changes.name)
    jurisdiction = _checked(
        lambda v: fields.optional_text(v, "jurisdiction", "jurisdiction"), changes.jurisdiction
    )
    state = _checked(lambda v: fields.subdivision(v, "state", "agency state"), changes.state)
    wanted = AgencyChanges(name=name, jurisdiction=jurisdiction, state=state)
    _rename(session, Agency, row, wanted.name, "agency")
    done = _apply(row, wanted)
    if done:
        detail = AgencyUpdateDetail(token_id=actor.token_id, name=row.name, changes=done)
        record_audit(session, actor=actor.name, subject=f"agency:{row.id}", detail=detail)
    return row


def update_site(session: Session, actor: Actor, site: str | int, changes: SiteChanges) -> Site:
    """Rename a site, change its kind or its retention overrides (None: the default)."""
    row = _in_service(get_site(session, site), "site")
    name = _checked(lambda v: fields.required_text(v, "name", "site name"), changes.name)
    kind = _checked(fields.site_kind, changes.kind)
    image_retention_days = _checked(
        lambda v: fields.retention(v, "image_retention_days", "image retention days"),
        changes.image_retention_days,
    )
    resident_retention_hours = _checked(
        lambda v: fields.retention(v, "resident_retention_hours", "resident retention hours"),
        changes.resident_retention_hours,
    )
    wanted = SiteChanges(
        name=name,
        kind=kind,
        image_retention_days=image_retention_days,
        resident_retention_hours=resident_retention_hours,
    )
    _rename(session, Site, row, wanted.name, "site")
    done = _apply(row, wanted)
    if done:
        detail = SiteUpdateDetail(token_id=actor.token_id, name=row.name, changes=done)
        record_audit(session, actor=actor.name, subject=f"site:{row.id}", detail=detail)
    return row


def update_camera(
    session: Session,
    actor: Actor,
    camera_id: str,
    changes: CameraChanges,
    *,
    default_image_days: int = DEFAULT_IMAGE_DAYS,
) -> Camera:
    """Edit where a camera is, what it is called and its own image retention (None: its
    site's); its id and site stay (they are what its stored reads name: a camera that moves
    sites is retired and registered anew)."""
    row = _in_service(get_camera(session, camera_id), "camera")
    site = get_site(session, row.site_id)
    name = _checked(lambda v: fields.required_text(v, "name", "camera name"), changes.name)
    location = _checked(lambda v: fields.optional_text(v, "location", "location"), changes.location)
    latitude = _checked(fields.latitude, changes.latitude)
    longitude = _checked(fields.longitude, changes.longitude)
    direction = _checked(
        lambda v: fields.optional_text(v, "direction", "direction", limit=fields.DIRECTION_MAX),
        changes.direction,
    )
    region = _checked(lambda v: fields.subdivision(v, "region", "camera region"), changes.region)
    image_retention_days = changes.image_retention_days
    if image_retention_days != row.image_retention_days:
        # Unchanged passes: a form re-sends it, and the site may have been shortened since.
        image_retention_days = _checked(
            lambda v: fields.camera_retention(
                v, site.name, site.image_retention_days, default_image_days
            ),
            image_retention_days,
        )
    wanted = CameraChanges(
        name=name,
        location=location,
        latitude=latitude,
        longitude=longitude,
        direction=direction,
        region=region,
        image_retention_days=image_retention_days,
    )
    _audit_camera_update(session, actor, row, _apply(row, wanted))
    return row


def _audit_camera_update(
    session: Session, actor: Actor, row: Camera, done: tuple[FieldChange, ...]
) -> None:
    if done:
        detail = CameraUpdateDetail(
            token_id=actor.token_id, site=get_site(session, row.site_id).name, changes=done
        )
        record_audit(session, actor=actor.name, subject=f"camera:{row.id}", detail=detail)


def retire_camera(session: Session, actor: Actor, camera_id: str) -> Camera:
    row = _in_service(get_camera(session, camera_id), "camera")
    row.retired_at = utcnow()
    session.flush()
    detail = CameraRetireDetail(token_id=actor.token_id, site=get_site(session, row.site_id).name)
    record_audit(session, actor=actor.name, subject=f"camera:{row.id}", detail=detail)
    return row


def retire_agency(session: Session, actor: Actor, agency: str | int) -> Agency:
    """Retire an agency: every site stops sharing with it at once."""
    row = _in_service(get_agency(session, agency), "agency")
    now = utcnow()
    ended = _end_shares(session, SiteSharing.agency_id == row.id, now)
    sites = session.scalars(select(Site.name).where(Site.id.in_(s.site_id for s in ended)))
    row.retired_at = now
    session.flush()
    detail = AgencyRetireDetail(
        token_id=actor.token_id, name=row.name, shares_ended=tuple(sorted(sites))
    )
    record_audit(session, actor=actor.name, subject=f"agency:{row.id}", detail=detail)
    return row


def retire_site(session: Session, actor: Actor, site: str | int) -> Site:
    """Retire a site: its cameras are retired and it stops sharing with every agency."""
    row = _in_service(get_site(session, site), "site")
    now = utcnow()
    ended = _end_shares(session, SiteSharing.site_id == row.id, now)
    agencies = session.scalars(select(Agency.name).where(Agency.id.in_(s.agency_id for s in ended)))
    cameras = session.scalars(
        select(Camera).where(Camera.site_id == row.id, Camera.retired_at.is_(None))
    ).all()
    for camera in cameras:
        camera.retired_at = now
    row.retired_at = now
    session.flush()
    detail = SiteRetireDetail(
        token_id=actor.token_id,
        name=row.name,
        cameras_retired=tuple(sorted(c.id for c in cameras)),
        shares_ended=tuple(sorted(agencies)),
    )
    record_audit(session, actor=actor.name, subject=f"site:{row.id}", detail=detail)
    return row


def _end_shares(session: Session, which: ColumnElement[bool], now: datetime) -> list[SiteSharing]:
    shares = session.scalars(select(SiteSharing).where(which, SiteSharing.enabled.is_(True)))
    ended = list(shares)
    for share in ended:
        share.enabled = False
        share.changed_at = now
    return ended


def _in_service(row: _Row, what: str) -> _Row:
    if row.retired_at is not None:
        label = row.id if isinstance(row, Camera) else row.name
        when = f"{row.retired_at:%Y-%m-%d %H:%M} UTC"
        msg = f"{what} {label!r} was retired at {when}; it can no longer be changed"
        raise RetiredError(msg)
    return row


def _checked(check: Callable[[_Value], _Value], value: _Value | Keep) -> _Value | Keep:
    return value if isinstance(value, Keep) else check(value)


def _rename(
    session: Session,
    table: type[Agency] | type[Site],
    row: Agency | Site,
    name: str | Keep,
    what: str,
) -> None:
    if isinstance(name, Keep) or name == row.name:
        return
    if session.scalar(select(table.id).where(table.name == name)) is not None:
        msg = f"{what} {name!r} already exists; pick another name"
        raise AlreadyExistsError(msg)


def _apply(
    row: Agency | Site | Camera, wanted: AgencyChanges | SiteChanges | CameraChanges
) -> tuple[FieldChange, ...]:
    """Set the fields `wanted` names; the changes, for the audit log."""
    done = []
    for spec in dataclass_fields(wanted):
        value = getattr(wanted, spec.name)
        before = getattr(row, spec.name)
        if value is KEEP or value == before:
            continue
        setattr(row, spec.name, value)
        done.append(FieldChange(field=spec.name, before=_text(before), after=_text(value)))
    return tuple(done)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
