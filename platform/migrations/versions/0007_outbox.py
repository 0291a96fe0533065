"""The event log read by the relay (replacing the write-only outbox), with the relay's
lanes, cursors, receipts and dead letters. Reminders waiting in the old outbox move to
the log as `member.points_expiring` events.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import uuid
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import enable_tenant_rls
from jifen.types import ID, Json, UTCDateTime

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As jifen.outbox.events derives a keyed event's id (fixed here: a migration must not
# change when the code does).
_KEYED = uuid.UUID("0b7a3c52-6f0e-4c61-9d39-8f1b8d2c7e10")
# A tenant's session sees its own events; a session with no tenant, the platform's.
_POLICY = (
    "tenant_id IS NOT DISTINCT FROM nullif(current_setting('jifen.tenant_id', true), '')::uuid"
    " OR current_setting('jifen.cross_tenant', true) = 'on'"
)


def upgrade() -> None:
    events = op.create_table(
        "outbox_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("id", ID(), nullable=False),
        sa.Column("tenant_id", ID(), sa.ForeignKey("tenants.id"), nullable=True),
        sa.Column("lane", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("version", sa.SmallInteger(), nullable=False),
        sa.Column("aggregate", sa.String(length=32), nullable=False),
        sa.Column("aggregate_id", ID(), nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_outbox_events_position", "outbox_events", ["lane", "position"], unique=True)
    op.create_index(
        "ix_outbox_events_unsequenced",
        "outbox_events",
        ["lane", "seq"],
        sqlite_where=sa.text("position IS NULL"),
        postgresql_where=sa.text("position IS NULL"),
    )
    op.create_table(
        "relay_lanes",
        sa.Column("lane", sa.String(length=16), primary_key=True),
        sa.Column("head", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "relay_cursors",
        sa.Column("subscriber", sa.String(length=64), primary_key=True),
        sa.Column("lane", sa.String(length=16), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.Column("leased_until", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retry_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "relay_receipts",
        sa.Column("subscriber", sa.String(length=64), primary_key=True),
        sa.Column("event_id", ID(), primary_key=True),
        sa.Column("outcome", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "relay_dead_letters",
        sa.Column("subscriber", sa.String(length=64), primary_key=True),
        sa.Column("event_id", ID(), primary_key=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("replayed_at", UTCDateTime(), nullable=True),
    )
    _move_waiting_reminders(events)
    op.drop_table("outbox")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbox_events ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON outbox_events USING ({_POLICY})"
            f" WITH CHECK ({_POLICY})"
        )


def _move_waiting_reminders(events: sa.Table) -> None:
    outbox = sa.table(
        "outbox",
        sa.column("tenant_id", ID()),
        sa.column("key", sa.String()),
        sa.column("topic", sa.String()),
        sa.column("member_id", ID()),
        sa.column("payload", Json),
        sa.column("created_at", UTCDateTime()),
        sa.column("sent_at", UTCDateTime()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(outbox).where(outbox.c.sent_at.is_(None), outbox.c.topic == "points.expiring")
    ).all()
    moved = []
    for row in rows:
        p = row.payload
        last_day = date.fromisoformat(p["last_day"])
        key = f"points-expiring:{p['member_id']}:{last_day}:{p['notice_days']}"
        moved.append(
            {
                "id": uuid.uuid5(_KEYED, f"{row.tenant_id}:{key}"),
                "tenant_id": row.tenant_id,
                "lane": "bulk",
                "type": "member.points_expiring",
                "version": 1,
                "aggregate": "member",
                "aggregate_id": row.member_id,
                "payload": p,
                "created_at": row.created_at,
            }
        )
    if moved:
        bind.execute(sa.insert(events), moved)


def downgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("tenant_id", ID(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("member_id", ID(), nullable=True),
        sa.Column("payload", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.UniqueConstraint("tenant_id", "key"),
    )
    enable_tenant_rls("outbox")
    for table in (
        "relay_dead_letters",
        "relay_receipts",
        "relay_cursors",
        "relay_lanes",
        "outbox_events",
    ):
        op.drop_table(table)
