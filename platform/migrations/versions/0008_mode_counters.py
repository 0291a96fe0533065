"""Redeem modes' own counters, keyed by the mode and a key it chooses.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import enable_tenant_rls
from jifen.types import ID

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mode_counters",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("value >= 0", name="ck_mode_counters_value"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "mode", "key"),
    )
    enable_tenant_rls("mode_counters")


def downgrade() -> None:
    op.drop_table("mode_counters")
