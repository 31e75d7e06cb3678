"""Agencies, sites, cameras and sharing, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from org.registry import create_agency, create_camera, create_site, get_camera, set_site_sharing
from store.errors import AlreadyExistsError, NotFoundError
from store.tables import AuditEvent, SiteSharing


def test_sites_share_and_opt_out_with_an_audit_trail(session: Session) -> None:
    create_agency(session, "Springfield PD", state="il")
    site = create_site(session, "Oak Ridge HOA", resident_retention_hours=12)
    create_camera(session, "gate-1", site="Oak Ridge HOA", location="Main gate", latitude=40.1)
    set_site_sharing(session, site.id, "Springfield PD", actor="hoa.admin")
    set_site_sharing(session, "Oak Ridge HOA", "Springfield PD", enabled=False, actor="hoa.admin")
    session.commit()
    (sharing,) = session.scalars(select(SiteSharing)).all()
    assert not sharing.enabled
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["site.share", "site.unshare"]
    assert get_camera(session, "gate-1").site_id == site.id


def test_duplicates_and_unknown_names_are_explained(session: Session) -> None:
    create_site(session, "Elm Park")
    with pytest.raises(AlreadyExistsError, match="site 'Elm Park' already exists"):
        create_site(session, "Elm Park")
    with pytest.raises(NotFoundError, match="platewatch site add"):
        create_camera(session, "c1", site="Nowhere")
    with pytest.raises(ValueError, match="latitude 91"):
        create_camera(session, "c1", site="Elm Park", latitude=91)
    with pytest.raises(NotFoundError, match="platewatch agency add"):
        set_site_sharing(session, "Elm Park", "Nobody PD", actor="admin")
