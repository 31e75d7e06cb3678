"""Signed checkpoints of the hash chains: the head each chain had, signed outside the database.

A hash chain shows an edited or removed row but not a cut tail; a checkpoint records the head
row, its hash and the row count, signed with a key the database never holds, and is appended to
a sink the database cannot rewrite. This table mirrors the sink for the console and the audits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base


class AuditCheckpoint(Base):
    __tablename__ = "audit_checkpoints"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int]
    head_id: Mapped[int]
    head_hash: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int]
    created_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    signature: Mapped[str] = mapped_column(String(88))
    # Receipts checkpoints: the signed digests of the live reads (store.read_chain).
    reads: Mapped[str | None] = mapped_column(Text, default=None)
