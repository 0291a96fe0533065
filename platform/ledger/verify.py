"""Recompute every invariant of the ledger from its rows (`flask jifen ledger verify`).

Checked per tenant, stopping at the first violation:
- every entry's postings sum to zero, and so do all the tenant's postings;
- every wallet: balance + held - debt = the sum of its postings; balance + held = the sum
  of its lots' remaining; held = the sum of its lots' held; nothing below zero;
- every lot: remaining = amount - what its consumptions took; 0 <= held <= remaining;
- every open reservation or freeze holds exactly its amount across its lots, and each
  lot's held is what open holds hold of it;
- every wallet's hash chain recomputes, with no gap, up to the head the wallet stores;
- the days rolled up from the postings (jifen.ledger.daily), with what the relay has not
  reached yet, are what a count afresh from the postings gives.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from jifen.ledger import daily, sql
from jifen.ledger.chain import posting_hash
from jifen.ledger.models import WALLET, Account, Hold, HoldLot, Lot, LotConsumption, Posting
from jifen.tenants import Tenant


@dataclass(frozen=True)
class Violation:
    tenant_id: uuid.UUID
    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"tenant {self.tenant_id}: {self.invariant}: {self.detail}"


def verify_tenant(connection: Connection, tenant_id: uuid.UUID) -> Violation | None:
    """The first violated invariant of a tenant's ledger, or None."""
    for check in (
        _entries_balance,
        _tenant_balances,
        _wallets_match_postings,
        _wallets_match_lots,
        _lots_match_consumptions,
        _holds_match_lots,
        _chains,
        _days_match_postings,
    ):
        found = check(connection, tenant_id)
        if found is not None:
            return Violation(tenant_id, check.__name__.strip("_").replace("_", " "), found)
    return None


P, A, L, C = Posting.__table__, Account.__table__, Lot.__table__, LotConsumption.__table__
H, HL = Hold.__table__, HoldLot.__table__


def _entries_balance(connection: Connection, tenant_id: uuid.UUID) -> str | None:
    row = connection.execute(
        select(P.c.entry_id, func.sum(P.c.amount))
        .where(P.c.tenant_id == tenant_id)
        .group_by(P.c.entry_id)
        .having(func.sum(P.c.amount) != 0)
        .limit(1)
    ).first()
    return None if row is None else f"entry {row[0]}: postings sum to {row[1]}"


def _tenant_balances(connection: Connection, tenant_id: uuid.UUID) -> str | None:
    (total,) = sql.exact_sums(connection, [P.c.amount], P.c.tenant_id == tenant_id)
    return None if total == 0 else f"all postings sum to {total}"


def _wallets_match_postings(connection: Connection, tenant_id: uuid.UUID) -> str | None:
    wallets = select(A.c.id).where(A.c.tenant_id == tenant_id, A.c.kind == WALLET)
    posted = (
        # Wallets only: a system account's postings may sum past what 64 bits hold.
        select(P.c.account_id, func.sum(P.c.amount).label("total"))
        .where(P.c.tenant_id == tenant_id, P.c.account_id.in_(wallets))
        .group_by(P.c.account_id)
        .subquery()
    )
    rows = connection.execute(
        select(A.c.id, A.c.balance, A.c.held, A.c.debt, func.coalesce(posted.c.total, 0))
        .outerjoin(posted, posted.c.account_id == A.c.id)
        .where(A.c.tenant_id == tenant_id, A.c.kind == WALLET)
    )
    for account_id, balance, held, debt, total in rows:
        if min(balance, held, debt) < 0:
            return f"wallet {account_id}: balance {balance}, held {held}, debt {debt}"
        if balance + held - debt != total:
            return (
                f"wallet {account_id}: balance {balance} + held {held} - debt {debt}"
                f" != postings {total}"
            )
    return None


def _wallets_match_lots(connection: Connection, tenant_id: uuid.UUID) -> str | None:
    lots = (
        select(
            L.c.account_id,
            func.sum(L.c.remaining).label("remaining"),
            func.sum(L.c.held).label("held"),
        )
        .where(L.c.tenant_id == tenant_id)
        .group_by(L.c.account_id)
        .subquery()
    )
    rows = connection.execute(
        select(
            A.c.id,
            A.c.balance,
            A.c.held,
            func.coalesce(lots.c.remaining, 0),
            func.coalesce(lots.c.held, 0),
        )
        .outerjoin(lots, lots.c.account_id == A.c.id)
        .where(A.c.tenant_id == tenant_id, A.c.kind == WALLET)
    )
    for account_id, balance, held, remaining, lots_held in rows:
        if balance + held != remaining or held != lots_held:
            return (
                f"wallet {account_id}: balance {balance}, held {held};"
                f" its lots: remaining {remaining}, held {lots_held}"
            )
    return None


