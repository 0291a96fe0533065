"""The mall's redemptions and reviews as events of the earn engine: in-transaction
subscribers to the mall's `OrderMoved`, `ReviewPublished` and `ReviewRejected` (see
`jifen.subscriptions`).

When a member's order is placed, the engine records a `redeemed` event, so a merchant's
campaign can give points back on redemptions (a task rule listening to `redeemed`, say).
When the order is cancelled or refunded, what that event gave is taken back through the
ledger, so a redemption cannot be placed and undone to keep the bonus. Likewise a
review published is a `review` event (a task rule listening to `review` pays for
reviews), and a review the merchant rejects after publishing it gives back what that
paid. All happen in the order's or the review's transaction: they commit or roll back
with it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from jifen import ledger
from jifen.audit import SYSTEM, Actor
from jifen.clock import Clock
from jifen.db import tenant_of
from jifen.errors import JifenError
from jifen.i18n import N_, Message
from jifen.mall import OrderMoved, ReviewPublished, ReviewRejected, get_order
from jifen.rules import sql
from jifen.rules.events import EventIn, ledger_reference
from jifen.rules.kinds.redeemed import KIND, event_id
from jifen.rules.program import has_rules
from jifen.rules.recording import record
from jifen.rules.registry import EarnCollaborators, RuleTypes

log = logging.getLogger(__name__)

UNDONE = ("cancelled", "refunded")
REVIEW = "review"


def order_moved(
    services: EarnCollaborators,
    session: Session,
    moved: OrderMoved,
    *,
    now: datetime,
    actor: Actor | None,
) -> None:
    """An order placed (its first step is `created`) is a `redeemed` event; one
    cancelled or refunded takes back what that event gave."""
    actor = actor or SYSTEM
    if moved.steps[0] == "created":
        order = get_order(session, moved.order_id)
        data = {
            "order_id": str(order.id),
            "product_id": str(order.product_id),
            "kind": order.kind,
            "quantity": order.quantity,
            "points": order.points,
        }
        emit(
            session,
            order.member_id,
            order.id,
            data,
            rule_types=services.rule_types,
            actor=actor,
            clock=services.clock,
        )
    elif moved.status in UNDONE:
        take_back(session, moved.order_id, actor=actor, clock=services.clock)


def emit(
    session: Session,
    member_id: uuid.UUID,
    order_id: uuid.UUID,
    data: dict[str, Any],
    *,
    rule_types: RuleTypes,
    actor: Actor,
    clock: Clock,
) -> None:
    """Record the order's `redeemed` event in its transaction; skipped while the tenant
    has no active rules."""
    if not has_rules(session.connection(), tenant_of(session), rule_types):
        return
    given = EventIn(event_id(order_id), KIND, data, member_id=member_id, occurred_at=clock.now())
    record(session, given, rule_types=rule_types, actor=actor, clock=clock)


def take_back(session: Session, order_id: uuid.UUID, *, actor: Actor, clock: Clock) -> int:
    """Take back the points the order's `redeemed` event gave (posted or still pending),
    as the ledger holds them; how many."""
    return _take_back(session, KIND, event_id(order_id), actor=actor, clock=clock)


def _take_back(
    session: Session,
    kind: str,
    given_id: str,
    *,
    actor: Actor,
    clock: Clock,
    memo: str | None = None,
) -> int:
    """Take back what the event of `kind` with id `given_id` gave, saying why (`memo`);
    how many points."""
    key = (kind, given_id)
    stored = sql.events_by_key(session.connection(), tenant_of(session), [key]).get(key)
    if stored is None:
        return 0
    given = ledger.earnings_of(session, ledger_reference(*key), stored.id)
    reference = f"{given_id}:undone"
    return sum(
        ledger.take_back(
            session, earning, actor=actor, clock=clock, reference=reference, memo=memo
        ).points
        for earning in given.values()
    )


def review_event_id(review_id: uuid.UUID) -> str:
    """The event id of a review's `review` event."""
    return f"review:{review_id}"


def review_published(
    services: EarnCollaborators,
    session: Session,
    published: ReviewPublished,
    *,
    now: datetime,
    actor: Actor | None,
) -> None:
    """A review published is its member's `review` event (skipped while the tenant has no
    active rules). One the engine refuses (its member frozen since) leaves the
    publication standing, unpaid."""
    if not has_rules(session.connection(), tenant_of(session), services.rule_types):
        return
    data = {
        "review_id": str(published.review_id),
        "order_id": str(published.order_id),
        "product_id": str(published.product_id),
        "rating": published.rating,
    }
    given = EventIn(
        review_event_id(published.review_id),
        REVIEW,
        data,
        member_id=published.member_id,
        occurred_at=now,
    )
    try:
        record(
            session,
            given,
            rule_types=services.rule_types,
            actor=actor or SYSTEM,
            clock=services.clock,
        )
    except JifenError as refused:
        log.info("review %s not recorded for earning: %s", published.review_id, refused.code)


def review_rejected(
    services: EarnCollaborators,
    session: Session,
    rejected: ReviewRejected,
    *,
    now: datetime,
    actor: Actor | None,
) -> None:
    """A review rejected gives back what its publication paid (nothing, if it was never
    published)."""
    review_id = review_event_id(rejected.review_id)
    _take_back(
        session,
        REVIEW,
        review_id,
        actor=actor or SYSTEM,
        clock=services.clock,
        memo=Message(N_("review taken down")),
    )
