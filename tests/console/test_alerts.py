"""Officers' alerts: what a card carries, and the disposition buttons end to end."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from console.alerts import officer_alerts
from store.base import utcnow
from store.db import make_engine, make_session_factory
from store.tables import Alert, AuditEvent, PlateReadRow
from tests.console.conftest import Caller, World


def test_card_puts_the_record_beside_what_the_camera_saw(
    world: World, by_token: dict[str, Caller]
) -> None:
    card = by_token["officer_a"].get(f"/api/alerts/{world.ids['alert_oak']}").json()
    assert card["plate_read"] == "ABC123" and card["record"]["plate"] == "ABC123"
    assert card["record"]["make"] == "Honda" and card["record"]["color"] == "silver"
    assert card["record"]["list_name"] == "NCIC stolen"
    assert card["decision"] == "alert" and card["match_kind"] == "exact"
    assert card["instruction"] == "Confirm with dispatch before acting."
    assert card["camera"]["name"] == "Oak gate north"
    assert card["crop_url"] == "/api/reads/r-oak-1/crop"
    assert card["frame_url"] == "/api/reads/r-oak-1/frame"
    assert "crop_path" not in card and "frame_path" not in card  # no storage paths leak


def test_state_mismatch_is_flagged(world: World, by_token: dict[str, Caller]) -> None:
    card = by_token["officer_b"].get(f"/api/alerts/{world.ids['alert_pine']}").json()
    assert card["state_mismatch"] is True
    assert card["record"]["state"] == "NV" and card["read_region"] == "us-ca"


@pytest.mark.parametrize(
    ("choice", "status", "reason"),
    [
        ("correct_read", "confirmed", "correct_read"),
        ("wrong_state", "rejected", "wrong_state"),
        ("incorrect_read", "rejected", "incorrect_read"),
        ("vehicle_mismatch", "rejected", "vehicle_mismatch"),
        ("dismiss", "dismissed", None),
    ],
)
def test_each_disposition_is_stored_and_audited(
    world: World, as_user: dict[str, Caller], choice: str, status: str, reason: str | None
) -> None:
    alert_id = world.new_alert()
    response = as_user["officer_a"].post(
        f"/api/alerts/{alert_id}/disposition",
        json={"choice": choice, "note": f"checked: {choice}", "case_number": "24-00077"},
    )
    assert response.status_code == 200, response.text
    card = response.json()
    assert card["status"] == status and card["status_by"] == "officer_a"
    assert card["status_reason"] == reason and card["status_note"] == f"checked: {choice}"
    with world.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.subject == f"alert:{alert_id}")).one()
    assert event.actor == "officer_a" and event.case_number == "24-00077"
    assert event.purpose == f"checked: {choice}" and event.detail["to"] == status


def test_acknowledge_then_confirm(world: World, by_token: dict[str, Caller]) -> None:
    alert_id = world.new_alert()
    officer = by_token["officer_a"]
    url = f"/api/alerts/{alert_id}/disposition"
    assert officer.post(url, json={"choice": "acknowledge"}).json()["status"] == "acknowledged"
    assert officer.post(url, json={"choice": "correct_read"}).json()["status"] == "confirmed"


def test_a_closed_alert_cannot_be_changed(world: World, by_token: dict[str, Caller]) -> None:
    alert_id = world.new_alert()
    officer = by_token["officer_a"]
    url = f"/api/alerts/{alert_id}/disposition"
    assert officer.post(url, json={"choice": "dismiss"}).status_code == 200
    again = officer.post(url, json={"choice": "correct_read", "note": "changed my mind"})
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"alert {alert_id} is dismissed; cannot confirm it (the alert is closed)"
    )
    with world.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None and alert.status == "dismissed" and alert.status_note is None


def test_unknown_choice_is_refused_with_the_allowed_ones(
    world: World, by_token: dict[str, Caller]
) -> None:
    alert_id = world.ids["alert_oak"]
    response = by_token["officer_a"].post(
        f"/api/alerts/{alert_id}/disposition", json={"choice": "arrest"}
    )
    assert response.status_code == 422
    assert "correct_read" in str(response.json()["detail"])


def test_list_filters_by_status_and_id(world: World, by_token: dict[str, Caller]) -> None:
    alert_id = world.new_alert()
    officer = by_token["officer_a"]
    newer = officer.get("/api/alerts", params={"after_id": alert_id - 1}).json()
    assert [a["id"] for a in newer] == [alert_id]
    officer.post(f"/api/alerts/{alert_id}/disposition", json={"choice": "dismiss"})
    open_ids = {a["id"] for a in officer.get("/api/alerts", params={"status": "new"}).json()}
    assert alert_id not in open_ids


def test_feed_page_renders_the_open_alerts(world: World, as_user: dict[str, Caller]) -> None:
    page = as_user["officer_a"].get("/alerts")
    assert page.status_code == 200
    assert 'id="initial-alerts"' in page.text
    assert "Confirm with dispatch before acting." in page.text
    assert "ABC123" in page.text  # the open Oak Ridge alert is in the initial data
    assert "7KQM552" not in page.text  # Pine Hills' is not Metro's


def test_purged_images_are_gone_not_broken(world: World, by_token: dict[str, Caller]) -> None:
    alert_id = world.new_alert(images=True)
    officer = by_token["officer_a"]
    card = officer.get(f"/api/alerts/{alert_id}").json()
    assert officer.get(card["crop_url"]).status_code == 200
    with world.session() as s:
        read = s.get(PlateReadRow, card["read_id"])
        assert read is not None
        read.images_purged_at = utcnow()
        s.commit()
    gone = officer.get(card["crop_url"])
    assert gone.status_code == 410 and "purged by retention" in gone.json()["detail"]
    assert officer.get(f"/api/alerts/{alert_id}").json()["crop_url"] is None


def _statements_for(world: World, limit: int) -> tuple[int, int]:
    """(SQL statements run, cards returned) for one page of Metro's feed, on an engine of its
    own so nothing else running (the feed poller) is counted."""
    engine = make_engine(world.url)
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    try:
        with make_session_factory(engine)() as session:
            event.listen(engine, "before_cursor_execute", count)
            cards = officer_alerts(session, world.ids["metro"], limit=limit)
    finally:
        engine.dispose()
    return len(seen), len(cards)


def test_a_feed_page_costs_the_same_queries_whatever_its_length(world: World) -> None:
    for _ in range(12):
        world.new_alert()
    few, shown_few = _statements_for(world, 2)
    many, shown_many = _statements_for(world, 200)
    assert shown_few == 2 and shown_many >= 12
    assert many == few, f"{few} statements for 2 alerts, {many} for {shown_many}"
