"""When a member asked, from the mall, to be erased.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.types import UTCDateTime

revision: str = "0029"
down_revision: str | Sequence[str] | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("members", sa.Column("erasure_requested_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members") as table:
        table.drop_column("erasure_requested_at")
