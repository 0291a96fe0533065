"""Earnings under a reference, and taking them back.

The earn engine posts what an event earns under one reference: an earn entry per member,
or a pending earn (a hold with no lot) while a return window is open. A refund of a
purchase, or a redemption undone in the mall, takes back some or all of it: a posted
earning is clawed back (see `reversal`); an open pending earn is voided and, when only a
part is taken, replaced by a smaller one under the same reference, pending until the
same instant.

The earner keeps with an earning what its points are made of (the earn engine: per rule
and per purchase line), in the earn entry's data or the pending earn's; a take-back in
part reads it to know what to take, and the smaller pending earn keeps it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import tenant_of
from jifen.ledger import holds, memos, reversal, sql
from jifen.ledger import policy as policies
from jifen.ledger.service import open_journal


@dataclass(frozen=True)
class Earning:
    """What one member earned under a reference."""

    member_id: uuid.UUID
    points: int  # as first given
    # The earn entry: posted at once, or when the pending earn was captured.
    entry_id: uuid.UUID | None
    # The pending earn while it is open (a refund may have replaced the first one).
    pending: dict[str, Any] | None
    # What the earner kept with it (see the module's docstring).
    data: dict[str, Any]


@dataclass(frozen=True)
class TakenBack:
    """What a take-back took, and how: by a clawback entry, or by voiding a pending earn
    (and leaving a smaller one in its place when only a part was taken)."""

    points: int
    entry_id: uuid.UUID | None = None  # the clawback
    pending: dict[str, Any] | None = None  # the smaller pending earn left in its place
    # Of `points`, what the member no longer had: now owed, carried by the tenant, or
    # expired unused (lapsed); the rest came from their balance.
    incurred_debt: int = 0
    absorbed: int = 0
    lapsed: int = 0


def earnings(session: Session, reference: str, event_id: uuid.UUID) -> dict[uuid.UUID, Earning]:
    """Per member, what was earned under `reference` for the event `event_id` (an earn
    entry posted at once names its event; a pending earn is known by its reference)."""
    connection, tenant_id = session.connection(), tenant_of(session)
    found = {}
    for row in sql.earn_postings_by_reference(connection, tenant_id, reference):
        if (row.data or {}).get("event") == str(event_id):
            found[row.member_id] = Earning(row.member_id, row.amount, row.id, None, row.data)
    series: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in sql.pending_holds_by_reference(connection, tenant_id, reference):
        series[row.member_id].append(row)
    for member_id, rows in series.items():
        # At most one stands (open, or captured when its window closed); each one that
        # replaced another is smaller, so the largest is what was first given.
        standing = next((row for row in rows if row.status in ("open", "captured")), None)
        found[member_id] = Earning(
            member_id,
            max(row.amount for row in rows),
            standing.entry_id if standing is not None else None,
            dict(standing._mapping) if standing is not None and standing.status == "open" else None,
            rows[0].data or {},
        )
    return found


def take_back(
    session: Session,
    earning: Earning,
    *,
    actor: Actor,
    clock: Clock,
    amount: int | None = None,
    reference: str | None = None,
    memo: str | None = None,
) -> TakenBack:
    """Take back `amount` of an earning (None: all of it): shrink or void its open pending
    earn, or claw the points back from its entry (`reference` and `memo` name the
    clawback)."""
    hold = earning.pending
    if hold is not None:
        holds.void_pending(session, hold["id"], actor=actor, clock=clock)
        taken = hold["amount"] if amount is None else amount
        rest = hold["amount"] - taken
        if rest <= 0:
            return TakenBack(taken)
        # The rest keeps the first one's instant (even one already past that the job has
        # not settled yet) and its expiry counted from the day it was earned.
        journal = open_journal(session, clock)
        (wallet,) = journal.wallets_of([earning.member_id], active=False)
        policy = policies.load(journal.connection, journal.tenant_id)
        renewed = holds.open_pending(
            journal,
            wallet,
            rest,
            reference=hold["reference"],
            memo=memos.of(hold),
            available_at=hold["expires_at"],
            lot_expires_at=hold["lot_expires_at"] or policy.expiry_for(hold["earned_at"]),
            data=hold["data"],
        )
        journal.flush()
        return TakenBack(taken, pending=renewed)
    if earning.entry_id is None:
        return TakenBack(0)  # a pending earn voided earlier
    entry = reversal.reverse(
        session,
        earning.entry_id,
        actor=actor,
        clock=clock,
        amount=amount,
        reference=reference,
        memo=memo,
    )
    return TakenBack(
        earning.points if amount is None else amount,
        entry_id=entry.id,
        incurred_debt=entry.incurred_debt or 0,
        absorbed=entry.absorbed,
        lapsed=int((entry.data or {}).get("lapsed", 0)),
    )
