"""What an event earned is taken back as the ledger holds it: a refund of a purchase and
the mall's undoing of a redemption both read the earn entry or the pending earn, never
the answer stored with the event."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select, update

from jifen.audit import SYSTEM
from jifen.ledger import earnings
from jifen.rules.contract import CheckinDay, next_streak
from jifen.rules.events import ledger_reference
from jifen.rules.models import Event

from .api import balance, event, member, purchase, rule


def forget_stored_postings(svc, tenant) -> None:
    """Empty the postings of every stored answer, as if only the ledger knew them."""
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        for event_id, result in session.execute(select(Event.id, Event.result)).all():
            forgotten = {**result, "postings": []}
            session.execute(update(Event).where(Event.id == event_id).values(result=forgotten))


def test_a_refund_takes_back_what_the_ledger_says_the_purchase_earned(client, tenant, svc):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    purchase(client, tenant, alice, 10_000, id="order-1")
    forget_stored_postings(svc, tenant)

    response = event(client, tenant, "refund", alice, {"order_id": "order-1", "amount": 10_000})
    assert response.status_code == 201, response.json
    assert response.json["points"] == -100
    assert balance(client, tenant, alice) == 0


def test_a_pending_earning_is_known_by_its_reference_and_shrinks_when_taken_in_part(
    client, tenant, svc
):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1", "pending_days": 7})
    order = purchase(client, tenant, alice, 10_000, id="order-1")
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        reference = ledger_reference("purchase", "order-1")
        (earning,) = earnings.earnings(session, reference, uuid.UUID(order["id"])).values()
        assert (earning.points, earning.entry_id) == (100, None)
        taken = earnings.take_back(session, earning, actor=SYSTEM, clock=svc.clock, amount=30)
        assert taken.points == 30 and taken.pending is not None
        assert taken.pending["amount"] == 70
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        (again,) = earnings.earnings(session, reference, uuid.UUID(order["id"])).values()
        # Still what was first given, now pending in the smaller hold.
        assert again.points == 100 and again.pending is not None
        assert again.pending["amount"] == 70


def test_a_streak_counts_consecutive_days_forgives_allowed_gaps_and_restarts_its_cycle():
    monday = CheckinDay(date(2026, 11, 23), 3)
    assert next_streak(None, date(2026, 11, 24)) == 1
    assert next_streak(monday, date(2026, 11, 24)) == 4
    assert next_streak(monday, date(2026, 11, 26)) == 1
    assert next_streak(monday, date(2026, 11, 26), missed_days_allowed=2) == 4
    assert next_streak(monday, date(2026, 11, 24), cycle_days=3) == 1
