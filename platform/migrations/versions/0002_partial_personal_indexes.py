"""Members: index phone and email lookups only where they are set.

Many members register without a phone or an email; their NULLs need no index entries,
and each entry costs every registration a write. Lookups compare with `=`, which implies
IS NOT NULL, so both engines still use these indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = ("phone", "email")


def upgrade() -> None:
    for field in FIELDS:
        op.drop_index(f"ix_members_{field}", table_name="members")
        where = sa.text(f"{field}_lookup IS NOT NULL")
        op.create_index(
            f"ix_members_{field}",
            "members",
            ["tenant_id", f"{field}_lookup"],
            postgresql_where=where,
            sqlite_where=where,
        )


def downgrade() -> None:
    for field in FIELDS:
        op.drop_index(f"ix_members_{field}", table_name="members")
        op.create_index(f"ix_members_{field}", "members", ["tenant_id", f"{field}_lookup"])
