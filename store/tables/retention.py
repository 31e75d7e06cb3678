"""Retention's own tables: purge runs, the per-read purge journal, receipts and legal holds.

A purge marks a batch of reads and journals their image paths in one transaction, deletes the
files, then closes the batch; a purge killed in between leaves an open batch whose files the
next run deletes. The journal rows stay as the itemization of each receipt, so an auditor can
recompute the digest of purged read ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow
from store.tables.reads import PlateReadRow

# The purge walks reads in capture order among those not yet purged; without this partial index
# every batch would rescan the ever-growing prefix of already-purged reads.
Index(
    "ix_plate_reads_retention_due",
    PlateReadRow.captured_at,
    postgresql_where=PlateReadRow.images_purged_at.is_(None),
    sqlite_where=PlateReadRow.images_purged_at.is_(None),
)


class RetentionRun(Base):
    """One purge run; `finished_at` stays empty until its receipt is written."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # host:pid of the process, so an operator can tell which job a stuck run was.
    owner: Mapped[str] = mapped_column(String(200))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class RetentionBatch(Base):
    """One batch of a run: `deleting` while its files may still exist, then `done`, or
    `failed` when some could not be deleted (the next run retries them)."""

    __tablename__ = "retention_batches"

    run_id: Mapped[int] = mapped_column(ForeignKey("retention_runs.id"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(8), default="deleting")


class RetentionPurgedRead(Base):
    """A read purged by a run, with the image paths it had (the read forgets them)."""

    __tablename__ = "retention_purged_reads"
    __table_args__ = (Index("ix_retention_purged_reads_run_batch", "run_id", "batch"),)

    read_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("plate_reads.read_id"), primary_key=True
    )
    run_id: Mapped[int] = mapped_column(ForeignKey("retention_runs.id"))
    batch: Mapped[int]
    site_id: Mapped[int | None] = mapped_column(default=None)
    captured_at: Mapped[datetime]
    files: Mapped[int] = mapped_column(default=0)
    crop_path: Mapped[str | None] = mapped_column(String(300), default=None)
    frame_path: Mapped[str | None] = mapped_column(String(300), default=None)


class RetentionReceipt(Base):
    """What a run purged and under which policy; each receipt hashes the one before it."""

    __tablename__ = "retention_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("retention_runs.id"), unique=True)
    issued_at: Mapped[datetime]
    run_started_at: Mapped[datetime]
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    counts_by_site: Mapped[dict[str, Any]] = mapped_column(JSON)
    read_count: Mapped[int]
    file_count: Mapped[int]
    range_start: Mapped[datetime | None] = mapped_column(default=None)
    range_end: Mapped[datetime | None] = mapped_column(default=None)
    ids_digest: Mapped[str] = mapped_column(String(64))
    # Every journal column of every purged read, hashed (see retention.receipts.items_digest);
    # empty on receipts written before it existed, which the aggregate checks still cover.
    items_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class RetentionHold(Base):
    """An admin's legal hold on one read's images, with a reason and an end."""

    __tablename__ = "retention_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    read_id: Mapped[str] = mapped_column(String(64), ForeignKey("plate_reads.read_id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    case_number: Mapped[str | None] = mapped_column(String(64), default=None)
    placed_by: Mapped[str] = mapped_column(String(100))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    until: Mapped[datetime]
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    released_by: Mapped[str | None] = mapped_column(String(100), default=None)
    release_reason: Mapped[str | None] = mapped_column(Text, default=None)
