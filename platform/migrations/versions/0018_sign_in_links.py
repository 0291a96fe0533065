"""Sign-in links: the keys a merchant signs its members' links with, the nonces of links
already used, and whether a link may create the member it names.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID, UTCDateTime

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column("auto_create_members", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "sign_in_keys",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("secret_encrypted", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_table(
        "sign_in_nonces",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "nonce"),
    )
    op.create_index("ix_sign_in_nonces_expires_at", "sign_in_nonces", ["expires_at"])
    operator = operator_role()
    for table in ("sign_in_keys", "sign_in_nonces"):
        isolate_tenants(table, operator)


def downgrade() -> None:
    op.drop_index("ix_sign_in_nonces_expires_at", "sign_in_nonces")
    op.drop_table("sign_in_nonces")
    op.drop_table("sign_in_keys")
    op.drop_column("tenants", "auto_create_members")
