from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from community.errors import CommunityError
from community.residents import ProfileInput, add_profile, check_profile, opt_out
from store.tables import AuditEvent, User


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (ProfileInput("flat", "a@example.org"), "kind 'flat' is unknown; choose home or business"),
        (ProfileInput("home", "nobody"), "'nobody' is not an email address"),
        (ProfileInput("home", "a@example.org", latitude=1.0), "needs both latitude and longitude"),
        (ProfileInput("home", "a@example.org", "", 1.0, 999.0), "longitude 999.0 is out of range"),
    ],
)
def test_a_bad_profile_names_the_field(given: ProfileInput, message: str) -> None:
    with pytest.raises(CommunityError, match=message):
        check_profile(given)


def test_opting_out_is_kept_and_audited(session: Session) -> None:
    user = User(username="ann", role="resident", password_hash="-")
    session.add(user)
    session.flush()
    profile = add_profile(session, user.id, ProfileInput("home", " ann@example.org "))
    assert profile.email == "ann@example.org"
    first = opt_out(session, user_id=user.id, actor="ann").opted_out_at
    assert first is not None
    assert opt_out(session, user_id=user.id, actor="ann").opted_out_at == first
    session.commit()
    details = session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "resident.opt_out")
    ).all()
    assert details == [{"already_opted_out": False}, {"already_opted_out": True}]
