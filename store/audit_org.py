"""Audit details of the organisation registry: agencies, sites and cameras created, edited and
retired (sharing changes are `site.share` / `site.unshare` in store/audit_details.py).

`token_id` names the API token a change was made with (None when signed in to the console or
on the command line, where the actor is `cli:$USER`), so a leaked token's changes can be found.
An edit lists each changed field with its value before and after, as text.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from store.audit_base import AuditDetail, Names


class FieldChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    field: str
    before: str | None
    after: str | None


def _stored_changes(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


Changes = Annotated[tuple[FieldChange, ...], BeforeValidator(_stored_changes)]


class _OrgAction(AuditDetail):
    token_id: int | None


class AgencyCreateDetail(_OrgAction):
    action = "agency.create"
    name: str
    jurisdiction: str
    state: str | None


class AgencyUpdateDetail(_OrgAction):
    action = "agency.update"
    name: str
    changes: Changes


class AgencyRetireDetail(_OrgAction):
    action = "agency.retire"
    name: str
    shares_ended: Names  # the sites that stopped sharing with it


class SiteCreateDetail(_OrgAction):
    action = "site.create"
    name: str
    kind: str
    image_retention_days: int | None
    resident_retention_hours: int | None


class SiteUpdateDetail(_OrgAction):
    action = "site.update"
    name: str
    changes: Changes


class SiteRetireDetail(_OrgAction):
    action = "site.retire"
    name: str
    cameras_retired: Names
    shares_ended: Names  # the agencies it stopped sharing with


class CameraCreateDetail(_OrgAction):
    action = "camera.create"
    site: str
    name: str
    location: str
    latitude: float | None
    longitude: float | None
    direction: str
    region: str | None


class CameraUpdateDetail(_OrgAction):
    action = "camera.update"
    site: str
    changes: Changes


class CameraRetireDetail(_OrgAction):
    action = "camera.retire"
    site: str


OrgAuditDetail = (
    AgencyCreateDetail
    | AgencyUpdateDetail
    | AgencyRetireDetail
    | SiteCreateDetail
    | SiteUpdateDetail
    | SiteRetireDetail
    | CameraCreateDetail
    | CameraUpdateDetail
    | CameraRetireDetail
)