def _lots_match_consumptions(connection: Connection, tenant_id: uuid.UUID) -> str | None:
    taken = (
        select(C.c.lot_id, func.sum(C.c.amount).label("taken"))
        .where(C.c.tenant_id == tenant_id)
        .group_by(C.c.lot_id)
        .subquery()
    )
    rows = connection.execute(
        select(L.c.id, L.c.amount, L.c.remaining, L.c.held, func.coalesce(taken.c.taken, 0))
        .outerjoin(taken, taken.c.lot_id == L.c.id)
        .where(L.c.tenant_id == tenant_id)
    )
    for lot_id, amount, remaining, held, took in rows:
        if remaining != amount - took or not 0 <= held <= remaining <= amount:
            return (
                f"lot {lot_id}: amount {amount}, remaining {remaining}, held {held}, taken {took}"
            )
    return None


def _holds_match_lots(connection: Connection, tenant_id: uuid.UUID) -> str | None:
    pieces = connection.execute(
        select(H.c.id, H.c.amount, HL.c.lot_id, HL.c.amount)
        .join(HL, (HL.c.tenant_id == H.c.tenant_id) & (HL.c.hold_id == H.c.id))
        .where(H.c.tenant_id == tenant_id, H.c.status == "open")
    )
    per_hold: dict[uuid.UUID, tuple[int, int]] = {}
    per_lot: dict[uuid.UUID, int] = {}
    for hold_id, hold_amount, lot_id, amount in pieces:
        so_far = per_hold.get(hold_id, (hold_amount, 0))
        per_hold[hold_id] = (hold_amount, so_far[1] + amount)
        per_lot[lot_id] = per_lot.get(lot_id, 0) + amount
    for hold_id, (amount, held) in per_hold.items():
        if amount != held:
            return f"hold {hold_id}: amount {amount}, its lots hold {held}"
    for lot_id, held in connection.execute(
        select(L.c.id, L.c.held).where(L.c.tenant_id == tenant_id, L.c.held != 0)
    ):
        if per_lot.pop(lot_id, 0) != held:
            return f"lot {lot_id}: held {held}, open holds hold {per_lot.get(lot_id, 0)}"
    if per_lot:
        lot_id, held = next(iter(per_lot.items()))
        return f"lot {lot_id}: held 0, open holds hold {held}"
    return None


def _chains(connection: Connection, tenant_id: uuid.UUID) -> str | None:
    heads = {
        row.id: (row.head_hash, row.seq)
        for row in connection.execute(
            select(A.c.id, A.c.head_hash, A.c.seq).where(
                A.c.tenant_id == tenant_id, A.c.kind == WALLET
            )
        )
    }
    postings = connection.execute(
        select(
            P.c.account_id,
            P.c.id,
            P.c.entry_id,
            P.c.amount,
            P.c.seq,
            P.c.hash,
            P.c.total_after,
            P.c.created_at,
        )
        .join(A, (A.c.tenant_id == P.c.tenant_id) & (A.c.id == P.c.account_id))
        .where(P.c.tenant_id == tenant_id, A.c.kind == WALLET)
        .order_by(P.c.account_id, P.c.seq)
    )
    account, prev, seq, total = None, None, 0, 0
    for account_id, posting_id, entry_id, amount, position, digest, after, at in postings:
        if account_id != account:
            if account is not None and heads.pop(account) != (prev, seq):
                return f"wallet {account}: its head is not the end of its chain"
            account, prev, seq, total = account_id, None, 0, 0
        seq += 1
        total += amount
        if position != seq:
            return f"wallet {account_id}: posting {posting_id} at {position}, expected {seq}"
        if after != total:
            return f"wallet {account_id}: posting {posting_id} says {after} after it, not {total}"
        expected = posting_hash(prev, tenant_id, posting_id, entry_id, amount, at)
        if digest != expected:
            return f"wallet {account_id}: posting {posting_id} does not hash to its chain"
        prev = digest
    if account is not None and heads.pop(account) != (prev, seq):
        return f"wallet {account}: its head is not the end of its chain"
    for account_id, head in heads.items():
        if head != (None, 0):
            return f"wallet {account_id}: has a head but no postings"
    return None


def _days_match_postings(connection: Connection, tenant_id: uuid.UUID) -> str | None:
    zone = connection.scalar(select(Tenant.timezone).where(Tenant.id == tenant_id))
    return daily.mismatch(connection, tenant_id, ZoneInfo(zone or "UTC"))
