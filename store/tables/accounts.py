"""People and machines who use the console: accounts, their sessions and tokens, login attempts,
and the outbound webhooks agencies register for alerts.

Secrets people or machines present (session cookies, API tokens) are stored only as SHA-256
digests: they are long random strings, so a fast hash is enough and a stolen table is useless.
Webhook signing secrets must be usable to sign, so they are stored as given: `whsec_` and the
base64 of the key (Standard Webhooks); migration 0007 rewrote older secrets to that form.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow

ROLES = ("officer", "hoa_admin", "auditor", "admin", "resident", "supervisor")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('officer', 'hoa_admin', 'auditor', 'admin', 'resident', 'supervisor')",
            name="role",
        ),
        # An officer acts for an agency and an HOA admin for a site; scope depends on it.
        CheckConstraint("role <> 'officer' OR agency_id IS NOT NULL", name="officer_agency"),
        CheckConstraint("role <> 'supervisor' OR agency_id IS NOT NULL", name="supervisor_agency"),
        CheckConstraint("role <> 'hoa_admin' OR site_id IS NOT NULL", name="hoa_admin_site"),
        # A resident is a member of the public, never acting for an agency.
        CheckConstraint("role <> 'resident' OR agency_id IS NULL", name="resident_no_agency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="RESTRICT"), default=None, index=True
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="RESTRICT"), default=None, index=True
    )
    password_hash: Mapped[str] = mapped_column(String(200))
    # Set when an administrator issued the password; the user must choose a new one first.
    must_change_password: Mapped[bool] = mapped_column(default=True)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown in lists so a leaked token can be recognised and revoked.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginSession(Base):
    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Synchronizer token for forms and fetch calls made with this session's cookie.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    client: Mapped[str] = mapped_column(String(200), default="")


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_client_at", "client", "at"),
        # Every attempt sweeps rows older than the throttle's horizon.
        Index("ix_login_attempts_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool] = mapped_column(default=False)


class LoginThrottle(Base):
    """One row per account and per client address that has tried to sign in. Every attempt
    locks its account's and its client's rows before counting `login_attempts`, so two
    concurrent attempts cannot both see room under a limit (console.accounts.throttle)."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    touched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=True)
    # Alerts at or below the floor are never sent (it is set when the webhook is created or
    # re-enabled); `last_alert_id` is how far queueing has read, moved in the same transaction.
    floor_alert_id: Mapped[int] = mapped_column(default=0)
    last_alert_id: Mapped[int] = mapped_column(default=0)
    # The same pair for re-sightings (alert_sightings ids), sent as alert.seen_again.
    floor_sighting_id: Mapped[int] = mapped_column(default=0, server_default="0")
    last_sighting_id: Mapped[int] = mapped_column(default=0, server_default="0")
    # Also receives camera operations alerts (camera.alert_raised, camera.alert_cleared) for
    # the cameras of sites shared with the agency.
    ops_events: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # Two console servers queueing the same alert collide here instead of sending twice.
        # `sighting_id` is 0, not NULL, for alert.raised: NULLs never collide in a unique key.
        UniqueConstraint("webhook_id", "alert_id", "event", "sighting_id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    # A plate alert's delivery names its alert; a camera operations alert's its ops alert.
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), index=True, default=None
    )
    ops_alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("ops_alerts.id", ondelete="CASCADE"), index=True, default=None
    )
    event: Mapped[str] = mapped_column(String(32), default="alert.raised")
    sighting_id: Mapped[int] = mapped_column(default=0, server_default="0")
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
