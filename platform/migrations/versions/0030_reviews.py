"""Members' reviews of what their orders brought (one per order), and the mall's setting
of whether they wait for the merchant before they are shown.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID, UTCDateTime

revision: str = "0030"
down_revision: str | Sequence[str] | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "mall_settings",
        sa.Column("review_moderation", sa.String(8), nullable=False, server_default="before"),
    )
    op.create_table(
        "reviews",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(500), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("moderated_at", UTCDateTime, nullable=True),
        sa.Column("moderator_kind", sa.String(16), nullable=True),
        sa.Column("moderator_id", sa.String(64), nullable=True),
        sa.Column("rejection_reason", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "member_id"], ["members.tenant_id", "members.id"]),
        sa.UniqueConstraint("tenant_id", "order_id", name="uq_reviews_order"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews_rating"),
    )
    op.create_index(
        "ix_reviews_product", "reviews", ["tenant_id", "product_id", "status", "created_at"]
    )
    op.create_index("ix_reviews_queue", "reviews", ["tenant_id", "status", "created_at"])
    op.create_index("ix_reviews_member", "reviews", ["tenant_id", "member_id", "created_at"])
    isolate_tenants("reviews", operator_role())


def downgrade() -> None:
    op.drop_table("reviews")
    with op.batch_alter_table("mall_settings") as table:
        table.drop_column("review_moderation")
