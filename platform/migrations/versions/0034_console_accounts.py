"""Self-serve console accounts: a user's verified email and language, the one-time codes
that verify an email or reset a password, and how far a new tenant's set-up has come.

Users made before self-serve sign-up were made by an operator: their emails count as
verified. Tenants made before it are set up.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.types import ID, UTCDateTime

revision: str = "0034"
down_revision: str | Sequence[str] | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("email_verified_at", UTCDateTime, nullable=True))
        table.add_column(sa.Column("locale", sa.String(8), nullable=True))
    op.execute("UPDATE users SET email_verified_at = created_at")
    op.add_column(
        "tenants",
        sa.Column("setup_step", sa.String(16), nullable=False, server_default="done"),
    )
    op.create_table(
        "user_codes",
        sa.Column("id", ID, primary_key=True),
        sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("code_encrypted", sa.String(255), nullable=False),
        sa.Column("code_digest", sa.LargeBinary(32), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_user_codes_user_id", "user_codes", ["user_id"])
    op.create_index("ix_user_codes_expires_at", "user_codes", ["expires_at"])


def downgrade() -> None:
    op.drop_table("user_codes")
    op.drop_column("tenants", "setup_step")
    with op.batch_alter_table("users") as table:
        table.drop_column("locale")
        table.drop_column("email_verified_at")
