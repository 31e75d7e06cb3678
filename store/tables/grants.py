"""Access grants to the plate reads of a site that does not share with an agency.

A footage request may ask such a site for the reads of some of its cameras (and, if named,
only of some plates) over the request's time range; the site's HOA admin approves or declines.
An approved grant opens exactly those reads to the asking agency's searches under the
request's case number, until it expires or the site revokes it (community.lpr_grants).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow


class LprAccessGrant(Base):
    __tablename__ = "lpr_access_grants"
    __table_args__ = (
        # One ask per site and request: a declined site is not asked again for the same case.
        UniqueConstraint("request_id", "site_id"),
        Index("ix_lpr_access_grants_agency_status", "agency_id", "status"),
        Index("ix_lpr_access_grants_site_status", "site_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("footage_requests.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    case_number: Mapped[str] = mapped_column(String(64))
    # Ids of the site's cameras, sorted; plates normalized (upper case, no spaces), sorted;
    # no plates means every plate those cameras read in the time range.
    camera_ids: Mapped[list[str]] = mapped_column(JSON)
    plates: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    asked_by: Mapped[str] = mapped_column(String(100))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(100), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(100), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
