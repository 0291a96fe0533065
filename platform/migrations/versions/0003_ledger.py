"""Ledger: accounts, entries, postings, lots, consumptions, holds; policies; outbox.

The database enforces what it can: CHECK constraints on wallets, lots, postings and
holds on both engines; entries, postings and lot consumptions are append-only (triggers
refuse UPDATE and DELETE); on PostgreSQL a deferred constraint trigger refuses, at
commit, an entry whose postings do not sum to zero. It runs as the schema owner
(SECURITY DEFINER): row-level security must not hide postings from the check, and at
commit the transaction's tenant setting may already be another.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import enable_tenant_rls
from jifen.types import ID, Json, UTCDateTime

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "entries",
    "outbox",
    "points_policies",
    "accounts",
    "holds",
    "lots",
    "postings",
    "hold_lots",
    "lot_consumptions",
)
APPEND_ONLY = ("entries", "postings", "lot_consumptions")

BALANCED_ENTRY = """
CREATE FUNCTION ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
DECLARE
    total bigint;
BEGIN
    SELECT coalesce(sum(amount), 0) INTO total FROM postings
     WHERE tenant_id = NEW.tenant_id AND entry_id = NEW.entry_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger entry % does not balance: its postings sum to %',
            NEW.entry_id, total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER postings_balanced AFTER INSERT ON postings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'check_violation';
