"""Members' daily totals (points earned, money spent per local day), which tiers are
measured by; filled from the events and awards recorded so far.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import uuid
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import enable_tenant_rls
from jifen.types import ID, UTCDateTime

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    days = op.create_table(
        "member_days",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("member_id", ID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("spend", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "member_id", "day"),
    )
    enable_tenant_rls("member_days")
    _fill(days)


def _fill(days: sa.Table) -> None:
    """Sum what was recorded before this table existed, tenant by tenant, in each
    tenant's time zone: points by award, spend by event."""
    connection = op.get_bind()
    tenants = sa.table("tenants", sa.column("id", ID()), sa.column("timezone", sa.String()))
    awards = sa.table(
        "event_awards",
        sa.column("tenant_id", ID()),
        sa.column("member_id", ID()),
        sa.column("points", sa.BigInteger()),
        sa.column("occurred_at", UTCDateTime()),
    )
    events = sa.table(
        "events",
        sa.column("tenant_id", ID()),
        sa.column("member_id", ID()),
        sa.column("amount", sa.BigInteger()),
        sa.column("occurred_at", UTCDateTime()),
    )
    for tenant_id, timezone in connection.execute(sa.select(tenants.c.id, tenants.c.timezone)):
        zone = ZoneInfo(timezone)
        totals: dict[tuple[uuid.UUID, date], list[int]] = {}
        for table, column, slot in ((awards, awards.c.points, 0), (events, events.c.amount, 1)):
            rows = connection.execute(
                sa.select(table.c.member_id, table.c.occurred_at, column).where(
                    table.c.tenant_id == tenant_id, column.is_not(None), column != 0
                )
            )
            for member_id, occurred_at, value in rows:
                key = (member_id, occurred_at.astimezone(zone).date())
                totals.setdefault(key, [0, 0])[slot] += value
        if totals:
            connection.execute(
                days.insert(),
                [
                    {"tenant_id": tenant_id, "member_id": m, "day": d, "points": p, "spend": s}
                    for (m, d), (p, s) in sorted(totals.items())
                ],
            )


def downgrade() -> None:
    op.drop_table("member_days")
