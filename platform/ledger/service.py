"""Points move here: earn, redeem, transfer, adjust, extend.

Each operation runs in the caller's write transaction, scoped to one tenant, and takes
the clock and the actor; no Flask. When one raises, nothing it did may be kept: the
caller rolls the transaction back (the request edge and `Database.transaction()` do).
Holds live in `holds`, reversals in `reversal`, expiry in `expiry`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import tenant_of
from jifen.errors import NotFound, ValidationFailed
from jifen.i18n import N_, Message
from jifen.ledger import history, memos, sql
from jifen.ledger import policy as policies
from jifen.ledger.errors import (
    ExpiryInPast,
    ExpiryNotLater,
    InvalidAmount,
    TransferRefused,
)
from jifen.ledger.journal import Journal, WalletState
from jifen.ledger.results import EntryView, WalletChange, entry_view
from jifen.types import MAX_SAFE_INTEGER


def check_amount(amount: Any, *, signed: bool = False) -> int:
    """A number of points: a whole number from 1 to 2^53 - 1 (or its negative)."""
    valid = isinstance(amount, int) and not isinstance(amount, bool)
    if not valid or not (1 <= (abs(amount) if signed else amount) <= MAX_SAFE_INTEGER):
        raise InvalidAmount(details={"amount": amount if valid else str(amount)})
    points: int = amount
    return points


def open_journal(session: Session, clock: Clock) -> Journal:
    return Journal(session, tenant_of(session), clock.now())


def check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise ExpiryInPast(details={"expires_at": expires_at.isoformat()})


def expire_due(journal: Journal, wallet: WalletState, actor: Actor) -> None:
    """Expire the wallet's lots that are past their expiry but not yet swept, so that no
    operation spends points that are already gone. One 'expire' entry, if any."""
    journal.load_lots([wallet])
    due = [lot for lot in wallet.lots_in_order() if lot.expired(journal.now) and lot.spendable]
    if not due:
        return
    entry = journal.entry("expire", actor, memo=Message(N_("points expired")))
    total = 0
    for lot in due:
        amount = lot.spendable
        journal.consume(entry, lot, amount)
        total += amount
    wallet.balance -= total
    journal.post_to_wallet(entry, wallet, -total)
    journal.post_to_system(entry, "expired", total)


def earn(
    session: Session,
    member_id: uuid.UUID,
    amount: int,
    *,
    actor: Actor,
    clock: Clock,
    expires_at: datetime | None = None,
    reference: str | None = None,
    memo: str | None = None,
    data: dict[str, Any] | None = None,
) -> EntryView:
    """Credit a member from the tenant's issued account. Their debt, if any, is repaid
    first; the rest is a lot expiring at `expires_at` or as the tenant's policy says."""
    (entry,) = earn_batch(
        session,
        [(member_id, amount)],
        actor=actor,
        clock=clock,
        expires_at=expires_at,
        reference=reference,
        memo=memo,
        data=data,
    )
    return entry


def earn_batch(
    session: Session,
    awards: list[tuple[uuid.UUID, int]],
    *,
    actor: Actor,
    clock: Clock,
    expires_at: datetime | None = None,
    reference: str | None = None,
    memo: str | None = None,
    data: dict[str, Any] | None = None,
) -> list[EntryView]:
    """Credit many members at once (an import, a campaign, a batch of events): an entry
    each, as `earn` would post it, written together in one set-based flush."""
    for _, amount in awards:
        check_amount(amount)
    journal = open_journal(session, clock)
    check_expiry(expires_at, journal.now)
    policy = policies.load(journal.connection, journal.tenant_id)
    expiry = expires_at or policy.expiry_for(journal.now)
    journal.wallets_of([member_id for member_id, _ in awards], create=True)
    entries = []
    for member_id, amount in awards:
        entry = journal.entry("earn", actor, reference=reference, memo=memo, data=data)
        journal.credit(
            entry,
            journal.wallets[member_id],
            amount,
            source="issued",
            earned_at=journal.now,
            expires_at=expiry,
        )
        entries.append(entry)
    journal.flush()
    return [entry_view(journal, entry) for entry in entries]


