"""Alert dispositions: the allowed steps, the refused ones, and their audit trail."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotlist.dispositions import set_disposition
from hotlist.errors import InvalidTransitionError
from hotlist.index_cache import IndexCache
from hotlist.ingest import ingest_read
from hotlist.lists import import_hotlist
from hotlist.settings import MatchSettings
from store.audit import verify_audit_chain
from store.tables import AlertOutbox, AuditEvent
from tests.hotlist.conftest import World, make_read


@pytest.fixture
def alert_id(
    session: Session,
    world: World,
    cache_factory: Callable[[], IndexCache],
    fresh_settings: MatchSettings,
) -> int:
    import_hotlist(session, "plate,state\nABC1234,CA\n", list_name="NCIC")
    session.commit()
    outcome = ingest_read(
        session,
        make_read("ABC1234", confidence=0.99),
        cache_factory().current(session),
        fresh_settings,
    )
    session.commit()
    return outcome.alert_ids[0]


def test_acknowledge_then_confirm_is_audited_and_published(session: Session, alert_id: int) -> None:
    alert = set_disposition(session, alert_id, actor="ofc.lee", action="acknowledge")
    assert (alert.status, alert.status_by) == ("acknowledged", "ofc.lee")
    alert = set_disposition(
        session,
        alert_id,
        actor="ofc.lee",
        action="confirm",
        case_number="2025-000123",
        note="dispatch verified NCIC",
    )
    session.commit()
    assert (alert.status, alert.case_number) == ("confirmed", "2025-000123")
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.actor, e.action, e.subject) for e in events] == [
        ("ofc.lee", "alert.acknowledge", f"alert:{alert_id}"),
        ("ofc.lee", "alert.confirm", f"alert:{alert_id}"),
    ]
    assert events[1].detail["from"] == "acknowledged" and events[1].case_number == "2025-000123"
    assert "ABC1234" not in json.dumps([e.detail for e in events])  # no plates in the audit log
    assert verify_audit_chain(session) == []
    statuses = [
        json.loads(o.payload)["status"]
        for o in session.scalars(
            select(AlertOutbox).where(AlertOutbox.kind == "status").order_by(AlertOutbox.id)
        )
    ]
    assert statuses == ["acknowledged", "confirmed"]


@pytest.mark.parametrize("reason", ["incorrect_read", "wrong_state", "vehicle_mismatch"])
def test_reject_records_why(session: Session, alert_id: int, reason: str) -> None:
    alert = set_disposition(session, alert_id, actor="ofc.lee", action="reject", reason=reason)
    assert (alert.status, alert.status_reason) == ("rejected", reason)


def test_invalid_steps_are_refused_and_change_nothing(session: Session, alert_id: int) -> None:
    with pytest.raises(ValueError, match="rejecting needs a reason"):
        set_disposition(session, alert_id, actor="ofc.lee", action="reject")
    set_disposition(session, alert_id, actor="ofc.lee", action="dismiss", note="left area")
    session.commit()
    with pytest.raises(
        InvalidTransitionError, match=f"alert {alert_id} is dismissed; cannot confirm it"
    ):
        set_disposition(session, alert_id, actor="ofc.kim", action="confirm")
    session.rollback()
    set_disposition_count = len(session.scalars(select(AuditEvent)).all())
    assert set_disposition_count == 1


def test_acknowledged_alert_cannot_be_acknowledged_again(session: Session, alert_id: int) -> None:
    set_disposition(session, alert_id, actor="a", action="acknowledge")
    with pytest.raises(InvalidTransitionError, match="allowed now: confirm, reject, dismiss"):
        set_disposition(session, alert_id, actor="b", action="acknowledge")
