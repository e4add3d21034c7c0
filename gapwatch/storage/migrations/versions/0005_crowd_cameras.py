"""Each camera's latest crowd count is stored, so API replicas and a restarted prober see it.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gapwatch.storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crowd_cameras",
        sa.Column("camera_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", gapwatch.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("people", sa.Float(), nullable=False),
        sa.Column("points", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_crowd_cameras")),
    )
    with op.batch_alter_table("crowd_cameras", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crowd_cameras_version"), ["version"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crowd_cameras", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crowd_cameras_version"))
    op.drop_table("crowd_cameras")
