"""A mall's branding: its brand colour and logo (its theme, name and points name were
already the tenant's).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tenants", sa.Column("brand_color", sa.String(7), nullable=True))
    op.add_column("tenants", sa.Column("logo_url", sa.String(500), nullable=True))


def downgrade() -> None:
    op.drop_column("tenants", "logo_url")
    op.drop_column("tenants", "brand_color")
