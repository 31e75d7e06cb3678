"""Who may see what, as SQL conditions every query of the console goes through.

An officer sees reads and alerts only from cameras of sites that share with the officer's
agency (an enabled SiteSharing row), and never alerts from another agency's own hotlist.
A site that does not share may grant an agency some of its reads for one case: a search under
that case number sees them, and their images open (community.lpr_grant_scope).
An HOA admin sees only the own site. Resident-tagged reads never come out of a search.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from community.lpr_grant_scope import grant_covering
from console.deps import Principal
from console.errors import Forbidden
from store.base import utcnow
from store.tables import Alert, Camera, Hotlist, ImportJob, PlateReadRow, SiteSharing, User


def shared_site_ids(agency_id: int) -> Select[int]:
    return select(SiteSharing.site_id).where(
        SiteSharing.agency_id == agency_id, SiteSharing.enabled.is_(True)
    )


def shared_camera_ids(agency_id: int) -> Select[str]:
    return select(Camera.id).where(Camera.site_id.in_(shared_site_ids(agency_id)))


def _foreign_hotlist_ids(agency_id: int) -> Select[int]:
    return select(Hotlist.id).where(
        Hotlist.owner_agency_id.is_not(None), Hotlist.owner_agency_id != agency_id
    )


def alerts_of_agency(agency_id: int) -> ColumnElement[bool]:
    return and_(
        Alert.camera_id.in_(shared_camera_ids(agency_id)),
        or_(Alert.hotlist_id.is_(None), Alert.hotlist_id.not_in(_foreign_hotlist_ids(agency_id))),
    )


def officer_agency(principal: Principal) -> int:
    if principal.role != "officer" or principal.agency_id is None:
        msg = "only an officer of an agency may see alerts and reads"
        raise Forbidden(msg)
    return principal.agency_id


def hoa_site(principal: Principal, site_id: int | None = None) -> int:
    """The HOA admin's own site; asking for any other site is refused."""
    if principal.role != "hoa_admin" or principal.site_id is None:
        msg = "only the site's HOA admin may manage its safe list and cameras"
        raise Forbidden(msg)
    if site_id is not None and site_id != principal.site_id:
        msg = f"site {site_id} is not yours; you manage site {principal.site_id}"
        raise Forbidden(msg)
    return principal.site_id


def import_jobs_of(principal: Principal) -> ColumnElement[bool]:
    """Import jobs a user may watch: their own, and an HOA admin's those of the site's safe
    list (whoever of the site's admins sent them)."""
    mine = ImportJob.owner_user_id == principal.user_id
    if principal.role == "hoa_admin" and principal.site_id is not None:
        site_list = and_(ImportJob.kind == "safelist", ImportJob.site_id == principal.site_id)
        return or_(mine, site_list)
    return mine


def oversight_alerts(principal: Principal) -> ColumnElement[bool]:
    """Alerts an auditor reviews: an agency's auditor sees that agency's, others see all."""
    if principal.agency_id is None:
        return and_(Alert.id.is_not(None))
    return alerts_of_agency(principal.agency_id)


def oversight_actors(principal: Principal) -> Select[str] | None:
    """Usernames whose audit events an auditor sees; None means every event."""
    if principal.agency_id is None:
        return None
    return select(User.username).where(User.agency_id == principal.agency_id)


def agencies_seeing_alerts(session: Session, alert_ids: Collection[int]) -> dict[int, set[int]]:
    """The agencies whose officers get each alert, by alert id, in one query however many
    there are: the exact inverse of `alerts_of_agency` (an agency sharing in the camera's site,
    and the owner of the alert's hotlist if it has one). An id no longer stored gets none."""
    seeing: dict[int, set[int]] = {alert_id: set() for alert_id in alert_ids}
    if not seeing:
        return seeing
    rows = session.execute(
        select(Alert.id, SiteSharing.agency_id)
        .join(Camera, Camera.id == Alert.camera_id)
        .join(
            SiteSharing,
            and_(SiteSharing.site_id == Camera.site_id, SiteSharing.enabled.is_(True)),
        )
        .outerjoin(Hotlist, Hotlist.id == Alert.hotlist_id)
        .where(
            Alert.id.in_(seeing),
            or_(
                Hotlist.owner_agency_id.is_(None),
                Hotlist.owner_agency_id == SiteSharing.agency_id,
            ),
        )
    ).all()
    for alert_id, agency_id in rows:
        seeing[alert_id].add(agency_id)
    return seeing


def may_view_read_images(session: Session, principal: Principal, read: PlateReadRow) -> bool:
    if principal.role == "hoa_admin":
        camera_site = session.scalar(select(Camera.site_id).where(Camera.id == read.camera_id))
        return camera_site is not None and camera_site == principal.site_id
    if principal.role != "officer" or principal.agency_id is None:
        return False
    if agency_may_view_read(session, principal.agency_id, read):
        return True
    # The images of a read a site granted for a case: the officer found it by a search under
    # that case number, and the grant's end (expiry, revocation) closes them too.
    granted = not read.resident and grant_covering(session, principal.agency_id, read, utcnow())
    return bool(granted)


def agency_may_view_read(session: Session, agency_id: int, read: PlateReadRow) -> bool:
    """What the agency's officers may open of a read (its webhooks' image links too)."""
    if not read.resident:
        shared = session.scalar(shared_camera_ids(agency_id).where(Camera.id == read.camera_id))
        return shared is not None
    # A resident's read is visible to an officer only through an alert on it.
    alert_id = session.scalar(
        select(Alert.id).where(Alert.read_id == read.read_id, alerts_of_agency(agency_id)).limit(1)
    )
    return alert_id is not None
