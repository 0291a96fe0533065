"""Indexes for the mall's popular and new rows: a tenant's products by how many were
redeemed, and by age, so that a home page reads six without sorting the catalog.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_products_popular", "products", ["tenant_id", "sold", "id"])
    op.create_index("ix_products_new", "products", ["tenant_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_products_new", "products")
    op.drop_index("ix_products_popular", "products")
