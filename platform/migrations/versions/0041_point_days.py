"""The tenant's points day by day, rolled up from the postings after commit
(jifen.ledger.daily): what moved through its system accounts on each local day, and the
members whose points moved. A tenant with history from before this runs
`flask jifen ledger rebuild-days`.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID

revision: str = "0041"
down_revision: str | Sequence[str] | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "point_days",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("issued", sa.BigInteger(), nullable=False),
        sa.Column("redeemed", sa.BigInteger(), nullable=False),
        sa.Column("expired", sa.BigInteger(), nullable=False),
        sa.Column("adjusted", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "wallet_days",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("member_id", ID, primary_key=True),
    )
    op.create_table(
        "roll_ups",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("applied", sa.BigInteger(), nullable=False),
    )
    isolate_tenants("point_days", operator_role())
    isolate_tenants("roll_ups", operator_role())
    isolate_tenants("wallet_days", operator_role())


def downgrade() -> None:
    op.drop_table("roll_ups")
    op.drop_table("wallet_days")
    op.drop_table("point_days")
