from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.audit import (
    GENESIS,
    event_hash,
    record_audit,
    unreadable_details,
    verify_audit_chain,
)
from store.audit_details import AuthLogoutDetail, SafelistExportDetail, parse_detail
from store.tables import AuditEvent
from tests.store.audit_samples import SAMPLES


def test_chain_verifies_then_detects_an_edit(session: Session) -> None:
    for i in range(3):
        record_audit(
            session,
            actor="officer1",
            subject=f"q{i}",
            case_number="C-1",
            purpose="stolen car",
            detail=SafelistExportDetail(entries=i),
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
        record_audit(session, actor="a", subject=str(i), detail=AuthLogoutDetail(session_id=i))
    session.commit()
    session.delete(session.get(AuditEvent, 2))
    session.commit()
    breaks = verify_audit_chain(session)
    assert [b.event_id for b in breaks] == [3]
    assert "removed" in breaks[0].problem


def test_every_action_round_trips_through_the_database(session: Session) -> None:
    for action in sorted(SAMPLES):
        record_audit(session, actor="officer1", subject=action, detail=SAMPLES[action][0])
    session.commit()
    session.expire_all()  # read what the database holds, not the objects just written
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [r.action for r in rows] == sorted(SAMPLES)
    for row in rows:
        model, legacy = SAMPLES[row.action]
        assert parse_detail(row.action, row.detail) == model
        # The hash is the one the untyped writer gave the same row.
        untyped = AuditEvent(
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject=row.subject,
            case_number=row.case_number,
            purpose=row.purpose,
            detail=legacy,
        )
        assert row.hash == event_hash(row.prev_hash, untyped), row.action
    assert verify_audit_chain(session) == []
    assert unreadable_details(session) == []


def test_an_edited_detail_breaks_the_chain_and_reads_as_unreadable(session: Session) -> None:
    record_audit(session, actor="a", subject="s", detail=SafelistExportDetail(entries=3))
    record_audit(session, actor="a", subject="s", detail=SafelistExportDetail(entries=4))
    session.commit()
    session.execute(update(AuditEvent).where(AuditEvent.id == 1).values(detail={"entries": "3"}))
    session.commit()
    assert [b.event_id for b in verify_audit_chain(session)] == [1]
    [found] = unreadable_details(session)
    assert found.event_id == 1 and found.unreadable.action == "safelist.export"
    assert "entries: Input should be a valid integer" in found.unreadable.problem


def test_a_retired_action_in_an_intact_chain_is_still_reported(session: Session) -> None:
    """A row from a release whose action no model knows keeps its hash but cannot be read."""
    old = AuditEvent(
        at=datetime(2024, 1, 1, tzinfo=UTC),
        actor="a",
        action="export.reads",
        subject="s",
        detail={"rows": 3},
        prev_hash=GENESIS,
    )
    old.hash = event_hash(GENESIS, old)
    session.add(old)
    session.flush()
    record_audit(session, actor="a", subject="s", detail=SafelistExportDetail(entries=1))
    session.commit()
    assert verify_audit_chain(session) == []
    [found] = unreadable_details(session)
    assert found.event_id == old.id
    assert found.unreadable.problem == "no detail model for action 'export.reads'"
