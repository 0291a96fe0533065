"""Opening balances: the points a member brings from the merchant's previous system, each
lot keeping the day it was earned and the day it expires there.

An opening balance is earned points like any others (an `earn` entry from the tenant's
issued account, repaying debt first), except that its lots carry the dates they were
given, not today's and the policy's: a member whose points were to expire in March
still loses them in March after the move.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.clock import Clock
from jifen.errors import ValidationFailed
from jifen.i18n import N_, Message
from jifen.ledger.results import EntryView, entry_view
from jifen.ledger.service import check_amount, open_journal

MEMO = N_("Opening balance brought over")


@dataclass(frozen=True)
class Opening:
    """Points earned on `earned_at` that expire at `expires_at` (None: never)."""

    points: int
    earned_at: datetime
    expires_at: datetime | None


def check_opening(opening: Opening, now: datetime) -> None:
    """Refuse an opening balance the ledger could not keep as given: not a whole number
    of points, earned in the future, or expired (or expiring before it was earned)."""
    check_amount(opening.points)
    problems: dict[str, list[Message]] = {}
    if opening.earned_at > now:
        problems["earned_at"] = [Message(N_("Points cannot have been earned in the future."))]
    if opening.expires_at is not None and opening.expires_at <= now:
        problems["expires_at"] = [Message(N_("These points have expired already."))]
    elif opening.expires_at is not None and opening.expires_at <= opening.earned_at:
        problems["expires_at"] = [Message(N_("Points expire after they are earned."))]
    if problems:
        raise ValidationFailed(details=problems)


def bring_over(
    session: Session,
    member_id: uuid.UUID,
    openings: list[Opening],
    *,
    actor: Actor,
    clock: Clock,
    reference: str | None = None,
) -> EntryView:
    """Credit a member's opening balance: one `earn` entry, a lot for each opening with
    its own earning and expiry dates. Refused whole (nothing posted) if any opening is."""
    if not openings:
        raise ValidationFailed(details={"points": [Message(N_("Give the points to bring over."))]})
    journal = open_journal(session, clock)
    for opening in openings:
        check_opening(opening, journal.now)
    check_amount(sum(opening.points for opening in openings))  # the wallet holds the sum
    (wallet,) = journal.wallets_of([member_id], create=True)
    entry = journal.entry("earn", actor, reference=reference, memo=Message(MEMO))
    for opening in openings:
        journal.credit(
            entry,
            wallet,
            opening.points,
            source="issued",
            earned_at=opening.earned_at,
            expires_at=opening.expires_at,
        )
    journal.flush()
    return entry_view(journal, entry)
