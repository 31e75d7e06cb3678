"""Invite codes for residents: HOA admins issue them for their own site, admins for any site
or a named neighborhood. A code is shown once, on the page that answers its creation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from community.errors import CommunityError, NotYoursError
from community.invites import NewInvite, invites_of, issue_invite, revoke_invite
from community.mail import MailError, SmtpMailer
from community.residents import check_email
from community.settings import MailSettings
from console.deps import DbSession, HoaAdminOrAdmin, Principal, SettingsDep
from console.forms import sentence
from console.pages import render
from store.base import utcnow
from store.tables import Site

router = APIRouter()


def _site_scope(me: Principal) -> int | None:
    """The only site an HOA admin may issue for; None for admins (any)."""
    return me.site_id if me.role == "hoa_admin" else None


def _page(
    request: Request,
    me: Principal,
    db: Session,
    *,
    shown: str | None = None,
    message: str | None = None,
    error: str | None = None,
) -> Response:
    sites = db.scalars(select(Site).order_by(Site.name)).all()
    return render(
        request,
        "community/invites.html",
        me,
        invites=invites_of(db, _site_scope(me)),
        sites=sites,
        site_names={s.id: s.name for s in sites},
        now=utcnow(),
        shown=shown,
        message=message,
        error=error,
        status=422 if error and not shown else 200,
    )


def invite_mail(new: NewInvite, join_url: str) -> tuple[str, str]:
    """Subject and body of the email that hands over a code."""
    body = (
        "You are invited to register your cameras with your neighborhood's platewatch.\n\n"
        f"Your invite code: {new.code}\n"
        f"Sign up at {join_url} before {new.invite.expires_at:%Y-%m-%d %H:%M} UTC.\n\n"
        "Police never see your exact location or your name unless you choose to list your "
        "camera, and you can pause, remove or opt out at any time.\n"
    )
    return "Your platewatch invite code", body


def _send(mail: MailSettings, to: str, new: NewInvite, join_url: str) -> str | None:
    """Send after the commit; an error message if the mail server refused it."""
    subject, body = invite_mail(new, join_url)
    try:
        SmtpMailer(mail).send(to, subject, body)
    except MailError as exc:
        return f"The invite was created, but {exc}. Hand the code over yourself."
    return None


def _recipient(email: str, mail: MailSettings) -> str:
    """The checked address to email the code to, or "" for none."""
    if not email.strip():
        return ""
    if not mail.enabled:
        msg = "mail is switched off here (mail.enabled); leave the email empty"
        raise CommunityError(msg)
    return check_email(email)


def _site_field(value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit():
        msg = f"site {value!r} is not a site id; choose the site from the list"
        raise CommunityError(msg)
    return int(value)


@router.get("/community/invites", include_in_schema=False)
def invites_page(request: Request, me: HoaAdminOrAdmin, db: DbSession) -> Response:
    return _page(request, me, db)


@router.post("/community/invites", include_in_schema=False)
def invites_create(
    *,
    request: Request,
    me: HoaAdminOrAdmin,
    db: DbSession,
    settings: SettingsDep,
    site_id: Annotated[str, Form(max_length=20)] = "",
    neighborhood: Annotated[str, Form(max_length=400)] = "",
    days: Annotated[int, Form()] = 14,
    max_uses: Annotated[int, Form()] = 1,
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    scope = _site_scope(me)
    try:
        email = _recipient(email, settings.mail)
        new = issue_invite(
            db,
            actor=me.username,
            site_id=scope if me.role == "hoa_admin" else _site_field(site_id),
            neighborhood=neighborhood,
            days=days,
            max_uses=max_uses,
        )
    except CommunityError as exc:
        db.rollback()
        return _page(request, me, db, error=sentence(exc))
    db.commit()
    error = None
    if email:
        error = _send(settings.mail, email, new, str(request.url_for("join_form")))
    message = f"Invite code also sent to {email}." if email and error is None else None
    return _page(request, me, db, shown=new.code, message=message, error=error)


@router.post("/community/invites/{invite_id}/revoke", include_in_schema=False)
def invites_revoke(
    invite_id: int, request: Request, me: HoaAdminOrAdmin, db: DbSession
) -> Response:
    try:
        revoke_invite(db, actor=me.username, invite_id=invite_id, site_id=_site_scope(me))
    except NotYoursError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    db.commit()
    return _page(request, me, db, message=f"Invite {invite_id} revoked.")
