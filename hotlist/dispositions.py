"""What officers decide about an alert: acknowledged, then confirmed, rejected or dismissed.

    new ──acknowledge──> acknowledged ──confirm──> confirmed   (correct read, dispatch verified)
     │                        ├────────reject───> rejected    (incorrect_read, wrong_state,
     │                        │                                vehicle_mismatch)
     │                        └────────dismiss──> dismissed
     └── confirm / reject / dismiss directly: an officer who checked with dispatch at once
         should not have to click twice.

Every step records who, when and why in the audit log (no plates: the audit log is kept for
good) and queues a "status" outbox row so every console sees it.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotlist.errors import InvalidTransitionError
from hotlist.wire import write_outbox
from store.audit import record_audit
from store.audit_details import (
    AlertAcknowledgeDetail,
    AlertConfirmDetail,
    AlertDismissDetail,
    AlertRejectDetail,
)
from store.base import utcnow
from store.errors import NotFoundError
from store.tables import Alert

Action = Literal["acknowledge", "confirm", "reject", "dismiss"]
REJECT_REASONS = ("incorrect_read", "wrong_state", "vehicle_mismatch")
_TARGET: dict[str, str] = {
    "acknowledge": "acknowledged",
    "confirm": "confirmed",
    "reject": "rejected",
    "dismiss": "dismissed",
}
_DETAIL: dict[
    str,
    type[AlertAcknowledgeDetail | AlertConfirmDetail | AlertRejectDetail | AlertDismissDetail],
] = {
    "acknowledge": AlertAcknowledgeDetail,
    "confirm": AlertConfirmDetail,
    "reject": AlertRejectDetail,
    "dismiss": AlertDismissDetail,
}
_ALLOWED: dict[str, tuple[str, ...]] = {
    "new": ("acknowledge", "confirm", "reject", "dismiss"),
    "acknowledged": ("confirm", "reject", "dismiss"),
}


def allowed_actions(status: str) -> tuple[str, ...]:
    return _ALLOWED.get(status, ())


def set_disposition(
    session: Session,
    alert_id: int,
    *,
    actor: str,
    action: Action,
    reason: str | None = None,
    note: str | None = None,
    case_number: str | None = None,
) -> Alert:
    """Move an alert one step; InvalidTransitionError if its status does not allow it."""
    if action not in _TARGET:
        msg = f"unknown action {action!r}; use one of {', '.join(_TARGET)}"
        raise ValueError(msg)
    if not actor.strip():
        msg = "a disposition needs the officer who made it (actor)"
        raise ValueError(msg)
    if action == "reject" and reason not in REJECT_REASONS:
        msg = f"rejecting needs a reason: one of {', '.join(REJECT_REASONS)} (got {reason!r})"
        raise ValueError(msg)
    if case_number is not None and len(case_number) > 64:
        msg = "case number is longer than 64 characters"
        raise ValueError(msg)
    # Lock the row: two officers acting at once must not both move it from the same status.
    alert = session.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())
    if alert is None:
        msg = f"no alert {alert_id}"
        raise NotFoundError(msg)
    if action not in allowed_actions(alert.status):
        raise InvalidTransitionError(alert_id, alert.status, action, allowed_actions(alert.status))
    previous = alert.status
    alert.status = _TARGET[action]
    alert.status_by = actor
    alert.updated_at = utcnow()
    if reason is not None:
        alert.status_reason = reason
    if note is not None:
        alert.status_note = note
    if case_number is not None:
        alert.case_number = case_number
    session.flush()
    record_audit(
        session,
        actor=actor,
        subject=f"alert:{alert.id}",
        case_number=case_number or alert.case_number,
        purpose=note,
        detail=_DETAIL[action](
            from_status=previous,
            to_status=alert.status,
            reason=reason,
            list_name=alert.list_name,
            decision=alert.decision,
        ),
    )
    write_outbox(session, alert, "status")
    return alert
