"""Holds against the audit log: every hold and release is announced there, in the chain the
checkpoints sign, so an edited, slipped-in or deleted hold row shows.

A hold decides whether an overdue read is a violation, so its read, reason, case, placer, end
and release must be what the audit log recorded when it was placed and released.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit_details import (
    RetentionHoldPlaceDetail,
    RetentionHoldReleaseDetail,
    UnreadableDetail,
    parse_as,
)
from store.tables import AuditEvent, RetentionHold

_Detail = TypeVar("_Detail", RetentionHoldPlaceDetail, RetentionHoldReleaseDetail)
_Placed = tuple[AuditEvent, RetentionHoldPlaceDetail]


def _announcements(session: Session, model: type[_Detail]) -> dict[int, tuple[AuditEvent, _Detail]]:
    found: dict[int, tuple[AuditEvent, _Detail]] = {}
    for event in session.scalars(select(AuditEvent).where(AuditEvent.action == model.action)):
        detail = parse_as(model, event.detail)
        # An unreadable detail announces no hold here; `audit verify` reports it.
        if not isinstance(detail, UnreadableDetail):
            found[detail.hold_id] = (event, detail)
    return found


def _placed_as_announced(hold: RetentionHold, placed: _Placed) -> bool:
    event, detail = placed
    return (event.subject, event.actor, event.case_number, event.purpose, detail.until) == (
        f"read:{hold.read_id}",
        hold.placed_by,
        hold.case_number,
        hold.reason,
        hold.until,
    )


def _hold_problem(
    hold: RetentionHold, placed: _Placed | None, released: AuditEvent | None
) -> str | None:
    if placed is None:
        return "no audit event placed this hold: it was written outside the retention commands"
    if not _placed_as_announced(hold, placed):
        return (
            f"its read, reason, case, placer or end differs from audit event {placed[0].id}: "
            "the hold was edited"
        )
    return _release_problem(hold, released)


def _release_problem(hold: RetentionHold, released: AuditEvent | None) -> str | None:
    if released is None:
        if hold.released_at is not None or hold.released_by is not None:
            return "released, but no audit event released it: the hold was edited"
        return None
    if hold.released_at is None:
        return f"audit event {released.id} released it but the row is in force again: edited"
    if (hold.released_by, hold.release_reason) != (released.actor, released.purpose):
        return f"its release differs from audit event {released.id}: the hold was edited"
    return None


def verify_holds(session: Session) -> list[tuple[str, str]]:
    """(subject, problem) for every hold that is not what the audit log announced."""
    placed = _announcements(session, RetentionHoldPlaceDetail)
    released = {k: e for k, (e, _) in _announcements(session, RetentionHoldReleaseDetail).items()}
    problems = []
    seen = set()
    for hold in session.scalars(select(RetentionHold).order_by(RetentionHold.id)):
        seen.add(hold.id)
        problem = _hold_problem(hold, placed.get(hold.id), released.get(hold.id))
        if problem is not None:
            problems.append((f"hold:{hold.id}", problem))
    for hold_id in sorted(placed.keys() - seen):
        why = f"audit event {placed[hold_id][0].id} placed this hold but it is missing: deleted"
        problems.append((f"hold:{hold_id}", why))
    return problems
