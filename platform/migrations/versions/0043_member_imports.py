"""Member imports: a file of members and their opening balances, what its check found,
and how far the job running it has come.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID, Json, UTCDateTime

revision: str = "0043"
down_revision: str | Sequence[str] | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_imports",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_encrypted", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(8), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("valid_rows", sa.Integer(), nullable=False),
        sa.Column("valid_members", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(16), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("imported_members", sa.Integer(), nullable=False),
        sa.Column("imported_points", sa.BigInteger(), nullable=False),
        sa.Column("problems", Json, nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    isolate_tenants("member_imports", operator_role())


def downgrade() -> None:
    op.drop_table("member_imports")
