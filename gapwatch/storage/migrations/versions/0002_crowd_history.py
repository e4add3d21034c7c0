"""crowd normals and hourly history per zone

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 06:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gapwatch.storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crowd_normals",
        sa.Column("zone_id", sa.String(length=128), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("mean", sa.Float(), nullable=False),
        sa.Column("var", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("updated_at", gapwatch.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name=op.f("ck_crowd_normals_weekday")),
        sa.CheckConstraint("hour >= 0 AND hour <= 23", name=op.f("ck_crowd_normals_hour")),
        sa.PrimaryKeyConstraint("zone_id", "weekday", "hour", name=op.f("pk_crowd_normals")),
    )
    op.create_table(
        "crowd_hours",
        sa.Column("zone_id", sa.String(length=128), nullable=False),
        sa.Column("hour", gapwatch.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("mean", sa.Float(), nullable=False),
        sa.Column("peak", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zone_id", "hour", name=op.f("pk_crowd_hours")),
    )


def downgrade() -> None:
    op.drop_table("crowd_hours")
    op.drop_table("crowd_normals")
