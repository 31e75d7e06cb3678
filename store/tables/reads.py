"""Stored plate reads and the alerts raised from them.

A read's id is the edge's id, so a redelivered read hits the primary key instead of creating
a second row; an alert is unique per read and hotlist entry for the same reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, QueryableAttribute, mapped_column

from store.base import Base, utcnow


class PlateReadRow(Base):
    __tablename__ = "plate_reads"
    __table_args__ = (
        Index("ix_plate_reads_camera_captured", "camera_id", "captured_at"),
        Index("ix_plate_reads_captured", "captured_at"),
        Index("ix_plate_reads_plate", "plate"),
        # Each checkpoint finds the capture days that reads arrived in since the last one.
        Index("ix_plate_reads_received", "received_at"),
    )

    read_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), default=None)
    captured_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Emptied by retention for reads without a hit (policy); None means removed.
    plate: Mapped[str | None] = mapped_column(String(16))
    confidence: Mapped[float]
    region: Mapped[str | None] = mapped_column(String(8), default=None)
    # The full PlateRead event minus the plate, for the console (box, choices, alternatives).
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resident: Mapped[bool] = mapped_column(default=False)
    has_hit: Mapped[bool] = mapped_column(default=False)
    crop_path: Mapped[str | None] = mapped_column(String(300), default=None)
    frame_path: Mapped[str | None] = mapped_column(String(300), default=None)
    images_purged_at: Mapped[datetime | None] = mapped_column(default=None)


# The OCR-equivalence folds of hotlist.plates.EQUIVALENCE_CLASSES, spelled as SQL: a hotlist
# entry added today finds the stored reads of every equivalent spelling (0/O/D/Q, 1/I/L, ...)
# through one index on the folded plate (tests/hotlist/test_historical.py pins the two alike).
PLATE_KEY_FOLDS: tuple[tuple[str, str], ...] = (
    ("O", "0"),
    ("D", "0"),
    ("Q", "0"),
    ("I", "1"),
    ("L", "1"),
    ("Z", "2"),
    ("S", "5"),
    ("B", "8"),
    ("G", "6"),
)


def plate_key(plate: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[str | None]:
    """The folded plate as SQL, the same expression the index is built on (the literals are
    inlined: an index on an expression is used only for that very expression)."""
    folded: ColumnElement[Any] | QueryableAttribute[Any] = plate
    for char, canon in PLATE_KEY_FOLDS:
        folded = func.replace(folded, text(f"'{char}'"), text(f"'{canon}'"))
    assert isinstance(folded, ColumnElement)
    return folded


Index("ix_plate_reads_plate_key", plate_key(PlateReadRow.__table__.c.plate))


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("read_id", "hotlist_entry_id"),
        Index("ix_alerts_open_lookup", "plate_read", "hotlist_entry_id", "last_seen_at"),
        # The cooldown finds the open alert of a listed vehicle by list and entry plate, which
        # survives a feed refresh that gives the entry a new id.
        Index("ix_alerts_cooldown", "hotlist_id", "entry_plate", "last_seen_at"),
        # Deleting entries (a --replace refresh) sets this to NULL row by row: without an index
        # every deleted entry would scan the alerts table.
        Index("ix_alerts_hotlist_entry", "hotlist_entry_id"),
        Index("ix_alerts_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    read_id: Mapped[str] = mapped_column(ForeignKey("plate_reads.read_id"), index=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), default=None)
    hotlist_id: Mapped[int | None] = mapped_column(
        ForeignKey("hotlists.id", ondelete="SET NULL"), default=None
    )
    hotlist_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("hotlist_entries.id", ondelete="SET NULL"), default=None
    )
    decision: Mapped[str] = mapped_column(String(16))  # alert (hit) or verify
    match_kind: Mapped[str] = mapped_column(String(16))  # exact, equivalent, edit, wildcard
    score: Mapped[float]
    substitutions: Mapped[int] = mapped_column(default=0)
    state_mismatch: Mapped[bool] = mapped_column(default=False)
    plate_read: Mapped[str] = mapped_column(String(16))
    read_confidence: Mapped[float]
    # A snapshot of the hotlist record as it was when the alert was raised: a list refresh
    # must not change what the officer was shown.
    entry_plate: Mapped[str] = mapped_column(String(16))
    entry_state: Mapped[str | None] = mapped_column(String(3), default=None)
    list_name: Mapped[str] = mapped_column(String(100))
    list_priority: Mapped[int] = mapped_column(default=1)
    reason: Mapped[str] = mapped_column(String(32))
    vehicle_make: Mapped[str | None] = mapped_column(String(40), default=None)
    vehicle_model: Mapped[str | None] = mapped_column(String(40), default=None)
    vehicle_color: Mapped[str | None] = mapped_column(String(30), default=None)
    record_number: Mapped[str | None] = mapped_column(String(40), default=None)
    record_entered_at: Mapped[datetime | None] = mapped_column(default=None)
    list_refreshed_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default="new")
    status_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    status_note: Mapped[str | None] = mapped_column(Text, default=None)
    status_by: Mapped[str | None] = mapped_column(String(100), default=None)
    case_number: Mapped[str | None] = mapped_column(String(64), default=None)
    sightings: Mapped[int] = mapped_column(default=1)
    # Raised when a list entry was added and found among reads already stored: a lead on where
    # the car was, not a live stop. Live reads never fold into one (hotlist.ingest).
    historical: Mapped[bool] = mapped_column(default=False, server_default=false())
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertSighting(Base):
    """A later read of the same plate and entry inside the cooldown: it updates the open alert.

    One read may be a sighting of several alerts (a plate on several lists), but of each alert
    once: the key is (alert, read), not the read alone.
    """

    __tablename__ = "alert_sightings"
    __table_args__ = (UniqueConstraint("alert_id", "read_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    read_id: Mapped[str] = mapped_column(ForeignKey("plate_reads.read_id"), index=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime]


class AlertOutbox(Base):
    """Alert events waiting to be published; written in the alert's own transaction."""

    __tablename__ = "alert_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="raised")  # raised, sighting, status
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
