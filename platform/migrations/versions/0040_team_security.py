"""The console's team and security: staff invitations by email, two-factor sign-in for
console users (an authenticator's secret and recovery codes) and a tenant's demand that
its staff use it.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID, UTCDateTime

revision: str = "0040"
down_revision: str | Sequence[str] | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("totp_secret_encrypted", sa.String(255), nullable=True))
        table.add_column(sa.Column("two_factor_since", UTCDateTime, nullable=True))
        table.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.add_column(
        "tenants",
        sa.Column("two_factor_required", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "recovery_codes",
        sa.Column(
            "user_id",
            ID,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        ),
        sa.Column("digest", sa.LargeBinary(32), primary_key=True, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "staff_invitations",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_digest", sa.LargeBinary(32), nullable=False),
        sa.Column("token_encrypted", sa.String(255), nullable=False),
        sa.Column("console_url", sa.String(300), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("invited_by", ID, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("accepted_at", UTCDateTime, nullable=True),
        sa.Column("accepted_by", ID, nullable=True),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_index(
        "ix_staff_invitations_token",
        "staff_invitations",
        ["tenant_id", "token_digest"],
        unique=True,
    )
    op.create_index("ix_staff_invitations_email", "staff_invitations", ["tenant_id", "email"])
    isolate_tenants("staff_invitations", operator_role())


def downgrade() -> None:
    op.drop_table("staff_invitations")
    op.drop_table("recovery_codes")
    op.drop_column("tenants", "two_factor_required")
    with op.batch_alter_table("users") as table:
        table.drop_column("totp_last_step")
        table.drop_column("two_factor_since")
        table.drop_column("totp_secret_encrypted")