END $$;
"""


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}"
            f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


def upgrade() -> None:
    op.create_table(
        "entries",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("reverses_entry_id", ID(), nullable=True),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("memo", sa.String(length=255), nullable=True),
        sa.Column("data", Json, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "reverses_entry_id"],
            ["entries.tenant_id", "entries.id"],
            name="fk_entries_reverses_entry_id",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index("ix_entries_reference", ["tenant_id", "reference"], unique=False)
        batch_op.create_index(
            "ix_entries_reverses", ["tenant_id", "reverses_entry_id"], unique=False
        )

    op.create_table(
        "outbox",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("member_id", ID(), nullable=True),
        sa.Column("payload", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.UniqueConstraint("tenant_id", "key"),
    )
    op.create_table(
        "points_policies",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("expiry", sa.String(length=16), nullable=False),
        sa.Column("rolling_months", sa.Integer(), nullable=True),
        sa.Column("clear_month", sa.Integer(), nullable=True),
        sa.Column("clear_day", sa.Integer(), nullable=True),
        sa.Column("cutoff_month", sa.Integer(), nullable=True),
        sa.Column("cutoff_day", sa.Integer(), nullable=True),
        sa.Column("clear_years", sa.Integer(), nullable=True),
        sa.Column("notice_days", Json, nullable=False),
        sa.Column("shortfall", sa.String(length=16), nullable=False),
        sa.Column("transfers_enabled", sa.Boolean(), nullable=False),
        sa.Column("transfer_max", sa.BigInteger(), nullable=True),
        sa.Column("transfer_daily_max", sa.BigInteger(), nullable=True),
        sa.Column("hold_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "accounts",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("member_id", ID(), nullable=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("debt", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'wallet') = (member_id IS NOT NULL)", name="wallets_belong_to_members"
        ),
        sa.CheckConstraint("balance >= 0 AND held >= 0 AND debt >= 0", name="wallet_not_negative"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
            name="fk_accounts_member_id",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ux_accounts_member", ["tenant_id", "member_id"], unique=True)
        batch_op.create_index(
            "ux_accounts_system",
            ["tenant_id", "kind"],
            unique=True,
            postgresql_where=sa.text("member_id IS NULL"),
            sqlite_where=sa.text("member_id IS NULL"),
        )

    op.create_table(
        "holds",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("account_id", ID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("memo", sa.String(length=255), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("earned_at", UTCDateTime(), nullable=True),
        sa.Column("lot_expires_at", UTCDateTime(), nullable=True),
        sa.Column("entry_id", ID(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("amount > 0", name="hold_amount"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            name="fk_holds_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "entry_id"], ["entries.tenant_id", "entries.id"], name="fk_holds_entry_id"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_holds_account", ["tenant_id", "account_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_holds_open_expiry",
            ["expires_at"],
            unique=False,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
        batch_op.create_index("ix_holds_reference", ["tenant_id", "reference"], unique=False)

    op.create_table(
        "lots",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("account_id", ID(), nullable=False),
        sa.Column("entry_id", ID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("earned_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "0 <= held AND held <= remaining AND remaining <= amount AND amount > 0",
            name="lot_amounts",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            name="fk_lots_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "entry_id"], ["entries.tenant_id", "entries.id"], name="fk_lots_entry_id"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lots_account", ["tenant_id", "account_id", "expires_at"], unique=False
        )
        batch_op.create_index(
            "ix_lots_expiring",
            ["tenant_id", "expires_at"],
            unique=False,
            postgresql_where=sa.text("remaining > held"),
            sqlite_where=sa.text("remaining > held"),
        )

    op.create_table(
        "postings",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("entry_id", ID(), nullable=False),
        sa.Column("account_id", ID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("total_after", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount <> 0", name="posting_moves_points"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            name="fk_postings_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "entry_id"],
            ["entries.tenant_id", "entries.id"],
            name="fk_postings_entry_id",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.create_index("ix_postings_entry", ["tenant_id", "entry_id"], unique=False)
        batch_op.create_index("ux_postings_chain", ["tenant_id", "account_id", "seq"], unique=True)

    op.create_table(
        "hold_lots",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("hold_id", ID(), nullable=False),
        sa.Column("lot_id", ID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount > 0", name="hold_lot_amount"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "hold_id"], ["holds.tenant_id", "holds.id"], name="fk_hold_lots_hold_id"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lot_id"], ["lots.tenant_id", "lots.id"], name="fk_hold_lots_lot_id"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "hold_id", "lot_id"),
    )
    op.create_table(
        "lot_consumptions",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("entry_id", ID(), nullable=False),
        sa.Column("lot_id", ID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name="consumption_moves_points"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "entry_id"],
            ["entries.tenant_id", "entries.id"],
            name="fk_lot_consumptions_entry_id",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lot_id"],
            ["lots.tenant_id", "lots.id"],
            name="fk_lot_consumptions_lot_id",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("lot_consumptions", schema=None) as batch_op:
        batch_op.create_index("ix_lot_consumptions_entry", ["tenant_id", "entry_id"], unique=False)
        batch_op.create_index("ix_lot_consumptions_lot", ["tenant_id", "lot_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BALANCED_ENTRY)
    for table in APPEND_ONLY:
        _append_only(table)
    for table in TENANT_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER postings_balanced ON postings")
        op.execute("DROP FUNCTION ledger_entry_balanced()")
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        else:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{event}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION ledger_append_only()")
    with op.batch_alter_table("lot_consumptions", schema=None) as batch_op:
        batch_op.drop_index("ix_lot_consumptions_lot")
        batch_op.drop_index("ix_lot_consumptions_entry")

    op.drop_table("lot_consumptions")
    op.drop_table("hold_lots")
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.drop_index("ux_postings_chain")
        batch_op.drop_index("ix_postings_entry")

    op.drop_table("postings")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_lots_expiring",
            postgresql_where=sa.text("remaining > held"),
            sqlite_where=sa.text("remaining > held"),
        )
        batch_op.drop_index("ix_lots_account")

    op.drop_table("lots")
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index("ix_holds_reference")
        batch_op.drop_index(
            "ix_holds_open_expiry",
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index("ix_holds_account")

    op.drop_table("holds")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(
            "ux_accounts_system",
            postgresql_where=sa.text("member_id IS NULL"),
            sqlite_where=sa.text("member_id IS NULL"),
        )
        batch_op.drop_index("ux_accounts_member")

    op.drop_table("accounts")
    op.drop_table("points_policies")
    op.drop_table("outbox")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_reverses")
        batch_op.drop_index("ix_entries_reference")

    op.drop_table("entries")
