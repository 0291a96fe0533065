"""The earn engine: rule instances and their versions, events and their awards, custom
event kinds; tiers, check-ins and referrals; the tenant's policy for unknown members.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import enable_tenant_rls
from jifen.types import ID, Json, Rate, UTCDateTime

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "earn_rules",
    "earn_rule_versions",
    "event_kinds",
    "events",
    "event_awards",
    "tiers",
    "checkins",
    "referrals",
)


def upgrade() -> None:
    op.create_table(
        "earn_rules",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("params", Json, nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column("audience", Json, nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=True),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("earn_rules", schema=None) as batch_op:
        batch_op.create_index("ix_earn_rules_status", ["tenant_id", "status"], unique=False)

    op.create_table(
        "event_kinds",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "kind"),
    )
    op.create_table(
        "events",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("member_id", ID(), nullable=False),
        sa.Column("order_id", sa.String(length=128), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("request_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("result", Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.UniqueConstraint("tenant_id", "kind", "event_id", name="uq_events_event_id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_member", ["tenant_id", "member_id", "occurred_at"], unique=False
        )
        batch_op.create_index("ix_events_occurred", ["tenant_id", "occurred_at"], unique=False)
        batch_op.create_index("ix_events_order", ["tenant_id", "order_id"], unique=False)

    op.create_table(
        "tiers",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=24), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=True),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("earn_multiplier", Rate(), nullable=False),
        sa.Column("redemption_discount_percent", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "redemption_discount_percent BETWEEN 0 AND 100", name="tier_discount_is_percent"
        ),
        sa.CheckConstraint("threshold >= 0 AND grace_days >= 0", name="tier_counts_not_negative"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "code"),
        sa.UniqueConstraint("tenant_id", "rank"),
    )
    op.create_table(
        "earn_rule_versions",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("rule_id", ID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", Json, nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "rule_id"], ["earn_rules.tenant_id", "earn_rules.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "rule_id", "version"),
    )
    op.create_table(
        "event_awards",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("event_id", ID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("member_id", ID(), nullable=False),
        sa.Column("rule_id", ID(), nullable=True),
        sa.Column("rule_type", sa.String(length=64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("arm", sa.String(length=8), nullable=True),
        sa.Column("cap_scope", sa.String(length=2000), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "event_id"], ["events.tenant_id", "events.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", "seq"),
    )
    with op.batch_alter_table("event_awards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_awards_member", ["tenant_id", "member_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_event_awards_rule", ["tenant_id", "rule_id", "occurred_at"], unique=False
        )

    op.create_table(
        "checkins",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("member_id", ID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "member_id", "day"),
    )
    op.create_table(
        "referrals",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("invitee_id", ID(), nullable=False),
        sa.Column("inviter_id", ID(), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("first_purchase_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("inviter_id <> invitee_id", name="referral_not_self"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invitee_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "inviter_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "invitee_id"),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index("ix_referrals_inviter", ["tenant_id", "inviter_id"], unique=False)

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("tier_since", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("tier_grace_until", UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            "fk_members_tier", "tiers", ["tenant_id", "tier"], ["tenant_id", "code"]
        )

    with op.batch_alter_table("points_policies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "unknown_members", sa.String(length=8), nullable=False, server_default="reject"
            )
        )

    for table in TENANT_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    with op.batch_alter_table("points_policies", schema=None) as batch_op:
        batch_op.drop_column("unknown_members")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_constraint("fk_members_tier", type_="foreignkey")
        batch_op.drop_column("tier_grace_until")
        batch_op.drop_column("tier_since")
        batch_op.drop_column("tier")

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_inviter")

    op.drop_table("referrals")
    op.drop_table("checkins")
    with op.batch_alter_table("event_awards", schema=None) as batch_op:
        batch_op.drop_index("ix_event_awards_rule")
        batch_op.drop_index("ix_event_awards_member")

    op.drop_table("event_awards")
    op.drop_table("earn_rule_versions")
    op.drop_table("tiers")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_order")
        batch_op.drop_index("ix_events_occurred")
        batch_op.drop_index("ix_events_member")

    op.drop_table("events")
    op.drop_table("event_kinds")
    with op.batch_alter_table("earn_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_earn_rules_status")

    op.drop_table("earn_rules")
