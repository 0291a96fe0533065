"""Per-member limits are BIGINT, as wide as the API lets them be (up to 2^53 - 1): as
32-bit columns, a limit above 2^31 - 1 was a 500 on PostgreSQL ("integer out of range").

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIMITS = {
    "products": ("limit_per_day", "limit_per_week", "limit_ever"),
    "flash_sales": ("limit_per_member",),
}


def upgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())


def downgrade() -> None:
    _retype(sa.BigInteger(), sa.Integer())


def _retype(old: sa.types.TypeEngine[int], new: sa.types.TypeEngine[int]) -> None:
    for table, columns in _LIMITS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, existing_type=old, type_=new, existing_nullable=True)
