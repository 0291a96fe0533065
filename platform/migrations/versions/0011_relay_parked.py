"""Parked deliveries: a subscriber's event that failed (or waits behind one of its
aggregate that failed) is retried from its own row, so the subscriber's cursor goes on
with other aggregates' events. The cursor's retry state moves there.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.types import ID, UTCDateTime

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "relay_parked",
        sa.Column("subscriber", sa.String(length=64), primary_key=True),
        sa.Column("event_id", ID(), primary_key=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retry_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("relay_cursors") as batch:
        batch.drop_column("attempts")
        batch.drop_column("retry_at")
        batch.drop_column("last_error")


def downgrade() -> None:
    with op.batch_alter_table("relay_cursors") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("retry_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
    op.drop_table("relay_parked")
