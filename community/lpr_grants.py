"""Plate reads of sites that opted out: a footage request asks such a site for some of its
cameras' reads (and, optionally, only of some plates) over the request's time range, and the
site's HOA admin approves or declines.

Only sites that do not share with the agency can be asked; a site that shares needs no grant.
The HOA admin sees an ask once the request is approved (a supervisor signed it off, as before
residents are asked). An approved grant opens exactly those reads to the agency's searches
under the request's case number (community.lpr_grant_scope) for `lpr_grant_days`, unless the
site revokes it sooner.

What the agency learns: a site is an organisation the officer named, not a resident, so its
answer (pending, approved, declined, revoked, expired) and when it was given are shown on the
request. Which of the site's people answered (`decided_by`) stays with the site and the
auditors. Residents' answers to the footage request itself are never shown, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from community.request_settings import RequestSettings
from community.requests import APPROVED, DRAFT, NotFoundError, RequestError, get_for_agency, is_open
from store.audit import record_audit
from store.audit_community import (
    LprGrantApproveDetail,
    LprGrantAskDetail,
    LprGrantDeclineDetail,
    LprGrantExpireDetail,
    LprGrantRevokeDetail,
)
from store.base import utcnow
from store.tables import Agency, Camera, FootageRequest, LprAccessGrant, Site, SiteSharing

PENDING, GRANTED, REFUSED, LAPSED, REVOKED = "pending", "approved", "declined", "expired", "revoked"
MAX_PLATES = 20
_PLATE = re.compile(r"^[A-Z0-9]{2,16}$")


@dataclass(frozen=True)
class SiteAsk:
    """What an officer asks one site for: some of its cameras, and optionally only plates."""

    site_id: int
    camera_ids: tuple[str, ...]
    plates: tuple[str, ...] = ()


@dataclass(frozen=True)
class AskableSite:
    site_id: int
    name: str
    cameras: tuple[tuple[str, str], ...]  # (id, name)


def _shares(session: Session, site_id: int, agency_id: int) -> bool:
    return (
        session.scalar(
            select(SiteSharing.id).where(
                SiteSharing.site_id == site_id,
                SiteSharing.agency_id == agency_id,
                SiteSharing.enabled.is_(True),
            )
        )
        is not None
    )


def askable_sites(session: Session, agency_id: int) -> list[AskableSite]:
    """Sites that do not share with the agency, and their cameras: the ones a grant can open."""
    sharing = select(SiteSharing.site_id).where(
        SiteSharing.agency_id == agency_id, SiteSharing.enabled.is_(True)
    )
    sites = session.scalars(select(Site).where(Site.id.not_in(sharing)).order_by(Site.name)).all()
    cameras = session.execute(
        select(Camera.site_id, Camera.id, Camera.name)
        .where(Camera.site_id.in_([s.id for s in sites]))
        .order_by(Camera.name, Camera.id)
    ).all()
    by_site: dict[int, list[tuple[str, str]]] = {s.id: [] for s in sites}
    for site_id, camera_id, name in cameras:
        by_site[site_id].append((camera_id, name))
    return [AskableSite(s.id, s.name, tuple(by_site[s.id])) for s in sites]


def normalize_plates(plates: tuple[str, ...]) -> tuple[str, ...]:
    """Upper case without spaces, dashes or dots, sorted and unique; exact plates only."""
    found = set()
    for given in plates:
        plate = re.sub(r"[\s\-.]", "", given.upper())
        if not plate:
            continue
        if not _PLATE.match(plate):
            msg = (
                f"plates: {given!r} is not a plate; give whole plates of 2 to 16 letters and "
                "digits, without wildcards (a grant names exact plates or none)"
            )
            raise RequestError(msg)
        found.add(plate)
    if len(found) > MAX_PLATES:
        msg = f"plates: at most {MAX_PLATES} plates may be named (got {len(found)})"
        raise RequestError(msg)
    return tuple(sorted(found))


def _check_cameras(session: Session, ask: SiteAsk) -> tuple[str, ...]:
    wanted = {c.strip() for c in ask.camera_ids if c.strip()}
    if not wanted:
        msg = "camera_ids: name at least one of the site's cameras whose reads you need"
        raise RequestError(msg)
    of_site = set(session.scalars(select(Camera.id).where(Camera.site_id == ask.site_id)))
    foreign = sorted(wanted - of_site)
    if foreign:
        msg = f"camera_ids: {', '.join(foreign)} not cameras of site {ask.site_id}"
        raise RequestError(msg)
    return tuple(sorted(wanted))


def _askable_request(
    session: Session, request_id: int, agency_id: int, now: datetime
) -> FootageRequest:
    request = get_for_agency(session, request_id, agency_id)
    if request.status == DRAFT or is_open(request, now):
        return request
    msg = (
        f"footage request {request_id} is {request.status}; sites can be asked only while "
        "it is a draft or open"
    )
    raise RequestError(msg)


def _askable_site(session: Session, site_id: int, agency_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        msg = f"site_id: no site {site_id}"
        raise NotFoundError(msg)
    if _shares(session, site.id, agency_id):
        msg = (
            f"site_id: {site.name} shares its reads with your agency; search them under the "
            "case number, no grant is needed"
        )
        raise RequestError(msg)
    return site


def ask_site(
    session: Session,
    request_id: int,
    agency_id: int,
    ask: SiteAsk,
    *,
    actor: str,
    now: datetime | None = None,
) -> LprAccessGrant:
    """Add one site's ask to a draft or open request of the agency; nothing is granted yet."""
    now = now or utcnow()
    request = _askable_request(session, request_id, agency_id, now)
    site = _askable_site(session, ask.site_id, agency_id)
    cameras = _check_cameras(session, ask)
    plates = normalize_plates(ask.plates)
    taken = session.scalar(
        select(LprAccessGrant.status).where(
            LprAccessGrant.request_id == request.id, LprAccessGrant.site_id == site.id
        )
    )
    if taken is not None:
        msg = f"site_id: {site.name} was already asked on this request (its answer: {taken})"
        raise RequestError(msg)
    row = LprAccessGrant(
        request_id=request.id, site_id=site.id, agency_id=agency_id,
        case_number=request.case_number, camera_ids=list(cameras), plates=list(plates),
        starts_at=request.starts_at, ends_at=request.ends_at, status=PENDING,
        asked_by=actor, asked_at=now,
    )  # fmt: skip
    try:
        # A savepoint: an officer asking the same site at the same moment loses the race on
        # the unique key and gets the message above, not a failed transaction.
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        msg = f"site_id: {site.name} was already asked on this request (just now)"
        raise RequestError(msg) from exc
    record_audit(
        session,
        actor=actor,
        subject=f"lpr_grant:{row.id}",
        case_number=row.case_number,
        detail=LprGrantAskDetail(
            request_id=request.id,
            site_id=site.id,
            agency_id=agency_id,
            camera_ids=cameras,
            plates=plates,
        ),
    )
    return row


