"""Members' saved addresses: each sealed like an order's address, with a label and at
most one default per member.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID, UTCDateTime

revision: str = "0032"
down_revision: str | Sequence[str] | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_addresses",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("address", sa.String(4000), nullable=False),
        sa.Column("label", sa.String(20), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_member_addresses_member", "member_addresses", ["tenant_id", "member_id"])
    op.create_index(
        "uq_member_addresses_default",
        "member_addresses",
        ["tenant_id", "member_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
        sqlite_where=sa.text("is_default"),
    )
    isolate_tenants("member_addresses", operator_role())


def downgrade() -> None:
    op.drop_table("member_addresses")
