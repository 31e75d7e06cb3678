"""community cameras: residents and supervisors, invite codes, resident profiles, cameras

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.base import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('officer', 'hoa_admin', 'auditor', 'admin')"
NEW_ROLES = "role IN ('officer', 'hoa_admin', 'auditor', 'admin', 'resident', 'supervisor')"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.create_check_constraint("role", NEW_ROLES)
        batch.create_check_constraint(
            "supervisor_agency", "role <> 'supervisor' OR agency_id IS NOT NULL"
        )
        batch.create_check_constraint("resident_no_agency", "role <> 'resident' OR agency_id IS NULL")
    op.create_table(
        "invite_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("neighborhood", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_invite_codes_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invite_codes_code_hash")),
    )
    op.create_index(op.f("ix_invite_codes_site_id"), "invite_codes", ["site_id"], unique=False)
    op.create_table(
        "resident_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("opted_out_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_resident_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_resident_profiles")),
    )
    op.create_table(
        "community_cameras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("cell", sa.String(length=32), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("paused_at", UTCDateTime(), nullable=True),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_community_cameras_owner_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_cameras")),
    )
    op.create_index(
        op.f("ix_community_cameras_owner_user_id"),
        "community_cameras",
        ["owner_user_id"],
        unique=False,
    )
    op.create_index(op.f("ix_community_cameras_cell"), "community_cameras", ["cell"], unique=False)


def downgrade() -> None:
    op.drop_table("community_cameras")
    op.drop_table("resident_profiles")
    op.drop_table("invite_codes")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_resident_no_agency"), type_="check")
        batch.drop_constraint(op.f("ck_users_supervisor_agency"), type_="check")
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.create_check_constraint("role", OLD_ROLES)
