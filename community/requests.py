"""Footage requests: an officer drafts one, an admin or the agency's supervisor approves it,
and only then are the residents with an askable camera in its area asked (by email and in
their portal). Requests close themselves `request_days` after approval.

Who was asked lives in `request_recipients` only; nothing here returns it to police.
Case numbers are checked by the console (its search rules) before a draft reaches here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from community.area import Area
from community.request_settings import RequestSettings
from store.audit import record_audit
from store.audit_community import (
    FootageRequestApproveDetail,
    FootageRequestDeclineDetail,
    FootageRequestDraftDetail,
    FootageRequestExpireDetail,
)
from store.base import utcnow
from store.tables import (
    CommunityCamera,
    FootageRequest,
    RequestRecipient,
    ResidentProfile,
    User,
)

DRAFT, APPROVED, DECLINED, EXPIRED = "draft", "approved", "declined", "expired"


class RequestError(ValueError):
    """A request that cannot be made or changed; the message says why and what to do."""


class NotFoundError(RequestError):
    """No such request (or share, or file) for this caller: the same answer either way."""


@dataclass(frozen=True)
class RequestDraft:
    case_number: str
    public_summary: str
    details: str
    starts_at: datetime
    ends_at: datetime
    area: Area
    contact: str


@dataclass(frozen=True)
class Outgoing:
    """One email to send once the transaction that caused it has committed."""

    to: str
    subject: str
    body: str


def check_window(
    starts_at: datetime, ends_at: datetime, *, max_hours: int, image_days: int, now: datetime
) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        msg = "time range: give both times with a timezone, e.g. 2025-03-01T21:00:00Z"
        raise RequestError(msg)
    if ends_at <= starts_at:
        msg = "time range: the end must come after the start"
        raise RequestError(msg)
    if ends_at - starts_at > timedelta(hours=max_hours):
        msg = f"time range: at most {max_hours} hours may be asked for; narrow it"
        raise RequestError(msg)
    if ends_at > now:
        msg = "time range: it ends in the future; footage can only be asked for what happened"
        raise RequestError(msg)
    oldest = now - timedelta(days=image_days)
    if starts_at < oldest:
        msg = (
            f"time range: it starts before {oldest:%Y-%m-%d %H:%M} UTC, outside the "
            f"{image_days}-day image retention window; footage that old is gone"
        )
        raise RequestError(msg)


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        msg = f"{field}: required; fill it in"
        raise RequestError(msg)
    if len(value) > limit:
        msg = f"{field}: at most {limit} characters (got {len(value)})"
        raise RequestError(msg)
    return value


def draft_request(
    session: Session,
    agency_id: int,
    draft: RequestDraft,
    *,
    actor: str,
    settings: RequestSettings,
    image_days: int,
    now: datetime | None = None,
) -> FootageRequest:
    """Store a draft; nobody is asked until it is approved."""
    now = now or utcnow()
    if not draft.case_number.strip():
        msg = "case number: required; give the number of the case this request is for"
        raise RequestError(msg)
    draft.area.check(settings.request_max_radius_m)
    check_window(
        draft.starts_at,
        draft.ends_at,
        max_hours=settings.request_max_hours,
        image_days=image_days,
        now=now,
    )
    row = FootageRequest(
        agency_id=agency_id,
        case_number=_text(draft.case_number, "case number", 64),
        public_summary=_text(draft.public_summary, "public summary", 500),
        details=_text(draft.details, "details", 10_000, required=False),
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        center_lat=draft.area.lat,
        center_lon=draft.area.lon,
        radius_m=draft.area.radius_m,
        contact=_text(draft.contact, "investigator contact", 200),
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        actor=actor,
        subject=f"footage_request:{row.id}",
        case_number=row.case_number,
        detail=FootageRequestDraftDetail(agency_id=agency_id, radius_m=row.radius_m),
    )
    return row


def get_for_agency(session: Session, request_id: int, agency_id: int | None) -> FootageRequest:
    """The request, if `agency_id` is its agency (None: any agency, for admins)."""
    row = session.get(FootageRequest, request_id)
    if row is None or (agency_id is not None and row.agency_id != agency_id):
        msg = f"no footage request {request_id} of your agency"
        raise NotFoundError(msg)
    return row


def list_for_agency(session: Session, agency_id: int | None) -> list[FootageRequest]:
    query = select(FootageRequest).order_by(FootageRequest.id.desc())
    if agency_id is not None:
        query = query.where(FootageRequest.agency_id == agency_id)
    return list(session.scalars(query))


def decide_request(
    session: Session,
    request_id: int,
    *,
    approve: bool,
    actor: str,
    agency_id: int | None,
    settings: RequestSettings,
    now: datetime | None = None,
) -> list[Outgoing]:
    """Approve (asking the residents in the area) or decline a draft; the emails to send."""
    now = now or utcnow()
    row = get_for_agency(session, request_id, agency_id)
    if row.status != DRAFT:
        msg = f"footage request {request_id} is {row.status}, not a draft; it was decided already"
        raise RequestError(msg)
    if row.created_by == actor:
        msg = "you drafted this request; another supervisor or an admin must approve it"
        raise RequestError(msg)
    row.status = APPROVED if approve else DECLINED
    row.approved_by, row.approved_at = actor, now
    outgoing: list[Outgoing] = []
    if approve:
        row.expires_at = now + timedelta(days=settings.request_days)
        outgoing = _ask_residents(session, row, now)
    record_audit(
        session,
        actor=actor,
        subject=f"footage_request:{row.id}",
        case_number=row.case_number,
        # For auditors only: no police route shows the audit log.
        detail=(
            FootageRequestApproveDetail(asked=len(outgoing))
            if approve
            else FootageRequestDeclineDetail()
        ),
    )
    return outgoing


def askable_residents(session: Session, area: Area) -> list[tuple[int, str]]:
    """(user id, email) of each resident with an askable camera in the area."""
    lat0, lat1, lon0, lon1 = area.bounds()
    rows = session.execute(
        select(User.id, ResidentProfile.email, CommunityCamera.latitude, CommunityCamera.longitude)
        .join(CommunityCamera, CommunityCamera.owner_user_id == User.id)
        .join(ResidentProfile, ResidentProfile.user_id == User.id)
        .where(
            User.role == "resident",
            User.disabled.is_(False),
            ResidentProfile.opted_out_at.is_(None),
            CommunityCamera.removed_at.is_(None),
            CommunityCamera.paused_at.is_(None),
            CommunityCamera.latitude.between(lat0, lat1),
            CommunityCamera.longitude.between(lon0, lon1),
        )
        .order_by(User.id)
    ).all()
    found: dict[int, str] = {}
    for user_id, email, lat, lon in rows:
        if area.contains(lat, lon):
            found.setdefault(user_id, email)
    return list(found.items())


def _ask_residents(session: Session, row: FootageRequest, now: datetime) -> list[Outgoing]:
    area = Area(row.center_lat, row.center_lon, row.radius_m)
    outgoing = []
    for user_id, email in askable_residents(session, area):
        session.add(RequestRecipient(request_id=row.id, user_id=user_id, notified_at=now))
        outgoing.append(
            Outgoing(
                email,
                f"Footage request: {row.public_summary[:80]}",
                f"An investigator asks whether your camera recorded anything between "
                f"{row.starts_at:%Y-%m-%d %H:%M} and {row.ends_at:%Y-%m-%d %H:%M} UTC.\n\n"
                f"{row.public_summary}\n\nShare, decline or stop these requests in your "
                "portal: /community/portal. Police do not learn that you were asked, and "
                "nothing is shared unless you choose to.",
            )
        )
    session.flush()
    return outgoing


def expire_requests(session: Session, now: datetime | None = None) -> int:
    """Close approved requests past their end; how many were closed."""
    now = now or utcnow()
    closed = [
        request_id
        for (request_id,) in session.execute(
            update(FootageRequest)
            .where(FootageRequest.status == APPROVED, FootageRequest.expires_at <= now)
            .values(status=EXPIRED)
            .returning(FootageRequest.id)
        )
    ]
    for request_id in closed:
        record_audit(
            session,
            actor="community",
            subject=f"footage_request:{request_id}",
            detail=FootageRequestExpireDetail(),
        )
    return len(closed)


def is_open(row: FootageRequest, now: datetime) -> bool:
    return row.status == APPROVED and row.expires_at is not None and row.expires_at > now
