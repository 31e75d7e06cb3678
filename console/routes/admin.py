"""Admins: accounts (add, disable, reset, tokens) and agencies' outbound webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.accounts.users import (
    AccountError,
    Role,
    create_user,
    disable_user,
    issue_token,
    list_users,
    reset_password,
    revoke_token,
)
from console.deps import Admin, DbSession, Principal, SettingsDep
from console.pages import render
from console.schemas.users import (
    DeliveryPublic,
    PasswordReset,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserCreate,
    UserCreated,
    UserPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
)
from console.webhooks import (
    WebhookError,
    agency_webhooks,
    create_webhook,
    recent_deliveries,
    set_webhook_enabled,
)
from store.tables import Agency, Site

router = APIRouter()


def _unprocessable(exc: ValueError) -> HTTPException:
    return HTTPException(status_code=422, detail=str(exc))


@router.get("/api/users", tags=["admin"])
def api_users(me: Admin, db: DbSession) -> list[UserPublic]:
    del me
    return [UserPublic.model_validate(u) for u in list_users(db)]


@router.post("/api/users", tags=["admin"], status_code=201)
def api_create_user(body: UserCreate, me: Admin, db: DbSession) -> UserCreated:
    """Add an account; its one-time password is in this response only."""
    try:
        new = create_user(
            db,
            actor=me.username,
            username=body.username,
            role=body.role,
            display_name=body.display_name,
            agency_id=body.agency_id,
            site_id=body.site_id,
        )
    except AccountError as exc:
        raise _unprocessable(exc) from exc
    db.commit()
    assert new.one_time_password is not None
    return UserCreated(
        user=UserPublic.model_validate(new.user), one_time_password=new.one_time_password
    )


@router.post("/api/users/{username}/disable", tags=["admin"])
def api_disable_user(username: str, me: Admin, db: DbSession) -> UserPublic:
    """Block the account and end its sessions and tokens at once."""
    try:
        user = disable_user(db, actor=me.username, username=username)
    except AccountError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    db.commit()
    return UserPublic.model_validate(user)


@router.post("/api/users/{username}/tokens", tags=["admin"], status_code=201)
def api_issue_token(username: str, body: TokenCreate, me: Admin, db: DbSession) -> TokenCreated:
    """A bearer token acting as the user; the secret is in this response only."""
    try:
        new = issue_token(db, actor=me.username, username=username, name=body.name, days=body.days)
    except AccountError as exc:
        raise _unprocessable(exc) from exc
    db.commit()
    token = new.token
    return TokenCreated(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        expires_at=token.expires_at,
        token=new.secret,
    )


@router.post("/api/tokens/{token_id}/revoke", tags=["admin"])
def api_revoke_token(token_id: int, me: Admin, db: DbSession) -> TokenPublic:
    """End an API token now; requests and open streams using it stop within seconds."""
    try:
        token = revoke_token(db, actor=me.username, token_id=token_id)
    except AccountError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    db.commit()
    return TokenPublic.model_validate(token)


@router.post("/api/users/{username}/password-reset", tags=["admin"])
def api_reset_password(username: str, me: Admin, db: DbSession) -> PasswordReset:
    """Replace the user's password with a one-time one and end all their sessions (their API
    tokens keep working; revoke those separately if they leaked)."""
    try:
        password = reset_password(db, actor=me.username, username=username)
    except AccountError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    db.commit()
    return PasswordReset(username=username.strip().lower(), one_time_password=password)


def _users_page(
    request: Request,
    me: Principal,
    db: Session,
    *,
    shown: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    agencies = db.scalars(select(Agency).order_by(Agency.name)).all()
    sites = db.scalars(select(Site).order_by(Site.name)).all()
    return render(
        request,
        "admin_users.html",
        me,
        users=list_users(db),
        shown=shown,
        error=error,
        agencies=agencies,
        sites=sites,
        agency_names={a.id: a.name for a in agencies},
        site_names={s.id: s.name for s in sites},
        status=422 if error else 200,
    )


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, me: Admin, db: DbSession) -> Response:
    return _users_page(request, me, db)


@router.post("/admin/users", include_in_schema=False)
def users_submit(
    *,
    request: Request,
    me: Admin,
    db: DbSession,
    settings: SettingsDep,
    op: Annotated[str, Form()],
    username: Annotated[str, Form()],
    role: Annotated[Role, Form()] = "officer",
    display_name: Annotated[str, Form()] = "",
    scope: Annotated[str, Form(description="agency:ID or site:ID")] = "",
) -> Response:
    """One form per action; secrets are shown once on the page that answers it."""
    shown: dict[str, str] | None = None
    error = None
    try:
        if op == "add":
            kind, _, ident = scope.partition(":")
            new = create_user(
                db,
                actor=me.username,
                username=username,
                role=role,
                display_name=display_name,
                agency_id=int(ident) if kind == "agency" and ident else None,
                site_id=int(ident) if kind == "site" and ident else None,
            )
            shown = {
                "what": f"One-time password for {new.user.username}",
                "secret": new.one_time_password or "",
            }
        elif op == "disable":
            disable_user(db, actor=me.username, username=username)
        elif op == "reset":
            shown = {
                "what": f"New one-time password for {username}",
                "secret": reset_password(db, actor=me.username, username=username),
            }
        elif op == "token":
            token = issue_token(
                db,
                actor=me.username,
                username=username,
                name=display_name or "console",
                days=settings.console.api_token_days,
            )
            shown = {
                "what": f"API token for {username} (expires {token.token.expires_at:%Y-%m-%d})",
                "secret": token.secret,
            }
        else:
            error = f"unknown action {op!r}"
        if error is None:
            db.commit()
    except AccountError as exc:
        db.rollback()
        error = str(exc)
    return _users_page(request, me, db, shown=shown, error=error)


@router.get("/api/webhooks", tags=["admin"])
def api_webhooks(me: Admin, db: DbSession, agency_id: int | None = None) -> list[WebhookPublic]:
    del me
    return [WebhookPublic.model_validate(w) for w in agency_webhooks(db, agency_id)]


@router.post("/api/webhooks", tags=["admin"], status_code=201)
def api_create_webhook(
    body: WebhookCreate, me: Admin, db: DbSession, settings: SettingsDep
) -> WebhookCreated:
    """Register an agency's endpoint for its alerts. Each POST is signed by the Standard
    Webhooks scheme (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`)."""
    try:
        new = create_webhook(
            db,
            actor=me.username,
            agency_id=body.agency_id,
            url=body.url,
            allow_hosts=settings.console.webhook_allow_hosts,
            ops_events=body.ops_events,
        )
    except WebhookError as exc:
        raise _unprocessable(exc) from exc
    db.commit()
    return WebhookCreated(webhook=WebhookPublic.model_validate(new.webhook), secret=new.secret)


@router.post("/api/webhooks/{webhook_id}/enabled", tags=["admin"])
def api_webhook_enabled(webhook_id: int, enabled: bool, me: Admin, db: DbSession) -> WebhookPublic:
    try:
        webhook = set_webhook_enabled(db, actor=me.username, webhook_id=webhook_id, enabled=enabled)
    except WebhookError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    db.commit()
    return WebhookPublic.model_validate(webhook)


@router.get("/api/webhooks/{webhook_id}/deliveries", tags=["admin"])
def api_deliveries(webhook_id: int, me: Admin, db: DbSession) -> list[DeliveryPublic]:
    del me
    return [DeliveryPublic.model_validate(d) for d in recent_deliveries(db, webhook_id)]


@router.get("/admin/webhooks", include_in_schema=False)
def webhooks_page(request: Request, me: Admin, db: DbSession) -> Response:
    return _webhooks_page(request, me, db)


def _webhooks_page(
    request: Request, me: Admin, db: Session, *, shown: str | None = None, error: str | None = None
) -> Response:
    hooks = agency_webhooks(db)
    deliveries = {w.id: recent_deliveries(db, w.id, limit=10) for w in hooks}
    agencies = db.scalars(select(Agency).order_by(Agency.name)).all()
    return render(
        request,
        "admin_webhooks.html",
        me,
        hooks=hooks,
        deliveries=deliveries,
        agencies=agencies,
        names={a.id: a.name for a in agencies},
        shown=shown,
        error=error,
        status=422 if error else 200,
    )


@router.post("/admin/webhooks", include_in_schema=False)
def webhooks_submit(
    *,
    request: Request,
    me: Admin,
    db: DbSession,
    settings: SettingsDep,
    op: Annotated[str, Form()],
    agency_id: Annotated[int, Form()] = 0,
    url: Annotated[str, Form()] = "",
    webhook_id: Annotated[int, Form()] = 0,
    ops_events: Annotated[bool, Form()] = False,
) -> Response:
    shown = error = None
    try:
        if op == "add":
            shown = create_webhook(
                db,
                actor=me.username,
                agency_id=agency_id,
                url=url,
                allow_hosts=settings.console.webhook_allow_hosts,
                ops_events=ops_events,
            ).secret
        else:
            set_webhook_enabled(
                db, actor=me.username, webhook_id=webhook_id, enabled=op == "enable"
            )
        db.commit()
    except WebhookError as exc:
        db.rollback()
        error = str(exc)
    return _webhooks_page(request, me, db, shown=shown, error=error)
