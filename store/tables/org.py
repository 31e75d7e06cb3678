"""Who owns what: agencies, the sites (HOAs, neighborhoods) whose cameras read plates,
and which agencies each site shares its reads with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.base import Base, utcnow


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    jurisdiction: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str | None] = mapped_column(String(2), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Retired, never deleted: alerts, users and the audit log keep naming it.
    retired_at: Mapped[datetime | None] = mapped_column(default=None)


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="hoa")
    # None means the deployment default (retention settings).
    image_retention_days: Mapped[int | None] = mapped_column(default=None)
    resident_retention_hours: Mapped[int | None] = mapped_column(default=None)
    # Bumped in the same transaction as any change to this site's safe list, so running
    # matchers reload it without a restart (the same scheme as Hotlist.version).
    safelist_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)

    cameras: Mapped[list[Camera]] = relationship(back_populates="site")


class SiteSharing(Base):
    """A site shares its reads with an agency; no row (or enabled=False) means it does not."""

    __tablename__ = "site_sharing"
    __table_args__ = (UniqueConstraint("site_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    enabled: Mapped[bool] = mapped_column(default=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Camera(Base):
    __tablename__ = "cameras"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None] = mapped_column(default=None)
    longitude: Mapped[float | None] = mapped_column(default=None)
    direction: Mapped[str] = mapped_column(String(16), default="")
    # A two-letter US state or Canadian province code: where the camera stands.
    region: Mapped[str | None] = mapped_column(String(2), default=None)
    # This camera's own image retention, never longer than its site's (org.admin checks);
    # None means its site's period (which may be the deployment default).
    image_retention_days: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Its stored reads keep their history; new reads from it are refused (RetiredCamera).
    retired_at: Mapped[datetime | None] = mapped_column(default=None)

    site: Mapped[Site] = relationship(back_populates="cameras")
