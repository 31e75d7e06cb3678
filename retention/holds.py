"""Legal holds: what keeps a read's images past its policy, and the admin services for them.

Two things hold a read: an admin hold with a reason and an end, and an alert confirmed and
linked to a case number (for the alert's own read and every sighting of it). Every hold and
release is written to the audit log in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select, text
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.audit_details import RetentionHoldPlaceDetail, RetentionHoldReleaseDetail
from store.base import utcnow
from store.tables import Alert, AlertSighting, PlateReadRow, RetentionHold

CONFIRMED = "confirmed"
# Taken by the purge's marking transaction and by place_hold on PostgreSQL, so a hold placed
# while a batch is being chosen is either seen by it or refused as too late.
PG_HOLD_LOCK = 7_246_102


class HoldError(ValueError):
    """A hold request that cannot be carried out; the message says why and what to do."""


@dataclass(frozen=True)
class HoldView:
    id: int
    read_id: str
    reason: str
    case_number: str | None
    placed_by: str
    placed_at: datetime
    until: datetime
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None
    active: bool


def _view(hold: RetentionHold, now: datetime) -> HoldView:
    return HoldView(
        id=hold.id,
        read_id=hold.read_id,
        reason=hold.reason,
        case_number=hold.case_number,
        placed_by=hold.placed_by,
        placed_at=hold.placed_at,
        until=hold.until,
        released_at=hold.released_at,
        released_by=hold.released_by,
        release_reason=hold.release_reason,
        active=hold.released_at is None and hold.until > now,
    )


def _confirmed_case(alert: type[Alert]) -> ColumnElement[bool]:
    return and_(alert.status == CONFIRMED, alert.case_number.is_not(None), alert.case_number != "")


def held_clause(as_of: datetime) -> ColumnElement[bool]:
    """SQL condition, correlated to plate_reads, for reads whose images are held at `as_of`."""
    read = PlateReadRow
    admin = exists().where(
        RetentionHold.read_id == read.read_id,
        RetentionHold.released_at.is_(None),
        RetentionHold.until > as_of,
    )
    alert = exists().where(Alert.read_id == read.read_id, _confirmed_case(Alert))
    sighting = (
        select(AlertSighting.id)
        .join(Alert, Alert.id == AlertSighting.alert_id)
        .where(AlertSighting.read_id == read.read_id, _confirmed_case(Alert))
        .exists()
    )
    return or_(admin, alert, sighting)


def lock_against_purge(session: Session) -> None:
    """Serialize the caller's transaction with the purge's choice of a batch.

    Call it before anything that makes a read held (a hold, an alert confirmed with a case
    number), write, then check the read's `images_purged_at`: the purge either sees the change
    or had already marked the read. On SQLite the write itself serializes with the purge.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_HOLD_LOCK})


def place_hold(
    session: Session,
    *,
    read_id: str,
    actor: str,
    reason: str,
    until: datetime,
    case_number: str | None = None,
    now: datetime | None = None,
) -> HoldView:
    """Keep a read's images until `until` (UTC-aware); audited. Raises HoldError if refused."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        msg = "a hold needs a reason (e.g. the case or request it serves)"
        raise HoldError(msg)
    if until.tzinfo is None:
        msg = (
            f"hold end {until.isoformat()} has no time zone; give it in UTC, "
            "e.g. 2025-01-31T00:00:00Z"
        )
        raise HoldError(msg)
    if until <= now:
        msg = f"hold end {until.isoformat()} is not in the future; a hold must end later than now"
        raise HoldError(msg)
    lock_against_purge(session)
    hold = RetentionHold(
        read_id=read_id,
        reason=reason,
        case_number=case_number or None,
        placed_by=actor,
        placed_at=now,
        until=until,
    )
    # Check the read only after the insert: on SQLite the insert takes the write lock, so a
    # purge cannot mark this read between the check and our commit.
    read = session.get(PlateReadRow, read_id)
    if read is None:
        msg = f"no read with id {read_id!r}; check the id in the console"
        raise HoldError(msg)
    session.add(hold)
    session.flush()
    session.refresh(read)
    if read.images_purged_at is not None:
        msg = (
            f"read {read_id} had its images purged at "
            f"{read.images_purged_at.isoformat()}; there is nothing left to hold"
        )
        raise HoldError(msg)
    record_audit(
        session,
        actor=actor,
        subject=f"read:{read_id}",
        case_number=hold.case_number,
        purpose=reason,
        detail=RetentionHoldPlaceDetail(hold_id=hold.id, until=until),
    )
    return _view(hold, now)


def release_hold(
    session: Session, hold_id: int, *, actor: str, reason: str, now: datetime | None = None
) -> HoldView:
    """End a hold now; the read's images become due again under its policy. Audited."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        msg = "releasing a hold needs a reason"
        raise HoldError(msg)
    hold = session.get(RetentionHold, hold_id, with_for_update=True)
    if hold is None:
        msg = f"no hold with id {hold_id}; list them with `platewatch retention hold list --all`"
        raise HoldError(msg)
    if hold.released_at is not None:
        msg = (
            f"hold {hold_id} was already released at "
            f"{hold.released_at.isoformat()} by {hold.released_by}"
        )
        raise HoldError(msg)
    hold.released_at = now
    hold.released_by = actor
    hold.release_reason = reason
    session.flush()
    record_audit(
        session,
        actor=actor,
        subject=f"read:{hold.read_id}",
        case_number=hold.case_number,
        purpose=reason,
        detail=RetentionHoldReleaseDetail(hold_id=hold.id, was_until=hold.until),
    )
    return _view(hold, now)


def list_holds(
    session: Session,
    *,
    include_ended: bool = False,
    read_id: str | None = None,
    limit: int = 200,
    now: datetime | None = None,
) -> list[HoldView]:
    """Holds newest first; by default only those in force now."""
    now = now or utcnow()
    query = select(RetentionHold).order_by(RetentionHold.id.desc()).limit(limit)
    if not include_ended:
        query = query.where(RetentionHold.released_at.is_(None), RetentionHold.until > now)
    if read_id is not None:
        query = query.where(RetentionHold.read_id == read_id)
    return [_view(hold, now) for hold in session.scalars(query)]


def is_held(session: Session, read_id: str, *, now: datetime | None = None) -> bool:
    """Whether a read's images are kept past policy now (admin hold or confirmed case)."""
    now = now or utcnow()
    query = select(PlateReadRow.read_id).where(PlateReadRow.read_id == read_id, held_clause(now))
    return session.scalar(query) is not None
