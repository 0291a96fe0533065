"""One-time sign-in codes, and the sign-in methods a tenant allows.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID, Json, UTCDateTime

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tenants", sa.Column("sign_in_methods", Json, nullable=False, server_default='["link"]')
    )
    op.create_table(
        "sign_in_codes",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("to_encrypted", sa.String(512), nullable=False),
        sa.Column("member_id", ID, nullable=True),
        sa.Column("code_encrypted", sa.String(255), nullable=False),
        sa.Column("code_digest", sa.LargeBinary(32), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_index("ix_sign_in_codes_expires_at", "sign_in_codes", ["expires_at"])
    isolate_tenants("sign_in_codes", operator_role())


def downgrade() -> None:
    op.drop_index("ix_sign_in_codes_expires_at", "sign_in_codes")
    op.drop_table("sign_in_codes")
    op.drop_column("tenants", "sign_in_methods")
