"""The banners of a mall's home page: images, each with its text and where it leads.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.types import Json

revision: str = "0027"
down_revision: str | Sequence[str] | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tenants", sa.Column("banners", Json, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as table:
        table.drop_column("banners")
