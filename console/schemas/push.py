"""Web Push request and response bodies, as browsers' PushSubscription.toJSON() sends them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")

    p256dh: str = Field(max_length=200, description="the browser's P-256 key, base64url")
    auth: str = Field(max_length=100, description="the browser's 16-byte auth secret, base64url")


class PushSubscriptionCreate(BaseModel):
    # Browsers add `expirationTime`; nothing here depends on it.
    model_config = ConfigDict(extra="ignore")

    endpoint: str = Field(max_length=1000)
    keys: PushKeys


class PushSubscriptionDelete(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(max_length=1000)


class PushSubscriptionPublic(BaseModel):
    id: int
    push_service: str


class PushKeyPublic(BaseModel):
    enabled: bool
    application_server_key: str | None = Field(
        description="the console's VAPID public key for pushManager.subscribe (base64url)"
    )