@dataclass(frozen=True)
class GrantView:
    """One ask as the agency and the site both see it; who at the site answered is not here."""

    id: int
    request_id: int
    site_id: int
    site_name: str
    agency_name: str
    case_number: str
    public_summary: str
    camera_ids: tuple[str, ...]
    plates: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    status: str
    asked_at: datetime
    decided_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


def _views(session: Session, *where: ColumnElement[bool]) -> list[GrantView]:
    rows = session.execute(
        select(LprAccessGrant, Site.name, Agency.name, FootageRequest.public_summary)
        .join(Site, Site.id == LprAccessGrant.site_id)
        .join(Agency, Agency.id == LprAccessGrant.agency_id)
        .join(FootageRequest, FootageRequest.id == LprAccessGrant.request_id)
        .where(*where)
        .order_by(LprAccessGrant.id.desc())
    ).all()
    return [_view(g, site, agency, summary) for g, site, agency, summary in rows]


def _view(g: LprAccessGrant, site: str, agency: str, summary: str) -> GrantView:
    return GrantView(
        id=g.id, request_id=g.request_id, site_id=g.site_id, site_name=site,
        agency_name=agency, case_number=g.case_number, public_summary=summary,
        camera_ids=tuple(g.camera_ids), plates=tuple(g.plates), starts_at=g.starts_at,
        ends_at=g.ends_at, status=g.status, asked_at=g.asked_at, decided_at=g.decided_at,
        expires_at=g.expires_at, revoked_at=g.revoked_at,
    )  # fmt: skip


