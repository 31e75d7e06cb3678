from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from store.tables import Agency


def test_times_come_back_utc_aware(session: Session) -> None:
    eastern = timezone(timedelta(hours=-5))
    agency = Agency(name="Metro PD", created_at=datetime(2026, 3, 8, 1, 30, tzinfo=eastern))
    session.add(agency)
    session.commit()
    session.expire_all()
    stored = session.get(Agency, agency.id)
    assert stored is not None
    assert stored.created_at == datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.add(Agency(name="Naive PD", created_at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()
