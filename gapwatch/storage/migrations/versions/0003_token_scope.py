"""dispatcher tokens bound to a dispatch endpoint and/or a patrol unit

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 06:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Tokens made before this revision carry no binding; a dispatcher among them reaches no
    # task until an admin issues a bound one (the API says so).
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("endpoint_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("unit_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("unit_id")
        batch_op.drop_column("endpoint_id")
