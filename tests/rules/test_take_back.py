"""What an event earned is taken back as the ledger holds it: a refund of a purchase and
the mall's undoing of a redemption both read the earn entry or the pending earn, never
the answer stored with the event."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select, update

from jifen.audit import SYSTEM
from jifen.ledger import earnings
from jifen.ledger.holds import settle_due_holds
from jifen.rules.breakdown import Breakdown
from jifen.rules.contract import CheckinDay, next_streak
from jifen.rules.events import ledger_reference
from jifen.rules.models import Event

from .api import balance, call, event, member, purchase, rule
from .test_refunds import TWO_LINES, refunded, summary


def forget_stored(svc, tenant, fields: tuple[str, ...] = ("postings",)) -> None:
    """Empty these lists of every stored answer, as if only the ledger knew them."""
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        for event_id, result in session.execute(select(Event.id, Event.result)).all():
            forgotten = {**result, **{key: [] for key in fields}}
            session.execute(update(Event).where(Event.id == event_id).values(result=forgotten))


def test_a_refund_takes_back_what_the_ledger_says_the_purchase_earned(client, tenant, svc):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    purchase(client, tenant, alice, 10_000, id="order-1")
    forget_stored(svc, tenant)

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


def test_a_refund_by_line_takes_back_what_each_line_earned_though_the_rules_changed(
    client, tenant, svc
):
    alice = member(client, tenant, "alice")
    spend = rule(client, tenant, "spend", {"rate": "1", "excluded_categories": ["gift_card"]})
    double = rule(client, tenant, "campaign", {"kind": "multiplier", "multiplier": "2"}, name="2x")
    order = purchase(client, tenant, alice, 10_000, id="order-1", data={"lines": TWO_LINES})
    assert order["points"] == 120  # the tea's 60, doubled; the gift card earns nothing
    # Since then the rules changed and the stored answers lost their breakdown: only the
    # ledger knows what each line and rule gave.
    changed = {"name": "spend for all", "params": {"rate": "5"}}
    call(client, tenant, "PATCH", f"/rules/{spend['id']}", changed, 200)
    call(client, tenant, "POST", f"/rules/{double['id']}:disable", None, 200)
    forget_stored(svc, tenant, ("postings", "awards"))

    card = refunded(client, tenant, alice, "order-1", lines=[{"index": 1, "amount": 4_000}])
    assert (card["points"], card["awards"]) == (0, [])
    a_third_of_the_tea = [{"index": 0, "amount": 2_000}]
    first = refunded(client, tenant, alice, "order-1", lines=a_third_of_the_tea)
    # Each rule takes back its share, named as it was called when it gave the points.
    assert [(a["rule_type"], a["rule_name"], a["points"]) for a in first["awards"]] == [
        ("spend", "spend", -20),
        ("campaign", "2x", -20),
    ]
    rest = [
        refunded(client, tenant, alice, "order-1", lines=a_third_of_the_tea)["points"]
        for _ in range(2)
    ]
    assert [first["points"], *rest] == [-40, -40, -40]
    assert balance(client, tenant, alice) == 0


def test_a_refund_by_line_of_pending_points_shrinks_the_hold_by_what_the_line_earned(
    client, tenant, svc, clock
):
    alice = member(client, tenant, "alice")
    params = {"rate": "1", "excluded_categories": ["gift_card"], "pending_days": 7}
    rule(client, tenant, "spend", params)
    order = purchase(client, tenant, alice, 10_000, id="order-1", data={"lines": TWO_LINES})
    assert (order["points"], order["status"]) == (60, "pending")
    forget_stored(svc, tenant, ("postings", "awards"))

    card = refunded(client, tenant, alice, "order-1", lines=[{"index": 1, "amount": 4_000}])
    assert card["points"] == 0
    assert summary(client, tenant, alice)["pending"] == 60
    a_quarter_of_the_tea = [{"index": 0, "amount": 1_500}]
    for pending in (45, 30):
        back = refunded(client, tenant, alice, "order-1", lines=a_quarter_of_the_tea)
        assert back["points"] == -15
        assert summary(client, tenant, alice)["pending"] == pending
    # The smaller pending earn that replaced the first keeps its breakdown.
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        reference = ledger_reference("purchase", "order-1")
        (earning,) = earnings.earnings(session, reference, uuid.UUID(order["id"])).values()
        assert earning.pending is not None and earning.pending["amount"] == 30
        assert Breakdown.read(earning.data).lines == {0: 60}

    clock.advance(days=8)
    assert settle_due_holds(svc) == 1
    points = summary(client, tenant, alice)
    assert (points["balance"], points["pending"]) == (30, 0)


def test_a_streak_counts_consecutive_days_forgives_allowed_gaps_and_restarts_its_cycle():
    monday = CheckinDay(date(2026, 11, 23), 3)
    assert next_streak(None, date(2026, 11, 24)) == 1
    assert next_streak(monday, date(2026, 11, 24)) == 4
    assert next_streak(monday, date(2026, 11, 26)) == 1
    assert next_streak(monday, date(2026, 11, 26), missed_days_allowed=2) == 4
    assert next_streak(monday, date(2026, 11, 24), cycle_days=3) == 1