def redeem(
    session: Session,
    member_id: uuid.UUID,
    amount: int,
    *,
    actor: Actor,
    clock: Clock,
    reference: str | None = None,
    memo: str | None = None,
    data: dict[str, Any] | None = None,
) -> EntryView:
    """Spend a member's available points, soonest-expiring lots first."""
    check_amount(amount)
    journal = open_journal(session, clock)
    (wallet,) = journal.wallets_of([member_id])
    expire_due(journal, wallet, actor)
    entry = journal.entry("redeem", actor, reference=reference, memo=memo, data=data)
    journal.debit(entry, wallet, amount, sink="redeemed")
    journal.flush()
    return entry_view(journal, entry)


def adjust(
    session: Session,
    member_id: uuid.UUID,
    amount: int,
    *,
    reason: str,
    actor: Actor,
    clock: Clock,
    expires_at: datetime | None = None,
) -> EntryView:
    """A staff correction: positive credits (from the adjustments account), negative
    takes available points back. The reason is required, kept on the entry and in the
    audit log."""
    check_amount(amount, signed=True)
    if not reason or not reason.strip():
        raise ValidationFailed(details={"reason": [Message(N_("A reason is required."))]})
    journal = open_journal(session, clock)
    check_expiry(expires_at, journal.now)
    (wallet,) = journal.wallets_of([member_id], create=amount > 0, active=False)
    entry = journal.entry("adjust", actor, memo=reason.strip())
    if amount > 0:
        policy = policies.load(journal.connection, journal.tenant_id)
        journal.credit(
            entry,
            wallet,
            amount,
            source="adjustments",
            earned_at=journal.now,
            expires_at=expires_at or policy.expiry_for(journal.now),
        )
    else:
        expire_due(journal, wallet, actor)
        journal.debit(entry, wallet, -amount, sink="adjustments")
    journal.flush()
    audit.record(
        session,
        tenant_id=journal.tenant_id,
        actor=actor,
        action="points.adjust",
        object_type="member",
        object_id=member_id,
        after={"amount": amount, "reason": reason.strip(), "entry_id": str(entry.id)},
        now=journal.now,
    )
    return entry_view(journal, entry)


def transfer(
    session: Session,
    from_member: uuid.UUID,
    to_member: uuid.UUID,
    amount: int,
    *,
    actor: Actor,
    clock: Clock,
    reference: str | None = None,
    memo: str | None = None,
) -> EntryView:
    """Give points to another member of the tenant, within the tenant's limits. The
    points keep their expiry: the receiver gets lots expiring when the sender's did."""
    check_amount(amount)
    if from_member == to_member:
        raise TransferRefused(N_("A member cannot transfer points to themselves."))
    journal = open_journal(session, clock)
    policy = policies.load(journal.connection, journal.tenant_id)
    if not policy.transfers_enabled:
        raise TransferRefused(N_("This merchant does not allow transfers."))
    if policy.transfer_max is not None and amount > policy.transfer_max:
        raise TransferRefused(
            N_("At most %(transfer_max)s points per transfer."),
            params={"transfer_max": policy.transfer_max},
            details={"transfer_max": policy.transfer_max},
        )
    wallets = journal.wallets_of([from_member, to_member], create=True)
    sender, receiver = wallets
    if policy.transfer_daily_max is not None:
        sent = _sent_today(journal, sender, policy)
        if sent + amount > policy.transfer_daily_max:
            raise TransferRefused(
                N_("At most %(transfer_daily_max)s points a day; %(sent)s sent today."),
                params={"transfer_daily_max": policy.transfer_daily_max, "sent": sent},
                details={"transfer_daily_max": policy.transfer_daily_max, "sent_today": sent},
            )
    expire_due(journal, sender, actor)
    entry = journal.entry("transfer", actor, reference=reference, memo=memo)
    taken = journal.take(entry, sender, amount)
    journal.post_to_wallet(entry, sender, -amount)
    journal.post_to_wallet(entry, receiver, amount)
    repaid = min(receiver.debt, amount)
    receiver.debt -= repaid
    left = amount - repaid
    for lot, took in taken:
        given = min(took, left)
        if given > 0:
            journal.new_lot(entry, receiver, given, lot.earned_at, lot.expires_at)
            receiver.balance += given
            left -= given
    journal.flush()
    return entry_view(journal, entry)


