"""Residents' profiles: how to reach them, where they live (private), and opting out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy.orm import Session

from community.cells import check_point
from community.errors import CommunityError
from store.audit import record_audit
from store.audit_community import ResidentOptOutDetail
from store.base import utcnow
from store.tables import ResidentProfile

ResidentKind = Literal["home", "business"]
RESIDENT_KINDS: tuple[ResidentKind, ...] = get_args(ResidentKind)
# Deliberately loose: the mail server is the judge; this catches slips like a missing @.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ProfileInput:
    kind: str
    email: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None


def check_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        msg = f"{email!r} is not an email address; write it as name@example.org"
        raise CommunityError(msg)
    return email


def check_profile(given: ProfileInput) -> ProfileInput:
    """The input cleaned, or an error naming the field that is wrong."""
    if given.kind not in RESIDENT_KINDS:
        msg = f"kind {given.kind!r} is unknown; choose home or business"
        raise CommunityError(msg)
    address = given.address.strip()
    if len(address) > 300:
        msg = "the address is longer than 300 characters; shorten it"
        raise CommunityError(msg)
    if (given.latitude is None) != (given.longitude is None):
        msg = "the home pin needs both latitude and longitude, or neither"
        raise CommunityError(msg)
    if given.latitude is not None and given.longitude is not None:
        try:
            check_point(given.latitude, given.longitude)
        except ValueError as exc:
            raise CommunityError(str(exc)) from exc
    return ProfileInput(
        given.kind, check_email(given.email), address, given.latitude, given.longitude
    )


def add_profile(session: Session, user_id: int, given: ProfileInput) -> ResidentProfile:
    clean = check_profile(given)
    profile = ResidentProfile(
        user_id=user_id,
        kind=clean.kind,
        email=clean.email,
        address=clean.address,
        latitude=clean.latitude,
        longitude=clean.longitude,
    )
    session.add(profile)
    session.flush()
    return profile


def opt_out(session: Session, *, user_id: int, actor: str) -> ResidentProfile:
    """Never ask this resident again; repeating it keeps the first time."""
    profile = session.get(ResidentProfile, user_id)
    if profile is None:
        msg = "only residents can opt out of requests"
        raise CommunityError(msg)
    already = profile.opted_out_at is not None
    profile.opted_out_at = profile.opted_out_at or utcnow()
    record_audit(
        session,
        actor=actor,
        subject=actor,
        detail=ResidentOptOutDetail(already_opted_out=already),
    )
    return profile
