from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community.errors import InviteError, NotYoursError
from community.invites import code_digest, invites_of, issue_invite, redeem_invite, revoke_invite
from org.registry import create_site
from store.base import utcnow
from store.tables import AuditEvent, InviteCode

ASK = "ask your HOA admin for a new one"


def _site(session: Session, name: str = "Oak Ridge HOA") -> int:
    site = create_site(session, name)
    session.flush()
    return site.id


def test_a_code_is_stored_only_as_its_hash_and_audited(session: Session) -> None:
    site = _site(session)
    new = issue_invite(session, actor="hoa_oak", site_id=site, days=7, max_uses=3)
    session.commit()
    row = session.get(InviteCode, new.invite.id)
    assert row is not None and row.code_hash == code_digest(new.code) != new.code
    assert len(new.code) == 14 and new.code.count("-") == 2
    assert row.max_uses == 3 and row.uses == 0
    assert timedelta(days=6, hours=23) < row.expires_at - utcnow() <= timedelta(days=7)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "invite.create")).one()
    assert event.actor == "hoa_oak" and event.subject == str(row.id)
    assert new.code not in str(event.detail)


def test_codes_are_typed_loosely(session: Session) -> None:
    new = issue_invite(session, actor="a", site_id=_site(session))
    typed = new.code.lower().replace("-", " ")
    assert redeem_invite(session, typed).uses == 1


def test_a_used_up_code_is_refused_and_not_counted_again(session: Session) -> None:
    new = issue_invite(session, actor="a", site_id=_site(session), max_uses=1)
    redeem_invite(session, new.code)
    with pytest.raises(InviteError) as caught:
        redeem_invite(session, new.code)
    assert str(caught.value) == f"the invite code has already been used; {ASK}"
    assert session.get(InviteCode, new.invite.id).uses == 1  # type: ignore[union-attr]


def test_an_expired_code_names_the_day_it_expired(session: Session) -> None:
    new = issue_invite(session, actor="a", site_id=_site(session))
    new.invite.expires_at = utcnow() - timedelta(minutes=1)
    session.flush()
    with pytest.raises(InviteError) as caught:
        redeem_invite(session, new.code)
    day = new.invite.expires_at.strftime("%Y-%m-%d")
    assert str(caught.value) == f"the invite code expired on {day}; {ASK}"
    assert new.invite.uses == 0


def test_a_revoked_code_is_refused(session: Session) -> None:
    new = issue_invite(session, actor="a", site_id=_site(session))
    revoke_invite(session, actor="admin", invite_id=new.invite.id, site_id=None)
    with pytest.raises(InviteError) as caught:
        redeem_invite(session, new.code)
    assert str(caught.value) == f"the invite code was revoked; {ASK}"


def test_an_unknown_code_is_refused(session: Session) -> None:
    with pytest.raises(InviteError) as caught:
        redeem_invite(session, "AAAA-BBBB-CCCC")
    assert str(caught.value) == f"the invite code is not recognised; check it for typos or {ASK}"


def test_an_hoa_admin_revokes_and_lists_only_their_own_sites_invites(session: Session) -> None:
    oak, pine = _site(session), _site(session, "Pine Hills HOA")
    pine_invite = issue_invite(session, actor="hoa_pine", site_id=pine).invite
    oak_invite = issue_invite(session, actor="hoa_oak", site_id=oak).invite
    with pytest.raises(NotYoursError, match=f"no invite {pine_invite.id} here"):
        revoke_invite(session, actor="hoa_oak", invite_id=pine_invite.id, site_id=oak)
    assert pine_invite.revoked_at is None
    assert invites_of(session, oak) == [oak_invite]
    assert invites_of(session, None) == [oak_invite, pine_invite]


BAD_INVITES: list[tuple[dict[str, object], str]] = [
    ({"site_id": None}, "an invite is for a site or a neighborhood"),
    ({"site_id": 999}, "no site with id 999; create it first"),
    ({"neighborhood": "Elm", "site_id": None, "days": 0}, "an invite lasts 1 to 90 days"),
    ({"neighborhood": "Elm", "site_id": None, "max_uses": 0}, "used 1 to 500 times"),
]


def test_a_bad_invite_is_refused_and_nothing_is_written(session: Session) -> None:
    for kwargs, message in BAD_INVITES:
        with pytest.raises(InviteError, match=message):
            issue_invite(session, actor="admin", **kwargs)  # type: ignore[arg-type]
    assert session.scalar(select(func.count()).select_from(InviteCode)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
