"""Watch lists (hotlists) and residents' safe lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow


class Hotlist(Base):
    __tablename__ = "hotlists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(32), default="custom")  # ncic, state, custom
    priority: Mapped[int] = mapped_column(default=1)  # 1 is highest
    owner_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="SET NULL"), default=None
    )
    # A site's own watch list; a safe-listed resident never alerts on it at that site.
    owner_site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), default=None
    )
    refreshed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Bumped in the same transaction as any change to the entries; matchers poll it to rebuild.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HotlistEntry(Base):
    __tablename__ = "hotlist_entries"
    __table_args__ = (Index("ix_hotlist_entries_list_plate", "hotlist_id", "plate"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hotlist_id: Mapped[int] = mapped_column(ForeignKey("hotlists.id", ondelete="CASCADE"))
    # Normalized A-Z0-9, plus `?` and `*` for partial-plate wildcard entries.
    plate: Mapped[str] = mapped_column(String(16))
    state: Mapped[str | None] = mapped_column(String(3), default=None)
    reason: Mapped[str] = mapped_column(String(32), default="stolen_vehicle")
    make: Mapped[str | None] = mapped_column(String(40), default=None)
    model: Mapped[str | None] = mapped_column(String(40), default=None)
    color: Mapped[str | None] = mapped_column(String(30), default=None)
    record_number: Mapped[str | None] = mapped_column(String(40), default=None)
    entered_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class SafelistEntry(Base):
    __tablename__ = "safelist_entries"
    __table_args__ = (
        UniqueConstraint("site_id", "plate", "state"),
        Index("ix_safelist_entries_site_plate", "site_id", "plate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str] = mapped_column(String(16))
    state: Mapped[str | None] = mapped_column(String(3), default=None)
    label: Mapped[str] = mapped_column(String(100), default="")
    added_by: Mapped[str] = mapped_column(String(100), default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
