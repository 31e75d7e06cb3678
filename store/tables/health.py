"""Camera health: the latest heartbeat of each edge, and the operations alerts raised when a
camera goes offline, silent or failing (and cleared when it recovers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow


class CameraHealth(Base):
    """One row per camera that has ever sent a heartbeat, overwritten by each one."""

    __tablename__ = "camera_health"

    camera_id: Mapped[str] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    # When the heartbeat was taken in, by the consumer's clock: an edge with a wrong clock
    # must not look fresh (or dead) because of it.
    heard_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    frames: Mapped[int] = mapped_column(default=0)
    reads: Mapped[int] = mapped_column(default=0)
    last_read_at: Mapped[datetime | None] = mapped_column(default=None)
    model_pack: Mapped[str | None] = mapped_column(String(100), default=None)
    errors: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)
    # The state the health checker last acted on (live, silent, failing, offline); it moves
    # only with a conditional update, so two checkers never raise one alert twice.
    state: Mapped[str] = mapped_column(String(16), default="unknown")
    state_since: Mapped[datetime] = mapped_column(default=utcnow)


class OpsAlert(Base):
    """A camera problem for the operations people: raised on entering a bad state, cleared
    when the camera leaves it. Not a plate alert: it carries no plate and no read."""

    __tablename__ = "ops_alerts"
    __table_args__ = (Index("ix_ops_alerts_open", "camera_id", "cleared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))  # offline, silent, failing
    detail: Mapped[str] = mapped_column(Text, default="")
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
