"""The alert relay: an alert and an officer's disposition of it leave the database outbox for
`platewatch.alerts` and `platewatch.dispositions` on the real broker."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hotlist.dispositions import set_disposition
from store.db import make_session_factory, transaction
from store.tables import Alert, AlertOutbox
from stream.events import AlertDisposition, AlertEvent, AlertKind, parse_event
from stream.publisher import EdgePublisher
from tests.stream.conftest import HOT_PLATES, settings_for
from tests.stream.helpers import (
    count_rows,
    read_topic,
    running_matcher,
    synthetic_reads,
    wait_until,
)


@pytest.mark.kafka
def test_a_disposition_is_published_beside_the_alerts_status_change(
    tmp_path: Path, kafka_bootstrap: str, sqlite_engine: Engine
) -> None:
    settings = settings_for(tmp_path, kafka_bootstrap, str(sqlite_engine.url))
    stream = settings.stream
    read = next(synthetic_reads(1, ["elm-st"], hot_plates=[HOT_PLATES[0]], every=1, seed=31))
    with running_matcher(settings, sqlite_engine), EdgePublisher(settings) as edge:
        edge.publish(read)
        wait_until("the alert", lambda: count_rows(sqlite_engine, Alert) == 1)
        with sqlite_engine.connect() as conn:
            alert_id = conn.scalar(select(Alert.id))
        assert alert_id is not None
        with transaction(make_session_factory(sqlite_engine)) as session:
            set_disposition(
                session,
                alert_id,
                actor="officer 12",
                action="reject",
                reason="wrong_state",
                note="CA plate on a car registered in NV",
                case_number="24-118",
            )
        dispositions = read_topic(kafka_bootstrap, stream.dispositions_topic, expect=1)
        alert_values = read_topic(kafka_bootstrap, stream.alerts_topic, expect=2)
    with sqlite_engine.connect() as conn:
        status_row = conn.scalar(select(AlertOutbox.id).where(AlertOutbox.kind == "status"))
        unpublished = conn.scalar(select(AlertOutbox.id).where(AlertOutbox.published_at.is_(None)))
    assert unpublished is None
    assert len(dispositions) == 1
    disposition = parse_event(dispositions[0], AlertDisposition)
    assert isinstance(disposition, AlertDisposition)
    assert disposition.model_dump(exclude={"at", "schema_version", "type"}) == {
        "event_id": status_row,
        "alert_id": alert_id,
        "status": "rejected",
        "reason": "wrong_state",
        "note": "CA plate on a car registered in NV",
        "by": "officer 12",
        "case_number": "24-118",
    }
    events = [parse_event(v, AlertEvent, max_bytes=10**7) for v in alert_values]
    kinds = {e.kind for e in events if isinstance(e, AlertEvent) and e.alert_id == alert_id}
    assert kinds == {AlertKind.RAISED, AlertKind.STATUS}
