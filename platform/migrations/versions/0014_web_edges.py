"""The web layer's edges: which sites may frame a tenant's mall, and whether it lives
inside a merchant's app (its cookies then cross sites); signed-in sessions as rows;
counts of failed console sign-ins; each API key's own request limit.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.types import ID, Json, UTCDateTime

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
    op.create_table(
        "web_sessions",
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("surface", sa.String(length=8), nullable=False),
        sa.Column("tenant_id", ID(), nullable=True),
        sa.Column("subject_id", ID(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("digest"),
    )
    with op.batch_alter_table("web_sessions") as batch:
        batch.create_index(batch.f("ix_web_sessions_subject_id"), ["subject_id"], unique=False)
    op.create_table(
        "sign_in_throttles",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", UTCDateTime(), nullable=False),
        sa.Column("blocked_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("rate_limit", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("rate_limit")
    op.drop_table("sign_in_throttles")
    op.drop_table("web_sessions")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("mall_embedded")
        batch.drop_column("frame_ancestors")
