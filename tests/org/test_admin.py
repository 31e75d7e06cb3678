"""Agencies, sites and cameras added, edited and retired through org.admin, on both databases:
each change audited under its actor, bad values refused by field with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from org.admin import (
    KEEP,
    Actor,
    AgencyChanges,
    CameraChanges,
    CameraFields,
    SiteChanges,
    add_agency,
    add_camera,
    add_site,
    retire_agency,
    retire_camera,
    retire_site,
    share_site,
    update_agency,
    update_camera,
    update_site,
)
from org.errors import InvalidField, RetiredError
from store.audit import verify_audit_chain
from store.audit_details import parse_detail
from store.audit_org import (
    AgencyRetireDetail,
    CameraCreateDetail,
    CameraUpdateDetail,
    FieldChange,
    SiteRetireDetail,
    SiteUpdateDetail,
)
from store.errors import AlreadyExistsError, NotFoundError
from store.tables import Agency, AuditEvent, Camera, Site, SiteSharing

ADMIN = Actor("admin")
TOKEN = Actor("admin", token_id=7)


def _events(session: Session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _count(session: Session, table: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def _oak(session: Session) -> Site:
    site = add_site(session, ADMIN, "Oak Ridge HOA")
    add_camera(
        session,
        ADMIN,
        CameraFields("gate-1", site.id, location="Main gate", latitude=40.1, region="il"),
    )
    return site


def test_adds_and_edits_are_audited_with_the_actor_token_and_each_change(
    session: Session,
) -> None:
    agency = add_agency(session, Actor("cli:pat"), "Springfield PD", state="il")
    site = _oak(session)
    camera = update_camera(
        session, TOKEN, "gate-1", CameraChanges(name="North gate", longitude=-89.6, region="")
    )
    update_site(session, ADMIN, site.id, SiteChanges(image_retention_days=14))
    update_agency(session, ADMIN, agency.id, AgencyChanges(jurisdiction=" Springfield "))
    session.commit()

    assert (agency.state, camera.region, camera.name, camera.longitude) == (
        "IL",
        None,
        "North gate",
        -89.6,
    )
    assert camera.location == "Main gate" and camera.latitude == 40.1  # left out: kept
    events = _events(session)
    assert [(e.actor, e.action, e.subject) for e in events] == [
        ("cli:pat", "agency.create", f"agency:{agency.id}"),
        ("admin", "site.create", f"site:{site.id}"),
        ("admin", "camera.create", "camera:gate-1"),
        ("admin", "camera.update", "camera:gate-1"),
        ("admin", "site.update", f"site:{site.id}"),
        ("admin", "agency.update", f"agency:{agency.id}"),
    ]
    created = parse_detail(events[2].action, events[2].detail)
    assert isinstance(created, CameraCreateDetail)
    assert (created.site, created.region, created.token_id) == ("Oak Ridge HOA", "IL", None)
    assert parse_detail(events[3].action, events[3].detail) == CameraUpdateDetail(
        token_id=7,
        site="Oak Ridge HOA",
        changes=(
            FieldChange(field="name", before="gate-1", after="North gate"),
            FieldChange(field="longitude", before=None, after="-89.6"),
            FieldChange(field="region", before="IL", after=None),
        ),
    )
    assert parse_detail(events[4].action, events[4].detail) == SiteUpdateDetail(
        token_id=None,
        name="Oak Ridge HOA",
        changes=(FieldChange(field="image_retention_days", before=None, after="14"),),
    )
    assert verify_audit_chain(session) == []


def test_an_edit_that_changes_nothing_writes_no_event(session: Session) -> None:
    site = _oak(session)
    before = len(_events(session))
    update_site(session, ADMIN, site.id, SiteChanges(name="Oak Ridge HOA", kind="hoa"))
    update_camera(session, ADMIN, "gate-1", CameraChanges(location="Main gate", name=KEEP))
    assert len(_events(session)) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (CameraChanges(latitude=91.0), "latitude", "latitude 91.0 is outside -90..90"),
        (CameraChanges(longitude=-181.0), "longitude", "longitude -181.0 is outside -180..180"),
        (CameraChanges(region="QQ"), "region", "unknown state code 'QQ'"),
        (CameraChanges(region="DEU"), "region", "must be a two-letter state or province"),
        (CameraChanges(name="  "), "name", "camera name must not be empty"),
        (CameraChanges(direction="x" * 17), "direction", "keep it to 16"),
    ],
)
def test_bad_camera_values_name_the_field_and_change_nothing(
    session: Session, changes: CameraChanges, field: str, message: str
) -> None:
    _oak(session)
    session.commit()
    before = len(_events(session))
    with pytest.raises(InvalidField, match=message) as caught:
        update_camera(session, ADMIN, "gate-1", CameraChanges(location="moved"))
        update_camera(session, ADMIN, "gate-1", changes)
    assert caught.value.field == field
    session.rollback()
    camera = session.get(Camera, "gate-1")
    assert camera is not None
    assert (camera.location, camera.latitude, camera.region) == ("Main gate", 40.1, "IL")
    assert len(_events(session)) == before


def test_bad_site_and_agency_values_are_refused_before_anything_is_written(
    session: Session,
) -> None:
    with pytest.raises(InvalidField, match="image retention days must be at least 1") as caught:
        add_site(session, ADMIN, "Elm Park", image_retention_days=0)
    assert caught.value.field == "image_retention_days"
    with pytest.raises(InvalidField, match="site kind 'castle' is not one of hoa"):
        add_site(session, ADMIN, "Elm Park", kind="castle")
    with pytest.raises(InvalidField, match="agency state 'DEU' must be a two-letter"):
        add_agency(session, ADMIN, "Metro PD", state="DEU")
    with pytest.raises(NotFoundError, match="no site 'Nowhere'"):
        add_camera(session, ADMIN, CameraFields("c1", "Nowhere"))
    assert _count(session, Site) == _count(session, Agency) == _count(session, AuditEvent) == 0


def test_names_and_ids_already_taken_are_refused(session: Session) -> None:
    site = _oak(session)
    add_site(session, ADMIN, "Elm Park")
    add_agency(session, ADMIN, "Metro PD")
    county = add_agency(session, ADMIN, "County SO")
    with pytest.raises(AlreadyExistsError, match="site 'Elm Park' already exists"):
        update_site(session, ADMIN, site.id, SiteChanges(name="Elm Park"))
    with pytest.raises(AlreadyExistsError, match="agency 'Metro PD' already exists"):
        update_agency(session, ADMIN, county.id, AgencyChanges(name="Metro PD"))
    with pytest.raises(AlreadyExistsError, match="camera 'gate-1' already exists"):
        add_camera(session, ADMIN, CameraFields("gate-1", "Elm Park"))
    assert site.name == "Oak Ridge HOA" and county.name == "County SO"


def test_a_retired_agency_loses_every_share_and_takes_no_new_one(session: Session) -> None:
    metro = add_agency(session, ADMIN, "Metro PD")
    county = add_agency(session, ADMIN, "County SO")
    oak = _oak(session)
    elm = add_site(session, ADMIN, "Elm Park")
    for site in (oak, elm):
        share_site(session, ADMIN, site.id, metro.id, enabled=True)
    share_site(session, ADMIN, oak.id, county.id, enabled=True)
    retire_agency(session, TOKEN, metro.id)
    session.commit()

    shares = session.execute(select(SiteSharing.agency_id, SiteSharing.enabled)).all()
    assert sorted(shares) == sorted([(metro.id, False), (metro.id, False), (county.id, True)])
    last = _events(session)[-1]
    assert parse_detail(last.action, last.detail) == AgencyRetireDetail(
        token_id=7, name="Metro PD", shares_ended=("Elm Park", "Oak Ridge HOA")
    )
    with pytest.raises(RetiredError, match="agency 'Metro PD' is retired"):
        share_site(session, ADMIN, oak.id, metro.id, enabled=True)
    with pytest.raises(RetiredError, match=r"agency 'Metro PD' was retired at .* no longer be"):
        update_agency(session, ADMIN, metro.id, AgencyChanges(name="Metro Police"))
    with pytest.raises(RetiredError, match="was retired"):
        retire_agency(session, ADMIN, metro.id)
    share_site(session, ADMIN, oak.id, metro.id, enabled=False)  # switching off stays allowed


def test_a_retired_site_retires_its_cameras_and_stops_sharing(session: Session) -> None:
    metro = add_agency(session, ADMIN, "Metro PD")
    oak = _oak(session)
    add_camera(session, ADMIN, CameraFields("gate-2", oak.id))
    first_retired = retire_camera(session, ADMIN, "gate-2").retired_at
    share_site(session, ADMIN, oak.id, metro.id, enabled=True)
    retire_site(session, ADMIN, oak.id)
    session.commit()

    gate_1, gate_2 = (session.get(Camera, c) for c in ("gate-1", "gate-2"))
    assert gate_1 is not None and gate_1.retired_at == oak.retired_at
    assert gate_2 is not None and gate_2.retired_at == first_retired  # kept as it was
    assert session.scalar(select(SiteSharing.enabled)) is False
    last = _events(session)[-1]
    assert parse_detail(last.action, last.detail) == SiteRetireDetail(
        token_id=None, name="Oak Ridge HOA", cameras_retired=("gate-1",), shares_ended=("Metro PD",)
    )
    with pytest.raises(RetiredError, match="site 'Oak Ridge HOA' is retired; add the camera"):
        add_camera(session, ADMIN, CameraFields("gate-3", oak.id))
    with pytest.raises(RetiredError, match="camera 'gate-1' was retired"):
        update_camera(session, ADMIN, "gate-1", CameraChanges(name="x"))
