"""Invite codes residents join with. A code is shown once when issued; only its SHA-256 is
stored (the codes are random enough that a fast hash is as good as a slow one)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from community.errors import InviteError, NotYoursError
from store.audit import record_audit
from store.audit_community import InviteCreateDetail, InviteRevokeDetail
from store.base import utcnow
from store.tables import InviteCode, Site

# No 0/O, 1/I/L: codes are read out loud and typed from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GROUPS, GROUP_LEN = 3, 4
MAX_DAYS = 90
MAX_USES = 500
ASK_FOR_ANOTHER = "ask your HOA admin for a new one"


@dataclass(frozen=True)
class NewInvite:
    invite: InviteCode
    code: str


def normalize(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_digest(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()


def _new_code() -> str:
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LEN)) for _ in range(GROUPS))
    return "-".join(groups)


def _check_terms(
    session: Session, site_id: int | None, neighborhood: str, days: int, max_uses: int
) -> None:
    if site_id is None and not neighborhood:
        msg = "an invite is for a site or a neighborhood; choose the site or name the neighborhood"
        raise InviteError(msg)
    if len(neighborhood) > 200:
        msg = "the neighborhood name is longer than 200 characters; shorten it"
        raise InviteError(msg)
    if site_id is not None and session.get(Site, site_id) is None:
        msg = f"no site with id {site_id}; create it first"
        raise InviteError(msg)
    if not 1 <= days <= MAX_DAYS:
        msg = f"an invite lasts 1 to {MAX_DAYS} days, not {days}"
        raise InviteError(msg)
    if not 1 <= max_uses <= MAX_USES:
        msg = f"an invite may be used 1 to {MAX_USES} times, not {max_uses}"
        raise InviteError(msg)


def issue_invite(
    session: Session,
    *,
    actor: str,
    site_id: int | None,
    neighborhood: str = "",
    days: int = 14,
    max_uses: int = 1,
) -> NewInvite:
    """A code for a site or a named neighborhood (at least one); returned here only."""
    neighborhood = neighborhood.strip()
    _check_terms(session, site_id, neighborhood, days, max_uses)
    code = _new_code()
    invite = InviteCode(
        code_hash=code_digest(code),
        site_id=site_id,
        neighborhood=neighborhood,
        created_by=actor,
        expires_at=utcnow() + timedelta(days=days),
        max_uses=max_uses,
    )
    session.add(invite)
    session.flush()
    record_audit(
        session,
        actor=actor,
        subject=str(invite.id),
        detail=InviteCreateDetail(
            site_id=site_id, neighborhood=neighborhood, days=days, max_uses=max_uses
        ),
    )
    return NewInvite(invite, code)


def invites_of(session: Session, site_id: int | None) -> list[InviteCode]:
    """Newest first; `site_id` None lists every invite (admins)."""
    query = select(InviteCode).order_by(InviteCode.id.desc())
    if site_id is not None:
        query = query.where(InviteCode.site_id == site_id)
    return list(session.scalars(query))


def revoke_invite(
    session: Session, *, actor: str, invite_id: int, site_id: int | None
) -> InviteCode:
    """End an invite; `site_id` set limits it to that site's invites (HOA admins)."""
    invite = session.get(InviteCode, invite_id)
    if invite is None or (site_id is not None and invite.site_id != site_id):
        msg = f"no invite {invite_id} here; pick one from the list"
        raise NotYoursError(msg)
    already = invite.revoked_at is not None
    invite.revoked_at = invite.revoked_at or utcnow()
    record_audit(
        session,
        actor=actor,
        subject=str(invite.id),
        detail=InviteRevokeDetail(site_id=invite.site_id, already_revoked=already),
    )
    return invite


def redeem_invite(session: Session, code: str) -> InviteCode:
    """Count one use of a valid code, or say exactly why it cannot be used."""
    invite = session.scalar(select(InviteCode).where(InviteCode.code_hash == code_digest(code)))
    if invite is None or not normalize(code):
        msg = f"the invite code is not recognised; check it for typos or {ASK_FOR_ANOTHER}"
        raise InviteError(msg)
    if invite.revoked_at is not None:
        msg = f"the invite code was revoked; {ASK_FOR_ANOTHER}"
        raise InviteError(msg)
    if invite.expires_at <= utcnow():
        msg = f"the invite code expired on {invite.expires_at:%Y-%m-%d}; {ASK_FOR_ANOTHER}"
        raise InviteError(msg)
    # One statement checks and counts, so two residents racing for the last use cannot both win.
    counted = session.execute(
        update(InviteCode)
        .where(InviteCode.id == invite.id, InviteCode.uses < InviteCode.max_uses)
        .values(uses=InviteCode.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        msg = f"the invite code has already been used; {ASK_FOR_ANOTHER}"
        raise InviteError(msg)
    session.refresh(invite)
    return invite