def _sent_today(journal: Journal, sender: WalletState, policy: policies.Policy) -> int:
    start = policy.start_of_local_day(policy.local_day(journal.now))
    return sql.sent_by_transfer(journal.connection, journal.tenant_id, sender.id, start)


def extend(
    session: Session,
    member_id: uuid.UUID,
    until: datetime,
    *,
    reason: str,
    actor: Actor,
    clock: Clock,
    lot_ids: list[uuid.UUID] | None = None,
) -> int:
    """Move the expiry of a member's lots (all that expire sooner, or the given ones)
    to `until`. Returns how many points were extended."""
    if not reason or not reason.strip():
        raise ValidationFailed(details={"reason": [Message(N_("A reason is required."))]})
    journal = open_journal(session, clock)
    check_expiry(until, journal.now)
    (wallet,) = journal.wallets_of([member_id], active=False)
    expire_due(journal, wallet, actor)
    journal.flush()
    if lot_ids is not None:
        wanted = list(dict.fromkeys(lot_ids))  # a lot named twice is extended once
        sooner = [lot for lot in journal.lots_by_id(wallet, wanted) if lot.remaining]
        for lot in sooner:
            if lot.expires_at is None or lot.expires_at >= until:
                raise ExpiryNotLater(details={"lot_id": str(lot.id)})
    else:
        sooner = [
            lot
            for lot in wallet.lots_in_order()
            if lot.remaining and lot.expires_at is not None and lot.expires_at < until
        ]
    points = sum(lot.remaining for lot in sooner)
    if sooner:
        sql.set_lot_expiry(journal.connection, journal.tenant_id, [lot.id for lot in sooner], until)
    audit.record(
        session,
        tenant_id=journal.tenant_id,
        actor=actor,
        action="points.extend",
        object_type="member",
        object_id=member_id,
        before={"lots": {str(lot.id): _iso(lot.expires_at) for lot in sooner}},
        after={"expires_at": until.isoformat(), "points": points, "reason": reason.strip()},
        now=journal.now,
    )
    return points


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()


def get_entry(session: Session, entry_id: uuid.UUID, *, clock: Clock) -> EntryView:
    """An entry of the session's tenant, with what it did to each wallet and, as when it
    was posted, each wallet's balance, held and debt now."""
    tenant_id = tenant_of(session)
    connection = session.connection()
    row = sql.entry_by_id(connection, tenant_id, entry_id)
    if row is None:
        raise NotFound("entry", entry_id, N_("No such ledger entry."))
    amounts: dict[uuid.UUID, list[int]] = {}
    accounts: dict[uuid.UUID, uuid.UUID] = {}
    for leg in sql.wallet_postings_of(connection, tenant_id, [entry_id]):
        amount, _ = amounts.get(leg.member_id, [0, 0])
        amounts[leg.member_id] = [amount + leg.amount, leg.total_after]
        accounts[leg.member_id] = leg.account_id
    wallets = history.wallets_now(session, list(amounts), clock=clock)
    points = sql.points_moved(connection, tenant_id, entry_id)

    def change(member_id: uuid.UUID, amount: int, total: int) -> WalletChange:
        moved = points.get(accounts[member_id], 0)
        return WalletChange(
            member_id,
            amount,
            total,
            *wallets[member_id],
            debt_change=moved - amount,
        )

    return EntryView(
        id=row.id,
        kind=row.kind,
        reference=row.reference,
        memo=memos.of(row._mapping),
        reverses_entry_id=row.reverses_entry_id,
        created_at=row.created_at,
        changes=[change(m, amount, total) for m, (amount, total) in amounts.items()],
        data=row.data,
    )
