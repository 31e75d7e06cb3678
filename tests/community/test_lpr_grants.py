"""Grants of opted-out sites' plate reads: who can be asked, the site's answer, expiry, revoke,
and what a grant opens (community.lpr_grants, community.lpr_grant_scope)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from community.area import Area
from community.lpr_grant_scope import grant_covering, grants_in_force
from community.lpr_grants import (
    SiteAsk,
    ask_site,
    askable_sites,
    decide_grant,
    expire_grants,
    request_grants,
    revoke_grant,
    site_grants,
)
from community.request_settings import RequestSettings
from community.requests import (
    NotFoundError,
    RequestDraft,
    RequestError,
    decide_request,
    draft_request,
)
from org.registry import create_agency, create_camera, create_site, set_site_sharing
from store.base import utcnow
from store.tables import AuditEvent, FootageRequest, LprAccessGrant, PlateReadRow

SETTINGS = RequestSettings()


@dataclass(frozen=True)
class Seeded:
    agency: int
    other_agency: int
    closed_site: int
    open_site: int
    request: int


def _seed(session: Session, *, approve: bool = True) -> Seeded:
    metro = create_agency(session, "Metro PD", state="CA").id
    county = create_agency(session, "County SO", state="CA").id
    birch = create_site(session, "Birch Lane HOA").id
    oak = create_site(session, "Oak Ridge HOA").id
    create_camera(session, "cam-birch-1", site=birch, name="Birch gate")
    create_camera(session, "cam-birch-2", site=birch, name="Birch back")
    create_camera(session, "cam-oak-1", site=oak, name="Oak gate")
    set_site_sharing(session, oak, metro, actor="test")
    now = utcnow()
    draft = RequestDraft(
        case_number="2025-004211",
        public_summary="Hit and run on Birch Lane",
        details="",
        starts_at=now - timedelta(hours=6),
        ends_at=now - timedelta(hours=2),
        area=Area(37.7749, -122.4194, 500),
        contact="Det. Ruiz",
    )
    row = draft_request(session, metro, draft, actor="officer1", settings=SETTINGS, image_days=30)
    if approve:
        decide_request(
            session, row.id, approve=True, actor="super1", agency_id=metro, settings=SETTINGS
        )
    return Seeded(metro, county, birch, oak, row.id)


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(LprAccessGrant)) or 0


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_only_sites_that_do_not_share_can_be_asked(session: Session) -> None:
    w = _seed(session)
    assert [(s.name, s.cameras) for s in askable_sites(session, w.agency)] == [
        ("Birch Lane HOA", (("cam-birch-2", "Birch back"), ("cam-birch-1", "Birch gate")))
    ]
    with pytest.raises(RequestError, match="Oak Ridge HOA shares its reads with your agency"):
        ask_site(session, w.request, w.agency, SiteAsk(w.open_site, ("cam-oak-1",)), actor="o1")
    grant = ask_site(
        session,
        w.request,
        w.agency,
        SiteAsk(w.closed_site, ("cam-birch-1",), ("7abc-123", " 8XYZ 999 ")),
        actor="officer1",
    )
    assert grant.status == "pending" and grant.case_number == "2025-004211"
    assert grant.camera_ids == ["cam-birch-1"] and grant.plates == ["7ABC123", "8XYZ999"]
    request = session.get_one(FootageRequest, w.request)
    assert (grant.starts_at, grant.ends_at) == (request.starts_at, request.ends_at)
    assert _actions(session)[-1] == "lpr_grant.ask"
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.case_number == "2025-004211"


@pytest.mark.parametrize(
    ("ask", "error"),
    [
        (SiteAsk(0, ("cam-nope",)), "camera_ids: cam-nope not cameras of site"),
        (SiteAsk(0, ()), "name at least one of the site's cameras"),
        (SiteAsk(0, ("cam-oak-1", "cam-birch-1")), "cam-oak-1 not cameras of site"),
        (SiteAsk(0, ("cam-birch-1",), ("AB*1",)), "without wildcards"),
        (SiteAsk(0, ("cam-birch-1",), tuple(f"PL{n:03d}" for n in range(21))), "at most 20"),
    ],
)
def test_bad_asks_say_what_is_wrong_and_write_nothing(
    session: Session, ask: SiteAsk, error: str
) -> None:
    w = _seed(session)
    events = len(_actions(session))
    given = SiteAsk(w.closed_site, ask.camera_ids, ask.plates)
    with pytest.raises(RequestError, match=error):
        ask_site(session, w.request, w.agency, given, actor="officer1")
    assert _count(session) == 0 and len(_actions(session)) == events


def test_another_agency_cannot_ask_on_the_request_and_no_site_is_not_found(
    session: Session,
) -> None:
    w = _seed(session)
    with pytest.raises(NotFoundError, match="no footage request"):
        ask_site(
            session, w.request, w.other_agency, SiteAsk(w.closed_site, ("cam-birch-1",)), actor="x"
        )
    with pytest.raises(NotFoundError, match="no site 9999"):
        ask_site(session, w.request, w.agency, SiteAsk(9999, ("cam-birch-1",)), actor="x")
    assert _count(session) == 0


def test_the_site_sees_an_ask_once_the_request_is_approved(session: Session) -> None:
    w = _seed(session, approve=False)
    grant = ask_site(
        session, w.request, w.agency, SiteAsk(w.closed_site, ("cam-birch-1",)), actor="officer1"
    )
    assert site_grants(session, w.closed_site) == []
    with pytest.raises(RequestError, match="its footage request is draft, not open"):
        decide_grant(session, grant.id, w.closed_site, approve=True, actor="hoa", settings=SETTINGS)
    decide_request(
        session, w.request, approve=True, actor="super1", agency_id=w.agency, settings=SETTINGS
    )
    (seen,) = site_grants(session, w.closed_site)
    assert (seen.agency_name, seen.case_number, seen.public_summary) == (
        "Metro PD",
        "2025-004211",
        "Hit and run on Birch Lane",
    )
    assert seen.camera_ids == ("cam-birch-1",) and seen.status == "pending"
    assert site_grants(session, w.open_site) == []


def test_approval_opens_exactly_the_grant_for_its_case_until_it_expires(
    session: Session,
) -> None:
    w = _seed(session)
    grant = ask_site(
        session, w.request, w.agency, SiteAsk(w.closed_site, ("cam-birch-1",), ("7ABC123",)),
        actor="officer1",
    )  # fmt: skip
    assert grants_in_force(session, w.agency, "2025-004211", utcnow()) == []
    with pytest.raises(NotFoundError, match="no LPR request"):
        decide_grant(session, grant.id, w.open_site, approve=True, actor="hoa", settings=SETTINGS)
    decide_grant(
        session, grant.id, w.closed_site, approve=True, actor="hoa_birch", settings=SETTINGS
    )
    assert grant.status == "approved" and grant.decided_by == "hoa_birch"
    assert grant.expires_at == grant.decided_at + timedelta(days=30)  # type: ignore[operator]
    assert _actions(session)[-1] == "lpr_grant.approve"
    now = utcnow()
    (in_force,) = grants_in_force(session, w.agency, " 2025-004211 ", now)
    assert in_force.id == grant.id
    assert grants_in_force(session, w.agency, "2025-004212", now) == []
    assert grants_in_force(session, w.other_agency, "2025-004211", now) == []
    inside = grant.starts_at + timedelta(minutes=5)
    assert in_force.covers("cam-birch-1", inside, "7ABC123")
    assert not in_force.covers("cam-birch-1", inside, "7ABC124")
    assert not in_force.covers("cam-birch-2", inside, "7ABC123")
    assert not in_force.covers("cam-birch-1", grant.ends_at, "7ABC123")
    read = PlateReadRow(
        read_id="r1", camera_id="cam-birch-1", captured_at=inside, plate="7ABC123", confidence=0.9
    )
    assert grant_covering(session, w.agency, read, now) is not None
    later = grant.expires_at + timedelta(seconds=1)
    assert grants_in_force(session, w.agency, "2025-004211", later) == []
    assert grant_covering(session, w.agency, read, later) is None
    assert expire_grants(session, later) == 1
    assert grant.status == "expired" and _actions(session)[-1] == "lpr_grant.expire"
    with pytest.raises(RequestError, match="is expired; it was answered already"):
        decide_grant(session, grant.id, w.closed_site, approve=True, actor="h", settings=SETTINGS)


def test_a_decline_is_final_and_the_agency_sees_the_answer_not_who_gave_it(
    session: Session,
) -> None:
    w = _seed(session)
    grant = ask_site(
        session, w.request, w.agency, SiteAsk(w.closed_site, ("cam-birch-1",)), actor="officer1"
    )
    decide_grant(
        session, grant.id, w.closed_site, approve=False, actor="hoa_birch", settings=SETTINGS
    )
    assert grant.status == "declined" and grant.expires_at is None
    assert _actions(session)[-1] == "lpr_grant.decline"
    (view,) = request_grants(session, w.request, w.agency)
    assert view.status == "declined" and view.site_name == "Birch Lane HOA"
    assert "hoa_birch" not in repr(view)
    assert grants_in_force(session, w.agency, "2025-004211", utcnow()) == []
    with pytest.raises(RequestError, match="already asked on this request"):
        ask_site(session, w.request, w.agency, SiteAsk(w.closed_site, ("cam-birch-2",)), actor="o")
    with pytest.raises(NotFoundError):
        request_grants(session, w.request, w.other_agency)


def test_the_site_can_revoke_an_approved_grant_at_once(session: Session) -> None:
    w = _seed(session)
    grant = ask_site(
        session, w.request, w.agency, SiteAsk(w.closed_site, ("cam-birch-1",)), actor="officer1"
    )
    with pytest.raises(RequestError, match="only an approved grant can be revoked"):
        revoke_grant(session, grant.id, w.closed_site, actor="hoa_birch")
    decide_grant(
        session, grant.id, w.closed_site, approve=True, actor="hoa_birch", settings=SETTINGS
    )
    with pytest.raises(NotFoundError):
        revoke_grant(session, grant.id, w.open_site, actor="hoa_oak")
    revoke_grant(session, grant.id, w.closed_site, actor="hoa_birch")
    assert grant.status == "revoked" and grant.revoked_by == "hoa_birch"
    assert _actions(session)[-1] == "lpr_grant.revoke"
    assert grants_in_force(session, w.agency, "2025-004211", utcnow()) == []
    assert expire_grants(session, utcnow() + timedelta(days=60)) == 0


def test_an_ask_whose_request_closes_undecided_expires(session: Session) -> None:
    w = _seed(session)
    grant = ask_site(
        session, w.request, w.agency, SiteAsk(w.closed_site, ("cam-birch-1",)), actor="officer1"
    )
    request = session.get_one(FootageRequest, w.request)
    assert expire_grants(session) == 0
    assert request.expires_at is not None
    after = request.expires_at + timedelta(seconds=1)
    assert expire_grants(session, after) == 1
    assert grant.status == "expired"
    with pytest.raises(RequestError, match="is expired"):
        decide_grant(session, grant.id, w.closed_site, approve=True, actor="h", settings=SETTINGS)
    # A request past its time takes no new asks either.
    request.status = "expired"
    with pytest.raises(RequestError, match="sites can be asked only while it is a draft or open"):
        ask_site(session, w.request, w.agency, SiteAsk(w.closed_site, ("cam-birch-2",)), actor="o")


def test_two_officers_asking_one_site_at_once_get_one_ask_and_a_clear_message(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        seeded = _seed(s)
    ask = SiteAsk(site_id=seeded.closed_site, camera_ids=("cam-birch-1",), plates=())
    first = session_factory()
    ask_site(first, seeded.request, seeded.agency, ask, actor="officer1")
    outcome: list[BaseException | None] = []

    def second_officer() -> None:
        # Its check finds no ask (the first is not committed); its insert waits on the first.
        with session_factory() as s:
            try:
                ask_site(s, seeded.request, seeded.agency, ask, actor="officer2")
                s.commit()
                outcome.append(None)
            except RequestError as exc:
                outcome.append(exc)

    racer = threading.Thread(target=second_officer)
    racer.start()
    time.sleep(0.5)
    first.commit()
    first.close()
    racer.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], RequestError)
    assert "Birch Lane HOA was already asked on this request" in str(outcome[0])
    with session_factory() as s:
        assert _count(s) == 1
        assert _actions(s).count("lpr_grant.ask") == 1
