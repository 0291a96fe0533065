"""Custom domains a merchant names for its mall, each used once its ownership is proved
(a DNS TXT record or a served file holding the claim's token).

Revision ID: 0039
Revises: 0034
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID, UTCDateTime

revision: str = "0039"
down_revision: str | Sequence[str] | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "domain_claims",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("host", sa.String(253), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dns_finding", sa.String(16), nullable=True),
        sa.Column("http_finding", sa.String(16), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("check_requested_at", UTCDateTime, nullable=True),
        sa.Column("checked_at", UTCDateTime, nullable=True),
        sa.Column("verified_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "host"),
    )
    isolate_tenants("domain_claims", operator_role())


def downgrade() -> None:
    op.drop_table("domain_claims")
