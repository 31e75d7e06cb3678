"""Accounts, tokens and webhooks as the API shows and takes them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from console.accounts.users import Role


class MePublic(BaseModel):
    username: str
    display_name: str
    role: Role
    agency_id: int | None
    site_id: int | None
    via: Literal["session", "token"]
    must_change_password: bool


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    agency_id: int | None
    site_id: int | None
    disabled: bool
    must_change_password: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=100)
    display_name: str = Field(default="", max_length=200)
    role: Role
    agency_id: int | None = None
    site_id: int | None = None


class UserCreated(BaseModel):
    user: UserPublic
    one_time_password: str = Field(description="shown once; the user must change it")


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    days: int = Field(default=365, ge=1, le=3650)


class TokenCreated(BaseModel):
    id: int
    name: str
    prefix: str
    expires_at: datetime | None
    token: str = Field(description="shown once; send it as 'Authorization: Bearer <token>'")


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class PasswordReset(BaseModel):
    username: str
    one_time_password: str = Field(
        description="shown once; the user signs in with it and must then choose their own"
    )


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_id: int
    url: str = Field(min_length=8, max_length=500)
    ops_events: bool = Field(
        default=False,
        description="also send camera operations alerts (camera.alert_raised, "
        "camera.alert_cleared) for the cameras of sites shared with the agency",
    )


class WebhookPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agency_id: int
    url: str
    enabled: bool
    last_alert_id: int
    last_sighting_id: int
    ops_events: bool
    created_by: str
    created_at: datetime


class WebhookCreated(BaseModel):
    webhook: WebhookPublic
    secret: str = Field(
        description="shown once; receivers verify webhook-signature with it (Standard Webhooks)"
    )


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    alert_id: int | None = Field(description="the plate alert; None for a camera alert")
    ops_alert_id: int | None = Field(description="the camera operations alert, if it is one")
    event: str
    sighting_id: int = Field(description="the re-sighting an alert.seen_again reports; else 0")
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
