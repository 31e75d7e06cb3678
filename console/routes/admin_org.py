"""Admins' API for agencies, sites, their sharing and cameras: list, create, edit, retire.

Every change is audited under the signed-in admin (and the API token, when one was used).
Errors: 422 naming the field, 409 for a taken name or a retired record, 404 for what the path
names and does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter

from console.deps import Admin, DbSession, SettingsDep
from console.org_admin import (
    actor_of,
    agencies,
    cameras,
    http_error,
    retire_agency,
    retire_site,
    sharing_of,
    sites,
)
from console.schemas.org import (
    AgencyCreate,
    AgencyPublic,
    AgencyRetiredPublic,
    AgencyUpdate,
    CameraCreate,
    CameraPublic,
    CameraUpdate,
    SharingPublic,
    SharingUpdate,
    SiteCreate,
    SitePublic,
    SiteRetiredPublic,
    SiteUpdate,
)
from org import admin as org
from org.registry import get_site
from store.errors import DomainError

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/agencies")
def api_agencies(me: Admin, db: DbSession) -> list[AgencyPublic]:
    """Every agency, those in service first; retired ones keep their row (`retired_at`)."""
    del me
    return [AgencyPublic.model_validate(a) for a in agencies(db)]


@router.post("/agencies", status_code=201)
def api_create_agency(body: AgencyCreate, me: Admin, db: DbSession) -> AgencyPublic:
    try:
        agency = org.add_agency(
            db, actor_of(me), body.name, jurisdiction=body.jurisdiction, state=body.state
        )
    except DomainError as exc:
        raise http_error(exc) from exc
    db.commit()
    return AgencyPublic.model_validate(agency)


@router.patch("/agencies/{agency_id}")
def api_update_agency(agency_id: int, body: AgencyUpdate, me: Admin, db: DbSession) -> AgencyPublic:
    changes = org.AgencyChanges(**body.model_dump(exclude_unset=True))
    try:
        agency = org.update_agency(db, actor_of(me), agency_id, changes)
    except DomainError as exc:
        raise http_error(exc) from exc
    db.commit()
    return AgencyPublic.model_validate(agency)


@router.post("/agencies/{agency_id}/retire")
def api_retire_agency(agency_id: int, me: Admin, db: DbSession) -> AgencyRetiredPublic:
    """Retire an agency: every site stops sharing its reads and alerts with it at once, its
    users are disabled (sessions and tokens end) and its webhooks switched off."""
    try:
        agency, ended = retire_agency(db, actor_of(me), agency_id)
    except DomainError as exc:
        raise http_error(exc) from exc
    db.commit()
    public = AgencyPublic.model_validate(agency).model_dump()
    return AgencyRetiredPublic(
        **public,
        users_disabled=list(ended.users_disabled),
        webhooks_disabled=list(ended.webhooks_disabled),
    )


@router.get("/sites")
def api_sites(me: Admin, db: DbSession) -> list[SitePublic]:
    del me
    return [SitePublic.model_validate(s) for s in sites(db)]


@router.post("/sites", status_code=201)
def api_create_site(body: SiteCreate, me: Admin, db: DbSession) -> SitePublic:
    """Register a site; it shares with no agency until sharing is switched on."""
    try:
        site = org.add_site(
            db,
            actor_of(me),
            body.name,
            kind=body.kind,
            image_retention_days=body.image_retention_days,
            resident_retention_hours=body.resident_retention_hours,
        )
    except DomainError as exc:
        raise http_error(exc) from exc
    db.commit()
    return SitePublic.model_validate(site)


@router.patch("/sites/{site_id}")
def api_update_site(site_id: int, body: SiteUpdate, me: Admin, db: DbSession) -> SitePublic:
    """Rename a site or change its kind or retention (null: back to the deployment default).
    Retention settings are signed by the audit checkpoints: re-sign a change with
    `platewatch audit checkpoint --accept site:ID`, or `audit verify` reports it as edited."""
    changes = org.SiteChanges(**body.model_dump(exclude_unset=True))
    try:
        site = org.update_site(db, actor_of(me), site_id, changes)
    except DomainError as exc:
        raise http_error(exc) from exc
    db.commit()
    return SitePublic.model_validate(site)


@router.post("/sites/{site_id}/retire")
def api_retire_site(site_id: int, me: Admin, db: DbSession) -> SiteRetiredPublic:
    """Retire a site: its cameras are retired, it stops sharing with every agency and its HOA
    admins are disabled."""
    try:
        site, ended = retire_site(db, actor_of(me), site_id)
    except DomainError as exc:
        raise http_error(exc) from exc
    db.commit()
    public = SitePublic.model_validate(site).model_dump()
    return SiteRetiredPublic(**public, users_disabled=list(ended.users_disabled))


@router.get("/sites/{site_id}/sharing")
def api_site_sharing(site_id: int, me: Admin, db: DbSession) -> list[SharingPublic]:
    """Whether the site shares its reads and alerts with each agency."""
    del me
    try:
        site = get_site(db, site_id)
    except DomainError as exc:
        raise http_error(exc) from exc
    return sharing_of(db, site.id)


@router.post("/sites/{site_id}/sharing")
def api_set_sharing(
    site_id: int, body: SharingUpdate, me: Admin, db: DbSession
) -> list[SharingPublic]:
    """Share the site's reads and alerts with an agency, or stop; the site's sharing after."""
    try:
        site = get_site(db, site_id)
    except DomainError as exc:
        raise http_error(exc) from exc
    try:
        org.share_site(db, actor_of(me), site.id, body.agency_id, enabled=body.enabled)
    except DomainError as exc:
        raise http_error(exc, missing_field="agency_id") from exc
    db.commit()
    return sharing_of(db, site.id)


@router.get("/cameras")
def api_cameras(me: Admin, db: DbSession) -> list[CameraPublic]:
    del me
    return [CameraPublic.model_validate(c) for c in cameras(db)]


@router.post("/cameras", status_code=201)
def api_create_camera(
    body: CameraCreate, me: Admin, db: DbSession, settings: SettingsDep
) -> CameraPublic:
    """Register a camera at a site; reads from unregistered cameras are refused. Its own image
    retention may only be shorter than its site's (422 naming the site's period otherwise)."""
    given = org.CameraFields(
        camera_id=body.id,
        site=body.site_id,
        name=body.name,
        location=body.location,
        latitude=body.latitude,
        longitude=body.longitude,
        direction=body.direction,
        region=body.region,
        image_retention_days=body.image_retention_days,
    )
    days = settings.retention.image_days
    try:
        camera = org.add_camera(db, actor_of(me), given, default_image_days=days)
    except DomainError as exc:
        raise http_error(exc, missing_field="site_id") from exc
    db.commit()
    return CameraPublic.model_validate(camera)


@router.patch("/cameras/{camera_id}")
def api_update_camera(
    camera_id: str, body: CameraUpdate, me: Admin, db: DbSession, settings: SettingsDep
) -> CameraPublic:
    """Edit a camera's name, place, region and image retention (null: its site's, never longer
    than the site's); its id and site stay (retire and add anew). Camera retention is signed
    by the audit checkpoints: re-sign a change with `platewatch audit checkpoint --accept
    site:ID`, or `audit verify` reports it as edited."""
    changes = org.CameraChanges(**body.model_dump(exclude_unset=True))
    days = settings.retention.image_days
    try:
        camera = org.update_camera(db, actor_of(me), camera_id, changes, default_image_days=days)
    except DomainError as exc:
        raise http_error(exc) from exc
    db.commit()
    return CameraPublic.model_validate(camera)


@router.post("/cameras/{camera_id}/retire")
def api_retire_camera(camera_id: str, me: Admin, db: DbSession) -> CameraPublic:
    """Retire a camera: its stored reads stay; reads it takes from now on are refused."""
    try:
        camera = org.retire_camera(db, actor_of(me), camera_id)
    except DomainError as exc:
        raise http_error(exc) from exc
    db.commit()
    return CameraPublic.model_validate(camera)
