"""Who each role must belong to, as create_user enforces it and the database constraints back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.accounts.users import AccountError, as_role, create_user
from org.registry import create_agency, create_site
from store.tables import User


def test_supervisors_and_residents_are_roles() -> None:
    assert as_role("supervisor") == "supervisor" and as_role("resident") == "resident"


def test_scope_rules_of_supervisors_and_residents(session: Session) -> None:
    agency = create_agency(session, "Metro PD")
    site = create_site(session, "Oak Ridge HOA")
    session.flush()
    cases = [
        ({"role": "supervisor"}, "a supervisor must belong to an agency; pass the agency"),
        (
            {"role": "resident", "agency_id": agency.id},
            "a resident belongs to no agency; pass only the site they live in, if any",
        ),
        (
            {"role": "supervisor", "agency_id": agency.id, "site_id": site.id},
            "a supervisor belongs to an agency or a site, not both",
        ),
    ]
    for kwargs, message in cases:
        with pytest.raises(AccountError) as caught:
            create_user(session, actor="t", username="x", password="-" * 12, **kwargs)  # type: ignore[arg-type]
        assert str(caught.value) == message
    assert session.scalar(select(func.count()).select_from(User)) == 0
    sgt = create_user(session, actor="t", username="sgt", role="supervisor", agency_id=agency.id)
    res = create_user(session, actor="t", username="res", role="resident", site_id=site.id)
    assert sgt.user.agency_id == agency.id and res.user.site_id == site.id


def test_the_database_refuses_a_supervisor_without_an_agency(session: Session) -> None:
    session.add(User(username="rogue", role="supervisor", password_hash="-"))
    with pytest.raises(IntegrityError, match="supervisor_agency"):
        session.flush()
