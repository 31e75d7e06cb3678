"""Footage requests by case, time and area, residents' answers and shared evidence files,
and neighborhood alerts.

`request_recipients` says who was asked and how each answered; it is for residents' own
portals and never reaches a police route, API or export (console.routes.community_requests).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow


class FootageRequest(Base):
    __tablename__ = "footage_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="RESTRICT"), index=True
    )
    case_number: Mapped[str] = mapped_column(String(64), index=True)
    public_summary: Mapped[str] = mapped_column(String(500))
    details: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    center_lat: Mapped[float]
    center_lon: Mapped[float]
    radius_m: Mapped[int]
    contact: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by: Mapped[str] = mapped_column(String(100))
    approved_by: Mapped[str | None] = mapped_column(String(100), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    site_ids: Mapped[str] = mapped_column(Text, default="")
    plates: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestRecipient(Base):
    __tablename__ = "request_recipients"
    __table_args__ = (UniqueConstraint("request_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("footage_requests.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="asked")
    notified_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)


class FootageShare(Base):
    __tablename__ = "footage_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("footage_requests.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    camera_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_cameras.id", ondelete="SET NULL"), default=None
    )
    note: Mapped[str] = mapped_column(String(500), default="")
    share_exact_location: Mapped[bool] = mapped_column(default=False)
    share_contact: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    first_opened_at: Mapped[datetime | None] = mapped_column(default=None)


class ShareFile(Base):
    __tablename__ = "share_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(
        ForeignKey("footage_shares.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(64))
    captured_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    purged_at: Mapped[datetime | None] = mapped_column(default=None)


class ShareFilePurge(Base):
    """A shared file a retention run deleted: the itemization of that run's evidence purge."""

    __tablename__ = "share_file_purges"

    share_file_id: Mapped[int] = mapped_column(ForeignKey("share_files.id"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("retention_runs.id"), index=True)
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    case_number: Mapped[str] = mapped_column(String(64))
    purged_at: Mapped[datetime]


class NeighborhoodAlert(Base):
    __tablename__ = "neighborhood_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="RESTRICT"), index=True
    )
    created_by: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    center_lat: Mapped[float]
    center_lon: Mapped[float]
    radius_m: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
