"""Holds: two-phase spending, pending earns and freezes.

- A reservation (`reserve`) moves available points to `held`, on the wallet and on the
  lots it takes, until it is captured (spent, wholly or partly) or released — by the
  caller, or by the periodic job once its time is up. Like a card authorisation.
- A pending earn (`earn_pending`) records points that are not yet the member's (a return
  window) as a hold with no lot; `capture_pending` creates the lot, its expiry counted
  from the day the points were earned; `void_pending` drops it. When it has an
  `available_at`, the periodic job captures it then.
- A freeze (`freeze`) holds points during a dispute until `unfreeze`.

A lot that expires while held keeps its held points; if they are released, they expire
at once in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import SYSTEM, Actor
from jifen.clock import Clock
from jifen.db import cross_tenant, tenant_of
from jifen.errors import NotFound
from jifen.i18n import N_
from jifen.ledger import memos, sql
from jifen.ledger import policy as policies
from jifen.ledger.errors import (
    HoldNotOpen,
    InsufficientPoints,
    MemberNotActive,
    WrongHoldKind,
)
from jifen.ledger.journal import Journal, LotState, WalletState
from jifen.ledger.results import EntryView, HoldView, entry_view
from jifen.ledger.service import check_amount, check_expiry, expire_due, open_journal
from jifen.types import new_id

if TYPE_CHECKING:
    from jifen.collaborators import Collaborators


def _view(row: dict[str, Any], member_id: uuid.UUID) -> HoldView:
    return HoldView(
        id=row["id"],
        member_id=member_id,
        kind=row["kind"],
        status=row["status"],
        amount=row["amount"],
        reference=row["reference"],
        expires_at=row["expires_at"],
        created_at=row["created_at"],
        entry_id=row.get("entry_id"),
    )


def _new_hold(
    journal: Journal,
    wallet: WalletState,
    kind: str,
    amount: int,
    *,
    reference: str | None,
    memo: str | None,
    expires_at: datetime | None,
    lot_expires_at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    row = {
        "id": new_id(),
        "account_id": wallet.id,
        "kind": kind,
        "status": "open",
        "amount": amount,
        "reference": reference,
        **memos.columns(memo),
        "expires_at": expires_at,
        "earned_at": journal.now if kind == "pending" else None,
        "lot_expires_at": lot_expires_at,
        "entry_id": None,
        "data": data,
        "created_at": journal.now,
        "closed_at": None,
    }
    journal.add_hold(row)
    return row


def _audit(
    session: Session, journal: Journal, actor: Actor, action: str, hold: dict[str, Any]
) -> None:
    audit.record(
        session,
        tenant_id=journal.tenant_id,
        actor=actor,
        action=action,
        object_type="hold",
        object_id=hold["id"],
        after={"kind": hold["kind"], "amount": hold["amount"], "reference": hold["reference"]},
        now=journal.now,
    )


def reserve(
    session: Session,
    member_id: uuid.UUID,
    amount: int,
    *,
    actor: Actor,
    clock: Clock,
    reference: str | None = None,
    memo: str | None = None,
    timeout: timedelta | None = None,
) -> HoldView:
    """Set points aside for a purchase to be captured or released later. Released by
    the periodic job after `timeout` (the tenant's hold time by default)."""
    check_amount(amount)
    journal = open_journal(session, clock)
    (wallet,) = journal.wallets_of([member_id])
    expire_due(journal, wallet, actor)
    if timeout is None:
        timeout = timedelta(
            minutes=policies.load(journal.connection, journal.tenant_id).hold_minutes
        )
    hold = _new_hold(
        journal,
        wallet,
        "reserve",
        amount,
        reference=reference,
        memo=memo,
        expires_at=journal.now + timeout,
    )
    journal.hold_lots(hold["id"], wallet, amount)
    journal.flush()
    _audit(session, journal, actor, "hold.reserve", hold)
    return _view(hold, member_id)


def freeze(
    session: Session,
    member_id: uuid.UUID,
    *,
    reason: str,
    actor: Actor,
    clock: Clock,
    amount: int | None = None,
) -> HoldView:
    """Hold points during a dispute (all available points unless `amount` is given)."""
    journal = open_journal(session, clock)
    (wallet,) = journal.wallets_of([member_id], active=False)
    expire_due(journal, wallet, actor)
    if amount is None:
        amount = wallet.balance
        if amount == 0:
            raise InsufficientPoints(N_("The member has no available points to freeze."))
    check_amount(amount)
    hold = _new_hold(
        journal, wallet, "freeze", amount, reference=None, memo=reason, expires_at=None
    )
    journal.hold_lots(hold["id"], wallet, amount)
    journal.flush()
    _audit(session, journal, actor, "hold.freeze", hold)
    return _view(hold, member_id)


def earn_pending(
    session: Session,
    member_id: uuid.UUID,
    amount: int,
    *,
    actor: Actor,
    clock: Clock,
    available_at: datetime | None = None,
    expires_at: datetime | None = None,
    reference: str | None = None,
    memo: str | None = None,
) -> HoldView:
    """Record points the member will have once a return window closes (`available_at`,
    when the periodic job captures them) or when the caller captures them."""
    check_amount(amount)
    journal = open_journal(session, clock)
    check_expiry(available_at, journal.now)
    check_expiry(expires_at, journal.now)
    (wallet,) = journal.wallets_of([member_id], create=True)
    hold = open_pending(
        journal,
        wallet,
        amount,
        reference=reference,
        memo=memo,
        available_at=available_at,
        lot_expires_at=expires_at,
    )
    journal.flush()
    _audit(session, journal, actor, "hold.pending", hold)
    return _view(hold, member_id)


def open_pending(
    journal: Journal,
    wallet: WalletState,
    amount: int,
    *,
    reference: str | None,
    memo: str | None,
    available_at: datetime | None,
    lot_expires_at: datetime | None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A pending earn in the caller's journal (the earn engine posts many at once, each
    with what its points are made of as `data`)."""
    return _new_hold(
        journal,
        wallet,
        "pending",
        amount,
        reference=reference,
        memo=memo,
        expires_at=available_at,
        lot_expires_at=lot_expires_at,
        data=data,
    )


def _locked_hold(
    journal: Journal, hold_id: uuid.UUID, kinds: tuple[str, ...]
) -> tuple[dict[str, Any], WalletState]:
    """The open hold and its wallet, locked (every change to a hold locks its wallet)."""
    found = sql.hold_by_id(journal.connection, journal.tenant_id, hold_id)
    if found is None:
        raise NotFound("hold", hold_id)
    (wallet,) = journal.wallets_of([found.member_id], active=False)
    row = dict(sql.hold_by_id(journal.connection, journal.tenant_id, hold_id)._mapping)
    if row["kind"] not in kinds:
        raise WrongHoldKind(details={"kind": row["kind"]})
    if row["status"] != "open":
        raise HoldNotOpen(details={"status": row["status"]})
    return row, wallet


def _free(
    journal: Journal, hold: dict[str, Any], wallet: WalletState, amount: int
) -> dict[uuid.UUID, int]:
    """Give back `amount` of a hold's points to available, latest-expiring lots first;
    returns what the hold still holds of each lot."""
    pieces = dict(sql.lots_of_hold(journal.connection, journal.tenant_id, hold["id"]))
    lots = journal.lots_by_id(wallet, list(pieces))
    for lot in sorted(lots, key=LotState.sort_key, reverse=True):
        back = min(pieces[lot.id], amount)
        lot.held -= back
        pieces[lot.id] -= back
        amount -= back
        wallet.held -= back
        wallet.balance += back
    return pieces


def capture(
    session: Session,
    hold_id: uuid.UUID,
    *,
    actor: Actor,
    clock: Clock,
    amount: int | None = None,
    memo: str | None = None,
) -> EntryView:
    """Spend a reservation: all of it, or `amount` of it with the rest released."""
    journal = open_journal(session, clock)
    hold, wallet = _locked_hold(journal, hold_id, ("reserve",))
    if wallet.status != "active":
        # A frozen member's reservations can only be released.
        raise MemberNotActive(details={"member_id": str(wallet.member_id)})
    amount = hold["amount"] if amount is None else check_amount(amount)
    if amount > hold["amount"]:
        raise InsufficientPoints(
            N_("That is more than the hold reserved."),
            details={"held": hold["amount"], "requested": amount},
        )
    entry = journal.entry(
        "redeem", actor, reference=hold["reference"], memo=memo or memos.of(hold), data=None
    )
    still_held = _free(journal, hold, wallet, hold["amount"] - amount)
    for lot in journal.lots_by_id(wallet, list(still_held)):
        took = still_held[lot.id]
        if took:
            lot.held -= took
            journal.consume(entry, lot, took)
    wallet.held -= amount
    journal.post_to_wallet(entry, wallet, -amount)
    journal.post_to_system(entry, "redeemed", amount)
    journal.close_hold(hold["id"], "captured", entry.id)
    expire_due(journal, wallet, actor)  # what the partial capture gave back may be due
    journal.flush()
    return entry_view(journal, entry)


def release(session: Session, hold_id: uuid.UUID, *, actor: Actor, clock: Clock) -> HoldView:
    """Give a reservation's points back; any that expired meanwhile expire at once."""
    return _release(session, hold_id, "reserve", actor=actor, clock=clock)


def unfreeze(session: Session, hold_id: uuid.UUID, *, actor: Actor, clock: Clock) -> HoldView:
    """End a freeze; any of its points that expired meanwhile expire at once."""
    return _release(session, hold_id, "freeze", actor=actor, clock=clock)


def _release(
    session: Session, hold_id: uuid.UUID, kind: str, *, actor: Actor, clock: Clock
) -> HoldView:
    journal = open_journal(session, clock)
    hold, wallet = _locked_hold(journal, hold_id, (kind,))
    _free(journal, hold, wallet, hold["amount"])
    journal.close_hold(hold["id"], "released", None)
    expire_due(journal, wallet, actor)
    journal.flush()
    hold = {**hold, "status": "released"}
    _audit(session, journal, actor, f"hold.{'unfreeze' if kind == 'freeze' else 'release'}", hold)
    return _view(hold, wallet.member_id)


def capture_pending(
    session: Session, hold_id: uuid.UUID, *, actor: Actor, clock: Clock
) -> EntryView:
    """Make a pending earn the member's: the lot is created now, its expiry counted from
    the day the points were earned (if that is already past, they expire at once)."""
    journal = open_journal(session, clock)
    hold, wallet = _locked_hold(journal, hold_id, ("pending",))
    (wallet,) = journal.wallets_of([wallet.member_id], create=True, active=False)
    policy = policies.load(journal.connection, journal.tenant_id)
    entry = journal.entry("earn", actor, reference=hold["reference"], memo=memos.of(hold))
    journal.credit(
        entry,
        wallet,
        hold["amount"],
        source="issued",
        earned_at=hold["earned_at"],
        expires_at=hold["lot_expires_at"] or policy.expiry_for(hold["earned_at"]),
    )
    journal.close_hold(hold["id"], "captured", entry.id)
    expire_due(journal, wallet, actor)
    journal.flush()
    return entry_view(journal, entry)


def void_pending(session: Session, hold_id: uuid.UUID, *, actor: Actor, clock: Clock) -> HoldView:
    """Drop a pending earn (the purchase was returned within the window)."""
    journal = open_journal(session, clock)
    hold, wallet = _locked_hold(journal, hold_id, ("pending",))
    journal.close_hold(hold["id"], "released", None)
    journal.flush()
    hold = {**hold, "status": "released"}
    _audit(session, journal, actor, "hold.void", hold)
    return _view(hold, wallet.member_id)


def settle_due_holds(services: Collaborators, batch: int = 500) -> int:
    """Periodic job: release reservations whose time is up, capture pending earns whose
    return window has closed. Each hold in its own transaction; safe to repeat."""
    now = services.clock.now()
    with services.db.session() as session, cross_tenant(session, "settle due holds"):
        due = sql.due_holds(session.connection(), now, batch)
    settled = 0
    for tenant_id, hold_id, kind in due:
        with services.db.transaction(tenant_id=tenant_id) as session:
            try:
                if kind == "pending":
                    capture_pending(session, hold_id, actor=SYSTEM, clock=services.clock)
                else:
                    release(session, hold_id, actor=SYSTEM, clock=services.clock)
            except HoldNotOpen:
                continue  # settled by someone else meanwhile
        settled += 1
    return settled


def get_hold(session: Session, hold_id: uuid.UUID) -> HoldView:
    """A hold of the session's tenant; another tenant's is simply not found."""
    found = sql.hold_by_id(session.connection(), tenant_of(session), hold_id)
    if found is None:
        raise NotFound("hold", hold_id)
    return _view(dict(found._mapping), found.member_id)


def settle(
    session: Session,
    hold_id: uuid.UUID,
    outcome: str,
    *,
    actor: Actor,
    clock: Clock,
    amount: int | None = None,
    memo: str | None = None,
) -> EntryView | HoldView:
    """Capture or release a hold of any kind: a reservation is captured or released, a
    pending earn captured or voided, a freeze released (unfrozen)."""
    kind = get_hold(session, hold_id).kind
    if outcome == "capture":
        if kind == "reserve":
            return capture(session, hold_id, actor=actor, clock=clock, amount=amount, memo=memo)
        if kind == "pending" and amount is None:
            return capture_pending(session, hold_id, actor=actor, clock=clock)
        raise WrongHoldKind(
            N_("Only reservations can be captured in part; freezes are only released."),
            details={"kind": kind},
        )
    if kind == "pending":
        return void_pending(session, hold_id, actor=actor, clock=clock)
    if kind == "freeze":
        return unfreeze(session, hold_id, actor=actor, clock=clock)
    return release(session, hold_id, actor=actor, clock=clock)
