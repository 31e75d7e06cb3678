from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from store.audit import record_audit, verify_audit_chain
from store.tables import AuditEvent


def test_chain_verifies_then_detects_an_edit(session: Session) -> None:
    for i in range(3):
        record_audit(
            session,
            actor="officer1",
            action="search",
            subject=f"q{i}",
            case_number="C-1",
            purpose="stolen car",
        )
    session.commit()
    assert verify_audit_chain(session) == []

    session.execute(update(AuditEvent).where(AuditEvent.id == 2).values(actor="someone-else"))
    session.commit()
    breaks = verify_audit_chain(session)
    assert [b.event_id for b in breaks] == [2]
    assert "edited" in breaks[0].problem


def test_chain_detects_a_deleted_row(session: Session) -> None:
    for i in range(3):
        record_audit(session, actor="a", action="x", subject=str(i))
    session.commit()
    session.delete(session.get(AuditEvent, 2))
    session.commit()
    breaks = verify_audit_chain(session)
    assert [b.event_id for b in breaks] == [3]
    assert "removed" in breaks[0].problem