def request_grants(session: Session, request_id: int, agency_id: int | None) -> list[GrantView]:
    """The sites asked on a request of the agency (None: any agency, for admins)."""
    get_for_agency(session, request_id, agency_id)
    return _views(session, LprAccessGrant.request_id == request_id)


def site_grants(session: Session, site_id: int) -> list[GrantView]:
    """The site's asks: those of approved requests, and every one it has answered."""
    return _views(
        session,
        LprAccessGrant.site_id == site_id,
        or_(LprAccessGrant.status != PENDING, FootageRequest.status == APPROVED),
    )


def _site_grant(session: Session, grant_id: int, site_id: int) -> LprAccessGrant:
    row = session.get(LprAccessGrant, grant_id)
    if row is None or row.site_id != site_id:
        msg = f"no LPR request {grant_id} for your site"
        raise NotFoundError(msg)
    return row


def decide_grant(
    session: Session,
    grant_id: int,
    site_id: int,
    *,
    approve: bool,
    actor: str,
    settings: RequestSettings,
    now: datetime | None = None,
) -> LprAccessGrant:
    """The site's answer to a pending ask; approval opens the reads for `lpr_grant_days`."""
    now = now or utcnow()
    row = _site_grant(session, grant_id, site_id)
    request = session.get_one(FootageRequest, row.request_id)
    if row.status != PENDING:
        msg = f"LPR request {grant_id} is {row.status}; it was answered already"
        raise RequestError(msg)
    if not is_open(request, now):
        msg = (
            f"LPR request {grant_id}: its footage request is {request.status}, not open; "
            "there is nothing to answer"
        )
        raise RequestError(msg)
    row.status = GRANTED if approve else REFUSED
    row.decided_by, row.decided_at = actor, now
    detail: LprGrantApproveDetail | LprGrantDeclineDetail
    if approve:
        row.expires_at = now + timedelta(days=settings.lpr_grant_days)
        detail = LprGrantApproveDetail(
            site_id=site_id, agency_id=row.agency_id, expires_at=row.expires_at
        )
    else:
        detail = LprGrantDeclineDetail(site_id=site_id, agency_id=row.agency_id)
    record_audit(
        session,
        actor=actor,
        subject=f"lpr_grant:{row.id}",
        case_number=row.case_number,
        detail=detail,
    )
    return row


def revoke_grant(
    session: Session, grant_id: int, site_id: int, *, actor: str, now: datetime | None = None
) -> LprAccessGrant:
    """End an approved grant now; searches stop seeing its reads at once."""
    row = _site_grant(session, grant_id, site_id)
    if row.status != GRANTED:
        msg = f"LPR request {grant_id} is {row.status}; only an approved grant can be revoked"
        raise RequestError(msg)
    row.status = REVOKED
    row.revoked_by, row.revoked_at = actor, now or utcnow()
    record_audit(
        session,
        actor=actor,
        subject=f"lpr_grant:{row.id}",
        case_number=row.case_number,
        detail=LprGrantRevokeDetail(site_id=site_id, agency_id=row.agency_id),
    )
    return row


def expire_grants(session: Session, now: datetime | None = None) -> int:
    """Mark grants past their time, and asks whose request closed undecided, expired.

    Searches never depend on this sweep: they check `expires_at` themselves."""
    now = now or utcnow()
    closed_requests = select(FootageRequest.id).where(
        or_(
            FootageRequest.status.not_in((DRAFT, APPROVED)),
            FootageRequest.expires_at <= now,
        )
    )
    lapsed: list[tuple[int, str | None, str]] = []
    for was, condition in (
        (GRANTED, LprAccessGrant.expires_at <= now),
        (PENDING, LprAccessGrant.request_id.in_(closed_requests)),
    ):
        lapsed += [
            (grant_id, case, was)
            for grant_id, case in session.execute(
                update(LprAccessGrant)
                .where(LprAccessGrant.status == was, condition)
                .values(status=LAPSED)
                .returning(LprAccessGrant.id, LprAccessGrant.case_number)
            )
        ]
    for grant_id, case, was in lapsed:
        record_audit(
            session,
            actor="community",
            subject=f"lpr_grant:{grant_id}",
            case_number=case,
            detail=LprGrantExpireDetail(was=was),
        )
    return len(lapsed)
