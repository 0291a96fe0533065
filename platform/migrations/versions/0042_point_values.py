"""A tenant's point value: what a point costs it, its stand-alone selling price, and the
expected-redemption rate it sets (jifen.finance.values).

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID, Rate, UTCDateTime

revision: str = "0042"
down_revision: str | Sequence[str] | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "point_values",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("cost", Rate, nullable=False),
        sa.Column("selling_price", Rate, nullable=False),
        sa.Column("redemption_rate", Rate, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    isolate_tenants("point_values", operator_role())


def downgrade() -> None:
    op.drop_table("point_values")
