from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community.area import Area, AreaError, distance_m
from community.request_settings import RequestSettings
from community.requests import (
    RequestDraft,
    RequestError,
    decide_request,
    draft_request,
    expire_requests,
    is_open,
)
from console.accounts.users import create_user
from org.registry import create_agency
from store.base import utcnow
from store.tables import (
    AuditEvent,
    CommunityCamera,
    FootageRequest,
    RequestRecipient,
    ResidentProfile,
)
from tests.community.residents import CENTER, add_resident, near

SETTINGS = RequestSettings()


def _draft(**changes: object) -> RequestDraft:
    now = utcnow()
    values: dict[str, object] = {
        "case_number": "2025-004211",
        "public_summary": "Car break-in on Elm St around 2 am",
        "details": "Suspect vehicle: grey sedan, partial plate 7K",
        "starts_at": now - timedelta(hours=6),
        "ends_at": now - timedelta(hours=2),
        "area": Area(CENTER[0], CENTER[1], 500),
        "contact": "Det. Ruiz, 555-0100",
    }
    values.update(changes)
    return RequestDraft(**values)  # type: ignore[arg-type]


def _agency(session: Session) -> int:
    agency = create_agency(session, "Metro PD", state="CA")
    for username, role in (("officer1", "officer"), ("super1", "supervisor")):
        create_user(
            session, actor="test", username=username, role=role,  # type: ignore[arg-type]
            agency_id=agency.id, password="correct horse battery",
        )  # fmt: skip
    return agency.id


def test_haversine_matches_a_known_distance() -> None:
    # One thousandth of a degree of latitude is 111.2 m.
    assert distance_m(37.0, -122.0, 37.001, -122.0) == pytest.approx(111.2, abs=0.1)


def test_approval_asks_exactly_the_askable_residents_in_the_area(session: Session) -> None:
    agency_id = _agency(session)
    inside = add_resident(session, "ana", camera_at=near(0.001))
    edge = add_resident(session, "ben", camera_at=near(0.0044))  # 489 m
    add_resident(session, "cat", camera_at=near(0.02))  # 2.2 km away
    opted = add_resident(session, "dan", camera_at=near(0.001))
    add_resident(session, "eve", camera_at=None, home_at=near(0.001))  # no camera
    session.get_one(ResidentProfile, opted.user_id).opted_out_at = utcnow()
    paused = add_resident(session, "fay", camera_at=near(0.002))
    session.get_one(CommunityCamera, paused.camera_id).paused_at = utcnow()
    row = draft_request(
        session, agency_id, _draft(), actor="officer1", settings=SETTINGS, image_days=30
    )
    assert session.scalar(select(func.count()).select_from(RequestRecipient)) == 0
    outgoing = decide_request(
        session, row.id, approve=True, actor="super1", agency_id=agency_id, settings=SETTINGS
    )
    asked = set(session.scalars(select(RequestRecipient.user_id)))
    assert asked == {inside.user_id, edge.user_id}
    assert sorted(m.to for m in outgoing) == [inside.email, edge.email]
    assert "Car break-in" in outgoing[0].subject
    assert "grey sedan" not in outgoing[0].body  # police-only details stay with police
    assert row.status == "approved"
    assert row.expires_at == row.approved_at + timedelta(days=7)  # type: ignore[operator]
    actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["footage_request.draft", "footage_request.approve"]


def test_the_drafter_cannot_approve_and_a_decision_is_final(session: Session) -> None:
    agency_id = _agency(session)
    row = draft_request(
        session, agency_id, _draft(), actor="super1", settings=SETTINGS, image_days=30
    )
    with pytest.raises(RequestError, match="another supervisor or an admin must approve"):
        decide_request(
            session, row.id, approve=True, actor="super1", agency_id=agency_id, settings=SETTINGS
        )
    decide_request(session, row.id, approve=False, actor="admin", agency_id=None, settings=SETTINGS)
    with pytest.raises(RequestError, match="declined, not a draft"):
        decide_request(
            session, row.id, approve=True, actor="admin", agency_id=None, settings=SETTINGS
        )
    with pytest.raises(RequestError, match="no footage request"):
        decide_request(
            session, row.id, approve=True, actor="x", agency_id=agency_id + 99, settings=SETTINGS
        )


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"area": Area(CENTER[0], CENTER[1], 1500)}, "radius 1500 m is out of bounds"),
        ({"area": Area(95.0, 0.0, 100)}, "is not on Earth"),
        ({"starts_at": utcnow() - timedelta(hours=15)}, "at most 12 hours"),
        ({"ends_at": utcnow() + timedelta(hours=1)}, "ends in the future"),
        (
            {
                "starts_at": utcnow() - timedelta(days=31),
                "ends_at": utcnow() - timedelta(days=30, hours=20),
            },
            "outside the 30-day image retention window",
        ),
        ({"case_number": "  "}, "case number: required"),
        ({"contact": ""}, "investigator contact: required"),
    ],
)
def test_bad_drafts_say_what_is_wrong_and_write_nothing(
    session: Session, changes: dict[str, object], error: str
) -> None:
    agency_id = _agency(session)
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises((RequestError, AreaError), match=error):
        draft_request(
            session, agency_id, _draft(**changes), actor="officer1", settings=SETTINGS,
            image_days=30,
        )  # fmt: skip
    assert session.scalar(select(func.count()).select_from(FootageRequest)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_requests_expire_after_the_setting(session: Session) -> None:
    agency_id = _agency(session)
    row = draft_request(
        session, agency_id, _draft(), actor="officer1", settings=SETTINGS, image_days=30
    )
    decide_request(
        session, row.id, approve=True, actor="super1", agency_id=agency_id,
        settings=RequestSettings(request_days=2),
    )  # fmt: skip
    assert is_open(row, utcnow() + timedelta(days=1))
    assert expire_requests(session, utcnow() + timedelta(days=1)) == 0
    assert expire_requests(session, utcnow() + timedelta(days=2, minutes=1)) == 1
    session.refresh(row)
    assert row.status == "expired"
    assert not is_open(row, utcnow())
