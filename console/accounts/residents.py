"""Residents joining with an invite code: one transaction checks the code, counts its use,
creates the account and the profile, so a refused join leaves nothing behind (the caller
rolls back on any error, as for every service here)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from community.invites import redeem_invite
from community.residents import ProfileInput, add_profile, check_profile
from console.accounts.users import create_user
from store.audit import record_audit
from store.audit_community import ResidentJoinDetail
from store.tables import ResidentProfile, User


@dataclass(frozen=True)
class Joined:
    user: User
    profile: ResidentProfile


def join_resident(
    session: Session, *, code: str, username: str, password: str, profile: ProfileInput
) -> Joined:
    """A new resident of the invite's site or neighborhood, signed up with their own password."""
    clean = check_profile(profile)
    invite = redeem_invite(session, code)
    new = create_user(
        session,
        actor=username.strip().lower() or "resident",
        username=username,
        role="resident",
        site_id=invite.site_id,
        password=password,
    )
    user = new.user
    saved = add_profile(session, user.id, clean)
    record_audit(
        session,
        actor=user.username,
        subject=user.username,
        detail=ResidentJoinDetail(
            invite_id=invite.id,
            site_id=invite.site_id,
            neighborhood=invite.neighborhood,
            kind=saved.kind,
        ),
    )
    return Joined(user, saved)
