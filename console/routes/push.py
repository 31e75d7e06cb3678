"""Officers' Web Push: the console's public key, and subscribing a browser to alerts."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from console.deps import DbSession, Officer, SettingsDep
from console.schemas.push import (
    PushKeyPublic,
    PushSubscriptionCreate,
    PushSubscriptionDelete,
    PushSubscriptionPublic,
)
from console.webpush import (
    PushError,
    application_server_key,
    load_or_create_vapid,
    subscribe,
    unsubscribe,
)
from store.tables import User

router = APIRouter()


@router.get("/api/push/key", tags=["push"])
def push_key(request: Request, me: Officer, settings: SettingsDep) -> PushKeyPublic:
    """The key a browser subscribes with (`applicationServerKey`); null when push is off."""
    del me
    if not settings.console.push_enabled:
        return PushKeyPublic(enabled=False, application_server_key=None)
    # Read and parsed once per console, not on every feed page that asks.
    key: str | None = getattr(request.app.state, "vapid_public_key", None)
    if key is None:
        key = application_server_key(load_or_create_vapid(settings.console.push_key_path))
        request.app.state.vapid_public_key = key
    return PushKeyPublic(enabled=True, application_server_key=key)


def _user(db: DbSession, me: Officer) -> User:
    user = db.get(User, me.user_id)
    assert user is not None  # authenticated this request
    return user


@router.post("/api/push/subscriptions", tags=["push"], status_code=201)
def add_subscription(
    body: PushSubscriptionCreate,
    request: Request,
    me: Officer,
    db: DbSession,
    settings: SettingsDep,
) -> PushSubscriptionPublic:
    """Push this browser your agency's new alerts, also with the console closed."""
    if not settings.console.push_enabled:
        raise HTTPException(status_code=409, detail="push alerts are off on this console")
    try:
        row = subscribe(
            db,
            _user(db, me),
            endpoint=body.endpoint,
            p256dh=body.keys.p256dh,
            auth=body.keys.auth,
            user_agent=request.headers.get("user-agent", ""),
            allow_hosts=settings.console.push_allow_hosts,
        )
    except PushError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    db.commit()
    return PushSubscriptionPublic(id=row.id, push_service=urlsplit(row.endpoint).hostname or "")


@router.delete("/api/push/subscriptions", tags=["push"], status_code=204)
def remove_subscription(body: PushSubscriptionDelete, me: Officer, db: DbSession) -> Response:
    """Stop pushing to this browser."""
    if not unsubscribe(db, _user(db, me), body.endpoint):
        raise HTTPException(status_code=404, detail="no such subscription of yours")
    db.commit()
    return Response(status_code=204)
