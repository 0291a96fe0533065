"""Member card codes: what a point of sale scans to learn the member, kept a minute.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID, UTCDateTime

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_card_codes",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "digest"),
        sa.ForeignKeyConstraint(["tenant_id", "member_id"], ["members.tenant_id", "members.id"]),
    )
    op.create_index("ix_member_card_codes_expires_at", "member_card_codes", ["expires_at"])
    isolate_tenants("member_card_codes", operator_role())


def downgrade() -> None:
    op.drop_index("ix_member_card_codes_expires_at", "member_card_codes")
    op.drop_table("member_card_codes")
