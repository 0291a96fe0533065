"""Members' choices about the notices they get (expiry reminders, for now): the latest
per kind, with when and where it was made; every change is also in the audit log.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID, UTCDateTime

revision: str = "0028"
down_revision: str | Sequence[str] | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice_choices",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("wanted", sa.Boolean(), nullable=False),
        sa.Column("chosen_at", UTCDateTime, nullable=False),
        sa.Column("chosen_in", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "member_id", "topic"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
            ondelete="CASCADE",
        ),
    )
    isolate_tenants("notice_choices", operator_role())


def downgrade() -> None:
    op.drop_table("notice_choices")
