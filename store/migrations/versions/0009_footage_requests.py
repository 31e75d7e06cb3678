"""footage requests, residents' answers, shared evidence files and their purge journal,
neighborhood alerts

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.base import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def _requests() -> None:
    op.create_table(
        "footage_requests",
        _id(),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("public_summary", sa.String(length=500), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        _when("starts_at"),
        _when("ends_at"),
        sa.Column("center_lat", sa.Double(), nullable=False),
        sa.Column("center_lon", sa.Double(), nullable=False),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        _when("approved_at", nullable=True),
        _when("expires_at", nullable=True),
        sa.Column("site_ids", sa.Text(), nullable=False),
        sa.Column("plates", sa.Text(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_footage_requests_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_footage_requests")),
    )
    op.create_index(op.f("ix_footage_requests_agency_id"), "footage_requests", ["agency_id"])
    op.create_index(op.f("ix_footage_requests_case_number"), "footage_requests", ["case_number"])
    op.create_table(
        "request_recipients",
        _id(),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _when("notified_at"),
        _when("answered_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["footage_requests.id"],
            name=op.f("fk_request_recipients_request_id_footage_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_request_recipients_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_recipients")),
        sa.UniqueConstraint("request_id", "user_id", name=op.f("uq_request_recipients_request_id")),
    )
    op.create_index(op.f("ix_request_recipients_user_id"), "request_recipients", ["user_id"])


def _shares() -> None:
    op.create_table(
        "footage_shares",
        _id(),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("share_exact_location", sa.Boolean(), nullable=False),
        sa.Column("share_contact", sa.Boolean(), nullable=False),
        _when("created_at"),
        _when("withdrawn_at", nullable=True),
        _when("first_opened_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["community_cameras.id"],
            name=op.f("fk_footage_shares_camera_id_community_cameras"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["footage_requests.id"],
            name=op.f("fk_footage_shares_request_id_footage_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_footage_shares_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_footage_shares")),
    )
    op.create_index(op.f("ix_footage_shares_request_id"), "footage_shares", ["request_id"])
    op.create_index(op.f("ix_footage_shares_user_id"), "footage_shares", ["user_id"])
    op.create_table(
        "share_files",
        _id(),
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        _when("captured_at", nullable=True),
        _when("created_at"),
        _when("purged_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["share_id"],
            ["footage_shares.id"],
            name=op.f("fk_share_files_share_id_footage_shares"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_files")),
    )
    op.create_index(op.f("ix_share_files_share_id"), "share_files", ["share_id"])
    op.create_index(op.f("ix_share_files_created_at"), "share_files", ["created_at"])
    op.create_table(
        "share_file_purges",
        sa.Column("share_file_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        _when("purged_at"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["retention_runs.id"],
            name=op.f("fk_share_file_purges_run_id_retention_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["share_file_id"],
            ["share_files.id"],
            name=op.f("fk_share_file_purges_share_file_id_share_files"),
        ),
        sa.PrimaryKeyConstraint("share_file_id", name=op.f("pk_share_file_purges")),
    )
    op.create_index(op.f("ix_share_file_purges_run_id"), "share_file_purges", ["run_id"])


def _alerts() -> None:
    op.create_table(
        "neighborhood_alerts",
        _id(),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("center_lat", sa.Double(), nullable=False),
        sa.Column("center_lon", sa.Double(), nullable=False),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_neighborhood_alerts_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_neighborhood_alerts")),
    )
    op.create_index(op.f("ix_neighborhood_alerts_agency_id"), "neighborhood_alerts", ["agency_id"])
    op.create_index(
        op.f("ix_neighborhood_alerts_created_at"), "neighborhood_alerts", ["created_at"]
    )


def upgrade() -> None:
    _requests()
    _shares()
    _alerts()


def downgrade() -> None:
    for table in (
        "neighborhood_alerts",
        "share_file_purges",
        "share_files",
        "footage_shares",
        "request_recipients",
        "footage_requests",
    ):
        op.drop_table(table)
