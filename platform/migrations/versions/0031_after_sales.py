"""Members' requests for help with orders that shipped (after-sales), and the merchant's
replies: at most one open per order.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID, UTCDateTime

revision: str = "0031"
down_revision: str | Sequence[str] | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "after_sales_requests",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reply", sa.String(1000), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("closed_at", UTCDateTime, nullable=True),
        sa.Column("closed_by_kind", sa.String(16), nullable=True),
        sa.Column("closed_by_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "member_id"], ["members.tenant_id", "members.id"]),
        sa.CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="ck_after_sales_closed"),
    )
    op.create_index(
        "ux_after_sales_open",
        "after_sales_requests",
        ["tenant_id", "order_id"],
        unique=True,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index("ix_after_sales_order", "after_sales_requests", ["tenant_id", "order_id"])
    op.create_index("ix_after_sales_member", "after_sales_requests", ["tenant_id", "member_id"])
    op.create_index("ix_after_sales_status", "after_sales_requests", ["tenant_id", "status", "id"])
    isolate_tenants("after_sales_requests", operator_role())


def downgrade() -> None:
    op.drop_table("after_sales_requests")
