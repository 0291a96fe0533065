"""Reversals: corrections are new entries, never edits.

- Reversing a spend (a redemption, a negative adjustment) is a *refund*: the points go
  back to the lots they came from, with their original expiry, latest-expiring first; any
  of them whose lot has expired meanwhile expire again at once, in the same entry.
- Reversing a credit (an earning, a positive adjustment) is a *clawback*: the points are
  taken back, from the lot that credit created first, then soonest-expiring. Points of
  it that expired unused are simply un-issued ("lapsed"), not owed. If the member has
  spent some, the tenant's policy decides: `debt` records the shortfall as debt that
  their next earnings repay first; `absorb` lets the tenant carry it, reported on the
  entry.
- Reversing a transfer takes the points back from the receiver (who must still have
  them) and restores them to the sender's lots.

An entry may be reversed in parts, never beyond what it moved; reversals themselves and
expiries cannot be reversed. A reversal follows a merge (jifen.ledger.merging): points
given back to a member merged into another since are passed on to that member in the
same entry, with their lots' dates; points taken back from one are taken from that
member (who also owes the shortfall).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from jifen.audit import SYSTEM, Actor
from jifen.clock import Clock
from jifen.errors import NotFound
from jifen.i18n import N_
from jifen.ledger import policy as policies
from jifen.ledger import sql
from jifen.ledger.errors import (
    InsufficientPoints,
    NotReversible,
    ReversalTooLarge,
)
from jifen.ledger.journal import EntryDraft, Journal, LotState, WalletState
from jifen.ledger.merging import pass_on
from jifen.ledger.results import EntryView, entry_view
from jifen.ledger.service import check_amount, expire_due, open_journal

REVERSIBLE = ("earn", "redeem", "adjust", "transfer")


def reverse(
    session: Session,
    entry_id: uuid.UUID,
    *,
    actor: Actor,
    clock: Clock,
    amount: int | None = None,
    reference: str | None = None,
    memo: str | None = None,
) -> EntryView:
    """Reverse an entry, wholly or `amount` of it (see the module's docstring)."""
    journal = open_journal(session, clock)
    original = sql.entry_by_id(journal.connection, journal.tenant_id, entry_id)
    if original is None:
        raise NotFound("entry", entry_id, N_("No such ledger entry."))
    if original.kind not in REVERSIBLE:
        raise NotReversible(details={"kind": original.kind})
    legs = sql.wallet_postings_of(journal.connection, journal.tenant_id, [entry_id])
    members = {leg.member_id for leg in legs}
    # A member merged into another since: their points are that member's now.
    heirs = sql.merged_into(journal.connection, journal.tenant_id, members)
    # Lock first, then read earlier reversals: concurrent reversals queue on the wallets.
    wallets = {
        w.member_id: w
        for w in journal.wallets_of(
            sorted(members | set(heirs.values())), create=bool(heirs), active=False, merged=True
        )
    }
    holder = {member: wallets[heirs.get(member, member)] for member in members}
    done = sum(
        int((row.data or {}).get("reversed", 0))
        for row in sql.reversals_of(journal.connection, journal.tenant_id, entry_id)
    )
    net = sum(leg.amount for leg in legs)
    size = (
        sum(leg.amount for leg in legs if leg.amount > 0)
        if original.kind == "transfer"
        else abs(net)
    )
    left = size - done
    if left <= 0:
        raise NotReversible(N_("This entry has been reversed in full."), details={"reversed": done})
    amount = left if amount is None else check_amount(amount)
    if amount > left:
        raise ReversalTooLarge(details={"left": left, "requested": amount})

    common: dict[str, Any] = {"reverses": entry_id, "reference": reference, "memo": memo}
    if original.kind == "transfer":
        sender = next(wallets[leg.member_id] for leg in legs if leg.amount < 0)
        receiver = next(holder[leg.member_id] for leg in legs if leg.amount > 0)
        entry = journal.entry("reversal", actor, data={"reversed": amount}, **common)
        _take_back(journal, entry, receiver, amount, entry_id, allow_shortfall=False)
        journal.post_to_wallet(entry, receiver, -amount)
        _give_back(journal, entry, sender, amount, entry_id, source=None)
        _pass_on_if_merged(journal, entry, sender, holder[sender.member_id])
    elif net > 0:  # a credit: earn or a positive adjustment
        (member,) = members
        wallet = holder[member]
        source = "issued" if original.kind == "earn" else "adjustments"
        # Expire what is due first, and write it, so the clawback counts it as lapsed.
        expire_due(journal, wallet, SYSTEM)
        journal.flush()
        entry = journal.entry("clawback", actor, **common)
        _claw_back(journal, entry, wallet, amount, entry_id, source=source)
    else:  # a spend: redeem or a negative adjustment
        (member,) = members
        wallet = wallets[member]
        sink = "redeemed" if original.kind == "redeem" else "adjustments"
        entry = journal.entry("refund", actor, data={"reversed": amount}, **common)
        _give_back(journal, entry, wallet, amount, entry_id, source=sink)
        _pass_on_if_merged(journal, entry, wallet, holder[member])
    journal.flush()
    return entry_view(journal, entry)


def _pass_on_if_merged(
    journal: Journal, entry: EntryDraft, wallet: WalletState, holder: WalletState
) -> None:
    """Points given back to a member merged into another since go on to that member."""
    if holder is not wallet:
        pass_on(journal, entry, wallet, holder)


def _take_back(
    journal: Journal,
    entry: EntryDraft,
    wallet: WalletState,
    amount: int,
    original_id: uuid.UUID,
    *,
    allow_shortfall: bool,
) -> int:
    """Take up to `amount` available points, the original entry's own lots first.
    Returns how many were taken (no postings)."""
    expire_due(journal, wallet, SYSTEM)
    if wallet.balance < amount and not allow_shortfall:
        raise InsufficientPoints(
            N_("The receiver no longer has these points."),
            details={"available": wallet.balance, "requested": amount},
        )
    own = {
        row.id
        for row in sql.lots_of_entry(journal.connection, journal.tenant_id, original_id)
        if row.account_id == wallet.id
    }
    journal.lots_by_id(wallet, sorted(own))
    order = sorted(wallet.lots_in_order(), key=lambda lot: lot.id not in own)
    left = min(amount, wallet.balance)
    taken = left
    for lot in order:
        took = min(lot.spendable, left)
        if took > 0:
            journal.consume(entry, lot, took)
            left -= took
    wallet.balance -= taken
    return taken


def _claw_back(
    journal: Journal,
    entry: EntryDraft,
    wallet: WalletState,
    amount: int,
    original_id: uuid.UUID,
    *,
    source: str,
) -> None:
    """Take back what the member got from a credit, from `wallet` (theirs, or the one
    they were merged into since). Points of it that expired unused are not the member's
    to repay: they go back from the expired account to where they came from ("lapsed").
    Of the rest, what the member no longer has is the shortfall."""
    own = [row.id for row in sql.lots_of_entry(journal.connection, journal.tenant_id, original_id)]
    lapsed_before = sum(
        int((row.data or {}).get("lapsed", 0))
        for row in sql.reversals_of(journal.connection, journal.tenant_id, original_id)
    )
    expired = sql.expired_from_lots(journal.connection, journal.tenant_id, own) if own else 0
    lapsed = min(amount, expired - lapsed_before)
    taken = _take_back(journal, entry, wallet, amount - lapsed, original_id, allow_shortfall=True)
    shortfall = amount - lapsed - taken
    outcome: dict[str, Any] = {"reversed": amount, "taken": taken}
    posted = taken
    if lapsed:
        outcome["lapsed"] = lapsed
        journal.post_to_system(entry, "expired", -lapsed)
        journal.post_to_system(entry, source, lapsed)
    if shortfall:
        policy = policies.load(journal.connection, journal.tenant_id)
        if policy.shortfall == "debt":
            wallet.debt += shortfall
            posted += shortfall
            outcome["debt"] = shortfall
        else:
            outcome["absorbed"] = shortfall
    entry.data = outcome
    if posted:
        journal.post_to_wallet(entry, wallet, -posted)
        journal.post_to_system(entry, source, posted)


def _give_back(
    journal: Journal,
    entry: EntryDraft,
    wallet: WalletState,
    amount: int,
    original_id: uuid.UUID,
    *,
    source: str | None,
) -> None:
    """Restore `amount` points to the lots the original entry took them from, latest-
    expiring first; what lands in an expired lot expires again at once."""
    prior = [row.id for row in sql.reversals_of(journal.connection, journal.tenant_id, original_id)]
    restorable: dict[uuid.UUID, int] = {}
    for row in sql.consumptions_of(journal.connection, journal.tenant_id, [original_id, *prior]):
        if row.account_id != wallet.id:
            continue
        # Taken by the original, less what earlier refunds gave back (their negative
        # rows; their positive ones are re-expiries, which do not count).
        if (row.entry_id == original_id) == (row.amount > 0):
            restorable[row.lot_id] = restorable.get(row.lot_id, 0) + row.amount
    lots = journal.lots_by_id(wallet, sorted(restorable))
    left = amount
    expired = 0
    for lot in sorted(lots, key=LotState.sort_key, reverse=True):
        give = min(restorable[lot.id], left)
        if give <= 0:
            continue
        journal.consume(entry, lot, -give)
        left -= give
        if lot.expired(journal.now):
            journal.consume(entry, lot, give)
            expired += give
    if left:
        raise sql.LostUpdate("the entry's lot consumptions do not cover its amount")
    if source is not None:
        journal.post_to_system(entry, source, -amount)
    journal.post_to_wallet(entry, wallet, amount)
    wallet.balance += amount - expired
    if expired:
        journal.post_to_wallet(entry, wallet, -expired)
        journal.post_to_system(entry, "expired", expired)
        entry.data = {**(entry.data or {}), "expired_again": expired}
