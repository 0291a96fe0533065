"""The web layer's edges: which sites may frame a tenant's mall, and whether it lives
inside a merchant's app (its cookies then cross sites).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.types import Json

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("frame_ancestors", Json, nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("mall_embedded", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("mall_embedded")
        batch.drop_column("frame_ancestors")
