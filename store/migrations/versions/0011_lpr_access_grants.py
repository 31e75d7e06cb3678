"""access grants to the plate reads of sites that do not share with an agency

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.base import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def _by(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=100), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "lpr_access_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("camera_ids", sa.JSON(), nullable=False),
        sa.Column("plates", sa.JSON(), nullable=False),
        _when("starts_at"),
        _when("ends_at"),
        sa.Column("status", sa.String(length=16), nullable=False),
        _by("asked_by", nullable=False),
        _when("asked_at"),
        _by("decided_by"),
        _when("decided_at", nullable=True),
        _when("expires_at", nullable=True),
        _by("revoked_by"),
        _when("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_lpr_access_grants_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["footage_requests.id"],
            name=op.f("fk_lpr_access_grants_request_id_footage_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_lpr_access_grants_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lpr_access_grants")),
        sa.UniqueConstraint("request_id", "site_id", name=op.f("uq_lpr_access_grants_request_id")),
    )
    op.create_index(
        "ix_lpr_access_grants_agency_status", "lpr_access_grants", ["agency_id", "status"]
    )
    op.create_index("ix_lpr_access_grants_site_status", "lpr_access_grants", ["site_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_lpr_access_grants_site_status", table_name="lpr_access_grants")
    op.drop_index("ix_lpr_access_grants_agency_status", table_name="lpr_access_grants")
    op.drop_table("lpr_access_grants")
