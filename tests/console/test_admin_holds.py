"""Admins' legal holds over the API: placing one names the field that is wrong and writes
nothing, and placing and releasing are audited as the admin (retention.holds' own events)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from store.tables import AuditEvent, RetentionHold
from tests.console.conftest import Caller, World


def _field(response: Any) -> tuple[str, str]:
    """The first field a 422 names, and its message."""
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    return str(error["loc"][-1]), str(error["msg"])


def _events(world: World, subject: str) -> list[AuditEvent]:
    with world.session() as s:
        query = select(AuditEvent).where(AuditEvent.subject == subject).order_by(AuditEvent.id)
        return list(s.scalars(query))


def test_admin_places_and_releases_a_hold(world: World, by_token: dict[str, Caller]) -> None:
    admin = by_token["admin"]
    until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    body = {"read_id": "r-oak-plain", "reason": "subpoena 7", "until": until, "case_number": "C-1"}
    placed = admin.post("/api/admin/holds", json=body)
    assert placed.status_code == 201, placed.text
    hold = placed.json()
    assert (hold["read_id"], hold["case_number"], hold["active"]) == ("r-oak-plain", "C-1", True)
    assert hold["placed_by"] == "admin"
    listed = admin.get("/api/admin/holds", params={"read_id": "r-oak-plain"}).json()
    assert [h["id"] for h in listed] == [hold["id"]]
    path = f"/api/admin/holds/{hold['id']}/release"
    field, _ = _field(admin.post(path, json={"reason": "   "}))
    assert field == "reason"
    released = admin.post(path, json={"reason": "case closed"})
    assert released.status_code == 200, released.text
    assert (released.json()["active"], released.json()["released_by"]) == (False, "admin")
    twice = admin.post(path, json={"reason": "again"})
    assert twice.status_code == 409 and "already released" in twice.json()["detail"]
    assert admin.post("/api/admin/holds/999999/release", json={"reason": "x"}).status_code == 404
    assert admin.get("/api/admin/holds", params={"read_id": "r-oak-plain"}).json() == []
    ended = admin.get("/api/admin/holds", params={"read_id": "r-oak-plain", "include_ended": True})
    assert [h["id"] for h in ended.json()] == [hold["id"]]
    actions = [
        (e.action, e.actor, e.case_number)
        for e in _events(world, "read:r-oak-plain")
        if e.action.startswith("retention.hold")
    ]
    assert actions[-2:] == [
        ("retention.hold.place", "admin", "C-1"),
        ("retention.hold.release", "admin", "C-1"),
    ]


def test_a_bad_hold_names_the_field_and_writes_nothing(
    world: World, by_token: dict[str, Caller]
) -> None:
    admin = by_token["admin"]
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    good = {"read_id": "r-oak-plain", "reason": "records request", "until": future}
    cases = [
        ({**good, "until": "2001-01-01T00:00:00Z"}, "until", "not in the future"),
        ({**good, "until": "2099-01-01T00:00:00"}, "until", "timezone"),
        ({**good, "read_id": "no-such-read"}, "read_id", "no read with id 'no-such-read'"),
        ({**good, "reason": " "}, "reason", "match pattern"),
        ({k: v for k, v in good.items() if k != "reason"}, "reason", "required"),
    ]
    with world.session() as s:
        before = s.scalar(select(func.count()).select_from(RetentionHold))
    for body, field, words in cases:
        named, msg = _field(admin.post("/api/admin/holds", json=body))
        assert (named, words in msg) == (field, True), (body, msg)
    with world.session() as s:
        assert s.scalar(select(func.count()).select_from(RetentionHold)) == before
