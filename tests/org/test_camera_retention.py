"""A camera's own image retention through org.admin, on both databases: it may shorten its
site's period (the site's own, else the deployment default) and never lengthen it; a longer
one is refused naming the site's period, with nothing written; each change is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from org.admin import (
    Actor,
    CameraChanges,
    CameraFields,
    SiteChanges,
    add_camera,
    add_site,
    update_camera,
    update_site,
)
from org.errors import InvalidField
from store.audit import verify_audit_chain
from store.audit_details import parse_detail
from store.audit_org import CameraUpdateDetail, FieldChange
from store.tables import AuditEvent, Camera

ADMIN = Actor("admin")


def _events(session: Session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _camera(session: Session, camera_id: str) -> Camera:
    camera = session.get(Camera, camera_id)
    assert camera is not None
    return camera


def test_a_shorter_period_is_set_audited_and_cleared(session: Session) -> None:
    site = add_site(session, ADMIN, "Oak Ridge HOA", image_retention_days=14)
    add_camera(session, ADMIN, CameraFields("gate-1", site.id))
    add_camera(
        session, ADMIN, CameraFields("pool", site.id, image_retention_days=3), default_image_days=30
    )
    update_camera(session, ADMIN, "gate-1", CameraChanges(image_retention_days=14))  # equal: ok
    update_camera(session, ADMIN, "pool", CameraChanges(image_retention_days=None))
    session.commit()

    assert _camera(session, "gate-1").image_retention_days == 14
    assert _camera(session, "pool").image_retention_days is None
    events = [(e.action, e.subject) for e in _events(session)]
    assert events[1:] == [
        ("camera.create", "camera:gate-1"),
        ("camera.create", "camera:pool"),
        ("camera.update", "camera:pool"),  # the period it was created with
        ("camera.update", "camera:gate-1"),
        ("camera.update", "camera:pool"),
    ]
    details = [parse_detail(e.action, e.detail) for e in _events(session)[3:]]
    assert [d.changes for d in details if isinstance(d, CameraUpdateDetail)] == [
        (FieldChange(field="image_retention_days", before=None, after="3"),),
        (FieldChange(field="image_retention_days", before=None, after="14"),),
        (FieldChange(field="image_retention_days", before="3", after=None),),
    ]
    assert verify_audit_chain(session) == []


@pytest.mark.parametrize(
    ("site_days", "default_days", "asked", "message"),
    [
        (14, 30, 15, "longer than site 'Oak Ridge HOA' keeps images (14 days, its own setting)"),
        (None, 30, 31, "(30 days, the deployment default)"),
        (None, 7, 8, "enter at most 7, or leave it empty for the site's"),
        (14, 30, 0, "camera image retention days must be at least 1 (got 0)"),
    ],
)
def test_a_period_longer_than_the_sites_is_refused_with_nothing_written(
    session: Session, site_days: int | None, default_days: int, asked: int, message: str
) -> None:
    site = add_site(session, ADMIN, "Oak Ridge HOA", image_retention_days=site_days)
    add_camera(session, ADMIN, CameraFields("gate-1", site.id))
    session.commit()
    before = len(_events(session))

    with pytest.raises(InvalidField, match=re.escape(message)) as e:
        update_camera(
            session,
            ADMIN,
            "gate-1",
            CameraChanges(location="moved", image_retention_days=asked),
            default_image_days=default_days,
        )
    assert e.value.field == "image_retention_days"
    with pytest.raises(InvalidField, match="image retention"):
        add_camera(
            session,
            ADMIN,
            CameraFields("gate-2", site.id, image_retention_days=asked),
            default_image_days=default_days,
        )
    session.rollback()
    assert _camera(session, "gate-1").image_retention_days is None
    assert _camera(session, "gate-1").location == ""
    assert session.get(Camera, "gate-2") is None
    assert session.scalar(select(func.count()).select_from(Camera)) == 1
    assert len(_events(session)) == before


def test_a_site_shortened_below_a_camera_period_leaves_the_camera_editable(
    session: Session,
) -> None:
    site = add_site(session, ADMIN, "Oak Ridge HOA", image_retention_days=14)
    add_camera(session, ADMIN, CameraFields("gate-1", site.id, image_retention_days=10))
    update_site(session, ADMIN, site.id, SiteChanges(image_retention_days=5))
    # The page re-sends the period it shows: unchanged, it is not checked again (the purge
    # keeps the shorter, the site's 5 days); a new longer one still is.
    update_camera(
        session, ADMIN, "gate-1", CameraChanges(name="North gate", image_retention_days=10)
    )
    assert _camera(session, "gate-1").name == "North gate"
    with pytest.raises(InvalidField, match=r"keeps images \(5 days"):
        update_camera(session, ADMIN, "gate-1", CameraChanges(image_retention_days=9))
