"""The ledger's tables: accounts, entries, postings, lots, their consumptions and holds.

Every point a member holds is in a lot of their wallet. An entry is one business event,
its postings move points between accounts and sum to zero. Entries, postings and lot
consumptions are never changed or deleted (database triggers refuse it); corrections are
new entries that reverse old ones.

Wallet invariants, which `jifen ledger verify` recomputes:
  balance + held - debt = sum of the wallet's postings
  balance + held        = sum of its lots' remaining
  held                  = sum of its lots' held
  remaining             = amount - sum of the lot's consumptions (per lot)
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from jifen.db import Base, TenantScoped
from jifen.types import ID, Json, UTCDateTime

WALLET = "wallet"
# The tenant's system accounts: where points come from and go to. They keep no running
# balance (every entry of the tenant touches one; a per-posting balance would make it
# the tenant's hot row); their balances are sums over postings.
SYSTEM_ACCOUNTS = ("issued", "redeemed", "expired", "adjustments", "clearing")


def _tenant_fk(table: str, column: str, target: str) -> ForeignKeyConstraint:
    """A foreign key between tenant-owned tables: it includes tenant_id."""
    target_table = target.partition(".")[0]
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{target_table}.tenant_id", target], name=f"fk_{table}_{column}"
    )


class Account(TenantScoped, Base):
    """A member's wallet (one per member) or one of the tenant's system accounts."""

    __tablename__ = "accounts"
    __table_args__ = (
        _tenant_fk("accounts", "member_id", "members.id"),
        CheckConstraint("balance >= 0 AND held >= 0 AND debt >= 0", name="wallet_not_negative"),
        CheckConstraint(
            "(kind = 'wallet') = (member_id IS NOT NULL)", name="wallets_belong_to_members"
        ),
        Index("ux_accounts_member", "tenant_id", "member_id", unique=True),
        Index(
            "ux_accounts_system",
            "tenant_id",
            "kind",
            unique=True,
            postgresql_where=text("member_id IS NULL"),
            sqlite_where=text("member_id IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)  # available
    held: Mapped[int] = mapped_column(BigInteger, default=0)  # reserved or frozen
    debt: Mapped[int] = mapped_column(BigInteger, default=0)  # owed after a clawback
    # The wallet's hash chain: the last posting's hash and how many postings it has.
    head_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Entry(TenantScoped, Base):
    """One business event (earn, redeem, refund, expire, transfer, adjust...). Immutable."""

    __tablename__ = "entries"
    __table_args__ = (
        _tenant_fk("entries", "reverses_entry_id", "entries.id"),
        Index("ix_entries_reverses", "tenant_id", "reverses_entry_id"),
        Index("ix_entries_reference", "tenant_id", "reference"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    reverses_entry_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    reference: Mapped[str | None] = mapped_column(String(128))  # the caller's order id etc.
    # The memo as written; a platform's memo keeps its message too (see ledger.memos).
    memo: Mapped[str | None] = mapped_column(String(255))
    memo_message: Mapped[dict[str, Any] | None] = mapped_column(Json)
    data: Mapped[dict[str, Any] | None] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Posting(TenantScoped, Base):
    """One leg of an entry. A wallet's postings form a hash chain ordered by `seq`."""

    __tablename__ = "postings"
    __table_args__ = (
        _tenant_fk("postings", "entry_id", "entries.id"),
        _tenant_fk("postings", "account_id", "accounts.id"),
        CheckConstraint("amount <> 0", name="posting_moves_points"),
        Index("ix_postings_entry", "tenant_id", "entry_id"),
        Index("ux_postings_chain", "tenant_id", "account_id", "seq", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ID)
    account_id: Mapped[uuid.UUID] = mapped_column(ID)
    amount: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int | None] = mapped_column(BigInteger)  # wallets only
    hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))  # wallets only
    # Wallets only: the wallet's running total (balance + held - debt) after this posting.
    total_after: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Lot(TenantScoped, Base):
    """Points credited to a wallet together, with one expiry. Debits consume lots
    soonest-expiring first; `held` is the part of `remaining` that holds reserve."""

    __tablename__ = "lots"
    __table_args__ = (
        _tenant_fk("lots", "account_id", "accounts.id"),
        _tenant_fk("lots", "entry_id", "entries.id"),
        _tenant_fk("lots", "moved_from", "lots.id"),
        CheckConstraint(
            "0 <= held AND held <= remaining AND remaining <= amount AND amount > 0",
            name="lot_amounts",
        ),
        Index("ix_lots_account", "tenant_id", "account_id", "expires_at"),
        # The expiry sweep's index: only lots with something left to expire.
        Index(
            "ix_lots_expiring",
            "tenant_id",
            "expires_at",
            postgresql_where=text("remaining > held"),
            sqlite_where=text("remaining > held"),
        ),
        # A reversal follows the points a merge moved (`sql.lots_of_entry`): only the
        # lots a merge made are indexed.
        Index(
            "ix_lots_moved_from",
            "tenant_id",
            "moved_from",
            postgresql_where=text("moved_from IS NOT NULL"),
            sqlite_where=text("moved_from IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ID)
    entry_id: Mapped[uuid.UUID] = mapped_column(ID)
    amount: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: never
    # The lot whose points a merge moved here (jifen.ledger.merging): a reversal of the
    # entry that credited that one follows its points here.
    moved_from: Mapped[uuid.UUID | None] = mapped_column(ID)


class LotConsumption(TenantScoped, Base):
    """What an entry took from (positive) or gave back to (negative) a lot. Immutable."""

    __tablename__ = "lot_consumptions"
    __table_args__ = (
        _tenant_fk("lot_consumptions", "entry_id", "entries.id"),
        _tenant_fk("lot_consumptions", "lot_id", "lots.id"),
        CheckConstraint("amount <> 0", name="consumption_moves_points"),
        Index("ix_lot_consumptions_entry", "tenant_id", "entry_id"),
        Index("ix_lot_consumptions_lot", "tenant_id", "lot_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ID)
    lot_id: Mapped[uuid.UUID] = mapped_column(ID)
    amount: Mapped[int] = mapped_column(BigInteger)


HOLD_KINDS = ("reserve", "freeze", "pending")
HOLD_STATUSES = ("open", "captured", "released")


class Hold(TenantScoped, Base):
    """Points set aside: a reservation (two-phase spending), a freeze (a dispute), or a
    pending earn (points not yet the member's; no lot until captured)."""

    __tablename__ = "holds"
    __table_args__ = (
        _tenant_fk("holds", "account_id", "accounts.id"),
        _tenant_fk("holds", "entry_id", "entries.id"),
        CheckConstraint("amount > 0", name="hold_amount"),
        Index("ix_holds_account", "tenant_id", "account_id", "status"),
        # The periodic job's index: open holds by when they time out, across tenants.
        Index(
            "ix_holds_open_expiry",
            "expires_at",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_holds_reference", "tenant_id", "reference"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    amount: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(128))
    # As an entry's: passed on to the entry that captures the hold.
    memo: Mapped[str | None] = mapped_column(String(255))
    memo_message: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # A reservation is released by a job after this; a pending earn is captured.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Pending earns: when the points were earned, and the lot's expiry if the caller set one.
    earned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lot_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ID)  # the entry that captured it
    # As an entry's: what the caller keeps with it (a pending earn's breakdown).
    data: Mapped[dict[str, Any] | None] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HoldLot(TenantScoped, Base):
    """The part of a lot a reservation or freeze holds."""

    __tablename__ = "hold_lots"
    __table_args__ = (
        _tenant_fk("hold_lots", "hold_id", "holds.id"),
        _tenant_fk("hold_lots", "lot_id", "lots.id"),
        CheckConstraint("amount > 0", name="hold_lot_amount"),
    )

    hold_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class PointsPolicy(TenantScoped, Base):
    """A tenant's points rules: expiry, reminders, clawback shortfalls, transfers, holds."""

    __tablename__ = "points_policies"

    # none | rolling (N months after earning) | calendar (a yearly clear date)
    expiry: Mapped[str] = mapped_column(String(16), default="none")
    rolling_months: Mapped[int | None] = mapped_column(Integer)
    # calendar: points earned up to the cut-off (month/day) of year Y expire at the end of
    # the clear date (month/day) of year Y + clear_years - 1; later ones a year later.
    clear_month: Mapped[int | None] = mapped_column(Integer)
    clear_day: Mapped[int | None] = mapped_column(Integer)
    cutoff_month: Mapped[int | None] = mapped_column(Integer)
    cutoff_day: Mapped[int | None] = mapped_column(Integer)
    clear_years: Mapped[int | None] = mapped_column(Integer)
    notice_days: Mapped[list[int]] = mapped_column(Json)  # reminders, e.g. [30, 7]
    # A clawback that finds fewer points than it needs: "debt" records the rest as debt
    # repaid from the next earnings; "absorb" lets the tenant carry it, reported.
    shortfall: Mapped[str] = mapped_column(String(16), default="debt")
    transfers_enabled: Mapped[bool] = mapped_column(default=False)
    transfer_max: Mapped[int | None] = mapped_column(BigInteger)  # per transfer
    transfer_daily_max: Mapped[int | None] = mapped_column(BigInteger)  # sent per day
    hold_minutes: Mapped[int] = mapped_column(Integer, default=30)  # reservation timeout
    # An event for a member the tenant never registered: "reject" it, or "create" the
    # member from the event's external_id.
    unknown_members: Mapped[str] = mapped_column(String(8), default="reject")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PointDay(TenantScoped, Base):
    """What moved through the tenant's system accounts on one of its local days, rolled up
    from the postings after commit (jifen.ledger.daily): points issued to members (net
    of earnings reversed), redeemed (net of refunds), expired, and given or taken by
    adjustments; and how many entries posted. Never a per-write counter: the relay adds
    each transaction's postings, in batches, outside the transaction that made them."""

    __tablename__ = "point_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    issued: Mapped[int] = mapped_column(BigInteger, default=0)
    redeemed: Mapped[int] = mapped_column(BigInteger, default=0)
    expired: Mapped[int] = mapped_column(BigInteger, default=0)
    adjusted: Mapped[int] = mapped_column(BigInteger, default=0)
    entries: Mapped[int] = mapped_column(BigInteger, default=0)


class RollUp(TenantScoped, Base):
    """How many batches the roll-up has applied for the tenant: a reader of the days
    (jifen.ledger.daily) reads it before and after, and reads again if it moved, so that
    rows and tail come from one state even where each statement sees a newer one."""

    __tablename__ = "roll_ups"

    applied: Mapped[int] = mapped_column(BigInteger, default=0)


class WalletDay(TenantScoped, Base):
    """A member whose points moved on one of the tenant's local days: the active members
    of a day are its rows (jifen.ledger.daily)."""

    __tablename__ = "wallet_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)


IMPORT_STATUSES = ("checked", "queued", "running", "done", "failed", "discarded")
IMPORT_MODES = ("all", "valid")
IMPORT_PHASES = ("checking", "saving")


class MemberImport(TenantScoped, Base):
    """A file of members and their opening balances (jifen.ledger.member_imports): what
    its check found, the merchant's choice, and how far the job running it has come.

    The file is kept sealed (it holds phone numbers and emails) from its upload until it
    has run or is discarded, then forgotten; its report stays."""

    __tablename__ = "member_imports"

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_encrypted: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str | None] = mapped_column(String(8))  # all | valid, once chosen
    rows: Mapped[int] = mapped_column(Integer)  # the file's lines of members
    valid_rows: Mapped[int] = mapped_column(Integer)  # of members with no problem
    valid_members: Mapped[int] = mapped_column(Integer)
    # While it runs: the phase, and the lines it has been through of those it goes through.
    phase: Mapped[str | None] = mapped_column(String(16))
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    imported_members: Mapped[int] = mapped_column(Integer, default=0)
    imported_points: Mapped[int] = mapped_column(BigInteger, default=0)
    # The lines refused, [{"line", "column", "message"}] in line order (the first
    # `member_imports.KEPT` of `problem_count`); the check's, then the run's.
    problems: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    problem_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))  # the staff user who uploaded it
    started_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
