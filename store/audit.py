"""Writing and verifying the audit log.

Every row carries the hash of the one before it; `prev_hash` is unique, so two writers can never
fork the chain, and a row edited or deleted afterwards breaks verification.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from store.audit_details import AnyAuditDetail, UnreadableDetail, parse_detail
from store.base import utcnow
from store.tables.audit import AuditEvent

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 7_246_001


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    """The row's chain hash; `detail` goes in as the stored dict, so its bytes are the model's
    `as_json()` under sorted keys."""
    body = json.dumps(
        [
            prev_hash,
            event.at.isoformat(),
            event.actor,
            event.action,
            event.subject,
            event.case_number,
            event.purpose,
            event.detail,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record_audit(
    session: Session,
    *,
    actor: str,
    detail: AnyAuditDetail,
    subject: str = "",
    case_number: str | None = None,
    purpose: str | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; its action is the one `detail` names."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialize appenders so they chain instead of racing for the same predecessor.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    prev_hash = prev or GENESIS
    # Microseconds are dropped so the hashed time is exactly what every backend stores.
    at = utcnow().replace(microsecond=0)
    event = AuditEvent(
        at=at,
        actor=actor,
        action=detail.action,
        subject=subject,
        case_number=case_number,
        purpose=purpose,
        detail=detail.as_json(),
        prev_hash=prev_hash,
    )
    event.hash = event_hash(prev_hash, event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    problem: str


def verify_audit_chain(session: Session) -> list[ChainBreak]:
    """Recompute every hash in order; an empty list means the log is intact."""
    breaks: list[ChainBreak] = []
    expected_prev = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != expected_prev:
            breaks.append(ChainBreak(event.id, "previous hash does not match: a row was removed"))
        recomputed = event_hash(event.prev_hash, event)
        if recomputed != event.hash:
            breaks.append(
                ChainBreak(event.id, "content does not match its hash: the row was edited")
            )
        expected_prev = event.hash
    return breaks


@dataclass(frozen=True)
class UnreadableEvent:
    event_id: int
    unreadable: UnreadableDetail


def unreadable_details(session: Session) -> list[UnreadableEvent]:
    """Every row whose detail no model reads; the chain may still be intact around them."""
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id)
    )
    found = []
    for event_id, action, raw in rows:
        parsed = parse_detail(action, raw)
        if isinstance(parsed, UnreadableDetail):
            found.append(UnreadableEvent(event_id, parsed))
    return found
