"""The monthly transparency summary per agency, the figures a public portal publishes.

Counts are computed from the source tables each time, never stored, so they cannot drift from
what the audit log and retention receipts prove.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community.cells import cell_center, cell_of
from console.schemas.audit import TransparencyRow
from console.scope import alerts_of_agency, shared_camera_ids, shared_site_ids
from store.audit_details import ReadsSearchDetail
from store.checkpoints import Checkpoint, latest_checkpoints
from store.signing import CheckpointKeyError, load_key
from store.tables import (
    Agency,
    Alert,
    AuditEvent,
    Camera,
    FootageRequest,
    FootageShare,
    PlateReadRow,
    RetentionPurgedRead,
    RetentionReceipt,
    User,
)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(ValueError):
    pass


def month_bounds(month: str) -> tuple[datetime, datetime]:
    found = _MONTH.match(month.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        msg = f"month {month!r} must be YYYY-MM, e.g. 2025-03"
        raise MonthError(msg)
    year, mon = int(found.group(1)), int(found.group(2))
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _count(session: Session, query: object) -> int:
    return int(session.scalar(query) or 0)  # type: ignore[call-overload]


def agency_month(session: Session, agency: Agency, month: str) -> TransparencyRow:
    start, end = month_bounds(month)
    cameras = shared_camera_ids(agency.id)
    officers = select(User.username).where(User.agency_id == agency.id)
    alerts = (
        select(func.count())
        .select_from(Alert)
        .where(alerts_of_agency(agency.id), Alert.first_seen_at >= start, Alert.first_seen_at < end)
    )
    return TransparencyRow(
        agency_id=agency.id,
        agency=agency.name,
        month=f"{start:%Y-%m}",
        cameras=_count(
            session,
            select(func.count())
            .select_from(Camera)
            .where(Camera.site_id.in_(shared_site_ids(agency.id)), Camera.created_at < end),
        ),
        reads=_count(
            session,
            select(func.count())
            .select_from(PlateReadRow)
            .where(
                PlateReadRow.camera_id.in_(cameras),
                PlateReadRow.captured_at >= start,
                PlateReadRow.captured_at < end,
            ),
        ),
        hits=_count(session, alerts),
        confirmed_hits=_count(session, alerts.where(Alert.status == "confirmed")),
        searches=_count(
            session,
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == ReadsSearchDetail.action,
                AuditEvent.actor.in_(officers),
                AuditEvent.at >= start,
                AuditEvent.at < end,
            ),
        ),
        reads_purged=_count(
            session,
            select(func.count())
            .select_from(RetentionPurgedRead)
            .join(RetentionReceipt, RetentionReceipt.run_id == RetentionPurgedRead.run_id)
            .where(
                RetentionPurgedRead.site_id.in_(shared_site_ids(agency.id)),
                RetentionReceipt.issued_at >= start,
                RetentionReceipt.issued_at < end,
            ),
        ),
    )


def transparency(
    session: Session, month: str, agency_id: int | None = None
) -> list[TransparencyRow]:
    query = select(Agency).order_by(Agency.name)
    if agency_id is not None:
        query = query.where(Agency.id == agency_id)
    return [agency_month(session, agency, month) for agency in session.scalars(query)]


def current_month() -> str:
    return f"{datetime.now(UTC):%Y-%m}"


@dataclass(frozen=True)
class PublishedHeads:
    """The newest signed checkpoint of each chain and the key that verifies them."""

    public_key: str | None
    key_id: str | None
    checkpoints: tuple[Checkpoint, ...]


def published_heads(session: Session, key_path: Path) -> PublishedHeads:
    """What the transparency page publishes so anyone can check the chains' heads."""
    try:
        verifier = load_key(key_path).verifier
    except CheckpointKeyError:
        # No key yet (nothing signed) or unreadable here: publish the checkpoints anyway.
        return PublishedHeads(None, None, tuple(latest_checkpoints(session)))
    return PublishedHeads(verifier.public_b64, verifier.key_id, tuple(latest_checkpoints(session)))


@dataclass(frozen=True)
class PublishedRequest:
    """An approved footage request as the public sees it: never the police-only details, and
    the number of shares, never of residents asked."""

    agency: str
    approved_on: str
    area: str
    starts_at: datetime
    ends_at: datetime
    public_summary: str
    shares: int


def published_requests(session: Session) -> list[PublishedRequest]:
    """Every footage request that was approved, newest first."""
    shares = (
        select(func.count())
        .select_from(FootageShare)
        .where(FootageShare.request_id == FootageRequest.id, FootageShare.withdrawn_at.is_(None))
        .scalar_subquery()
    )
    rows = session.execute(
        select(FootageRequest, Agency.name, shares)
        .join(Agency, Agency.id == FootageRequest.agency_id)
        .where(FootageRequest.approved_at.is_not(None), FootageRequest.status != "declined")
        .order_by(FootageRequest.approved_at.desc())
    ).all()
    published = []
    for req, agency, count in rows:
        lat, lon = cell_center(cell_of(req.center_lat, req.center_lon))
        assert req.approved_at is not None
        published.append(
            PublishedRequest(
                agency=agency,
                approved_on=f"{req.approved_at:%Y-%m-%d}",
                area=f"within {req.radius_m} m of {lat:.3f}, {lon:.3f}",
                starts_at=req.starts_at,
                ends_at=req.ends_at,
                public_summary=req.public_summary,
                shares=int(count or 0),
            )
        )
    return published
