"""Events name their camera in an indexed column, so health history seeks instead of scanning.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_events = sa.table(
    "events",
    sa.column("data", sa.JSON()),
    sa.column("camera", sa.String(128)),
)


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("camera", sa.String(length=128), nullable=True))
    # Events stored before this revision get their camera from their data, as new ones do.
    named = _events.c.data["camera"].as_string()
    op.execute(_events.update().where(named.is_not(None)).values(camera=named))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_type_camera_at"), ["type", "camera", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_type_camera_at"))
        batch_op.drop_column("camera")
