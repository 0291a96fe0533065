"""A merged member's points move to the member it was merged into
(`jifen.members.merging`), in the transaction of the merge, as one `merge` entry.

- Points past their expiry that the sweep has not reached expire first, in the merged
  wallet (an `expire` entry): a merge brings nothing back to life.
- Every lot with points left moves with its own earning date and expiry: it is used up
  in the merged wallet and a lot of the same points and dates is made in the other (what
  a transfer does, without a transfer's limits; no point is issued, redeemed or
  expired, so no system account is touched).
- Held points move held. The open reservations and freezes keep their ids, references
  and timeouts, now on the other wallet and holding the lots their points moved to, so
  whoever captures or releases one by its id still can: an order paid after the merge
  spends from the member it was merged into. Pending earns (points not yet the
  member's, no lot) move as they are; captured, their lot is the other member's, dated
  from when they were earned.
- Debt is netted as the rest of the ledger nets it: points a wallet receives (an
  earning, a transfer) repay its debt first, and a clawback takes the available points
  before it records debt. So available points moving into a wallet that owes repay its
  debt, and debt moving into a wallet with available points is paid from them,
  soonest-expiring first, as any debit takes points (those past their expiry in the
  other wallet expire first: they repay nothing). Held and pending points repay
  nothing: a hold must stay capturable, and a pending earn repays debt when it is
  captured, as an earning. What is left owed stays debt, and the next earnings repay
  it: the merge leaves no wallet with both available points and debt.

The entry posts the merged wallet's points out and into the other wallet, and its debt
the other way. Netting posts nothing (the wallet's points and its debt fall alike, so
what its postings sum to stays): the points it takes are recorded as taken from their
lots, in the same entry. Both wallets' hash chains go on. The merged wallet is closed:
nothing is posted to it any more (`Journal.wallets_of` refuses it), but a reversal of an
entry made before the merge, which follows it (`jifen.ledger.reversal`): points given
back to it are passed on at once (`pass_on`), points taken back are taken from the
member it was merged into.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import SYSTEM, Actor
from jifen.db import tenant_of
from jifen.i18n import N_, Message
from jifen.ledger import sql
from jifen.ledger.journal import EntryDraft, Journal, WalletState
from jifen.ledger.service import expire_due
from jifen.members import MergedIntoMember

MEMO = Message(N_("points of an account merged into this one"))


def member_merged(
    _services: object,
    session: Session,
    event: MergedIntoMember,
    *,
    now: datetime,
    actor: Actor | None,
) -> None:
    """In the merge's transaction: move the merged member's points, holds and debt."""
    merge_wallets(session, event.member_id, event.into_id, now=now, actor=actor or SYSTEM)


def merge_wallets(
    session: Session, member_id: uuid.UUID, into_id: uuid.UUID, *, now: datetime, actor: Actor
) -> uuid.UUID | None:
    """Move everything `member_id`'s wallet holds to `into_id`'s (see the module's
    docstring); the `merge` entry, if any point or debt moved."""
    journal = Journal(session, tenant_of(session), now)
    source, target = journal.wallets_of(
        [member_id, into_id], create=True, active=False, merged=True
    )
    expire_due(journal, source, actor)
    if (source.debt or target.debt) and (source.balance or target.balance):
        expire_due(journal, target, actor)  # what is past its expiry repays nothing
    entry, repaid = None, 0
    if source.balance or source.held or source.debt:
        data = {"member_id": str(member_id), "into_id": str(into_id)}
        entry = journal.entry("merge", actor, memo=MEMO, data=data)
        lots = pass_on(journal, entry, source, target)
        if source.debt:
            debt, source.debt = source.debt, 0
            journal.post_to_wallet(entry, source, debt)
            journal.post_to_wallet(entry, target, -debt)
            target.debt += debt
        repaid = repay_debt(journal, entry, target)
    else:
        lots = {}
    journal.flush()
    holds = sql.move_open_holds(journal.connection, journal.tenant_id, source.id, target.id, lots)
    audit.record(
        session,
        tenant_id=journal.tenant_id,
        actor=actor,
        action="points.merge",
        object_type="member",
        object_id=member_id,
        after={
            "into_id": str(into_id),
            "entry_id": None if entry is None else str(entry.id),
            "repaid_debt": repaid,
            "holds": [str(hold_id) for hold_id in holds],
        },
        now=now,
    )
    return None if entry is None else entry.id


def repay_debt(journal: Journal, entry: EntryDraft, wallet: WalletState) -> int:
    """Net the wallet's debt against its available points in `entry`, soonest-expiring
    points first; the points that repaid debt. No posting: balance and debt fall alike."""
    repaid = min(wallet.debt, wallet.balance)
    if repaid:
        journal.take(entry, wallet, repaid)
        wallet.debt -= repaid
    return repaid


def pass_on(
    journal: Journal, entry: EntryDraft, source: WalletState, target: WalletState
) -> dict[uuid.UUID, uuid.UUID]:
    """Move every point left in `source`, available and held, to `target` in `entry`,
    lot by lot with each lot's dates; the lot each held one's points moved to."""
    journal.load_lots([source])
    moved, held_lots = 0, {}
    for lot in source.lots_in_order():
        if not lot.remaining:
            continue
        points, held = lot.remaining, lot.held
        lot.held = 0
        journal.consume(entry, lot, points)
        copy = journal.new_lot(
            entry, target, points, lot.earned_at, lot.expires_at, moved_from=lot.id
        )
        copy.held = held
        if held:
            held_lots[lot.id] = copy.id
        moved += points
    if moved != source.balance + source.held:
        raise sql.LostUpdate("the wallet's balance and its lots disagree")
    if moved:
        journal.post_to_wallet(entry, source, -moved)
        journal.post_to_wallet(entry, target, moved)
    target.balance += source.balance
    target.held += source.held
    source.balance = source.held = 0
    return held_lots
