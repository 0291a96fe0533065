"""Refunds take back what the refunded part of a purchase earned, through the API on both
databases. Amounts are in fen: 10_000 is 100.00 CNY."""

from __future__ import annotations

from typing import Any

from jifen.ledger.holds import settle_due_holds

from .api import balance, call, event, member, purchase, rule

TWO_LINES = [
    {"sku": "tea", "category": "food", "amount": 6_000},
    {"sku": "card", "category": "gift_card", "amount": 4_000},
]


def refund(client, tenant, member_id: str, order_id: str, **data: Any):
    return event(client, tenant, "refund", member_id, {"order_id": order_id, **data})


def refunded(client, tenant, member_id: str, order_id: str, **data: Any) -> dict[str, Any]:
    """A refund that went through, after checking its breakdown adds up."""
    response = refund(client, tenant, member_id, order_id, **data)
    assert response.status_code == 201, response.json
    result = response.json
    assert result["kind"] == "refund"
    assert sum(a["points"] for a in result["awards"]) == result["points"] <= 0
    assert sum(p["points"] for p in result["postings"]) == result["points"]
    return result


def summary(client, tenant, member_id: str) -> dict[str, Any]:
    return call(client, tenant, "GET", f"/members/{member_id}/points", None, 200).json


def refused(response, code: str) -> None:
    assert response.status_code == 422, response.json
    assert response.json["code"] == code


def test_a_full_refund_takes_back_everything_the_order_earned(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "campaign", {"kind": "multiplier", "multiplier": "2"}, name="2x")
    rule(
        client,
        tenant,
        "campaign",
        {"kind": "threshold", "threshold": 50_000, "points": 100},
        name="500 get 100",
    )
    assert purchase(client, tenant, alice, 60_000, id="order-1")["points"] == 1_300

    result = refunded(client, tenant, alice, "order-1", amount=60_000)
    assert result["points"] == -1_300
    assert result["status"] == "posted"
    # Each rule's award is taken back in full, named after the rule that gave it.
    assert [(a["rule_type"], a["rule_name"], a["points"]) for a in result["awards"]] == [
        ("spend", "spend", -600),
        ("campaign", "2x", -600),
        ("campaign", "500 get 100", -100),
    ]
    assert {a["reason"] for a in result["awards"]} == {"refund on order order-1"}
    assert result["notes"] == ["refund of 60000 on order order-1: 1300 of 1300 points back"]
    assert balance(client, tenant, alice) == 0


def test_a_refund_by_amount_takes_back_points_in_proportion(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    purchase(client, tenant, alice, 10_000, id="order-1")
    assert refunded(client, tenant, alice, "order-1", amount=2_500)["points"] == -25
    assert balance(client, tenant, alice) == 75
    assert refunded(client, tenant, alice, "order-1", amount=3_333)["points"] == -33
    assert balance(client, tenant, alice) == 42


def test_a_refund_by_lines_takes_back_what_those_lines_earned(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1", "excluded_categories": ["gift_card"]})
    order = purchase(client, tenant, alice, 10_000, id="order-1", data={"lines": TWO_LINES})
    assert order["points"] == 60

    gift_card = refunded(client, tenant, alice, "order-1", lines=[{"index": 1, "amount": 4_000}])
    assert (gift_card["points"], gift_card["status"]) == (0, "none")
    assert balance(client, tenant, alice) == 60

    half_the_tea = [{"index": 0, "amount": 3_000}]
    assert refunded(client, tenant, alice, "order-1", lines=half_the_tea)["points"] == -30
    assert balance(client, tenant, alice) == 30


def test_refunds_of_one_line_take_back_exactly_what_it_earned(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    lines = [
        {"sku": "tea", "amount": 6_150},
        {"sku": "cup", "amount": 3_850},
    ]
    purchase(client, tenant, alice, 10_000, id="order-1", data={"lines": lines})
    a_third = [{"index": 0, "amount": 2_050}]
    taken = [-refunded(client, tenant, alice, "order-1", lines=a_third)["points"] for _ in range(3)]
    assert sum(taken) == 62  # what the tea earned, no more, no less
    assert balance(client, tenant, alice) == 38
    refused(refund(client, tenant, alice, "order-1", lines=a_third), "refund_exceeds_order")


def test_several_partial_refunds_end_with_exactly_nothing_left(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "campaign", {"kind": "multiplier", "multiplier": "2"})
    assert purchase(client, tenant, alice, 9_999, id="order-1")["points"] == 198
    taken = [
        refunded(client, tenant, alice, "order-1", amount=amount)["points"]
        for amount in (1_000, 2_000, 6_999)
    ]
    assert taken == [-19, -39, -140]
    assert balance(client, tenant, alice) == 0
    refused(refund(client, tenant, alice, "order-1", amount=1), "refund_exceeds_order")


def test_a_refund_larger_than_the_order_is_refused(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    purchase(client, tenant, alice, 10_000, id="order-1", data={"lines": TWO_LINES})
    refused(refund(client, tenant, alice, "order-1", amount=10_001), "refund_exceeds_order")
    too_much_tea = [{"index": 0, "amount": 6_001}]
    refused(refund(client, tenant, alice, "order-1", lines=too_much_tea), "refund_exceeds_order")
    no_such_line = [{"index": 2, "amount": 1}]
    refused(refund(client, tenant, alice, "order-1", lines=no_such_line), "refund_exceeds_order")

    refunded(client, tenant, alice, "order-1", amount=7_000)
    refused(refund(client, tenant, alice, "order-1", amount=3_001), "refund_exceeds_order")
    assert balance(client, tenant, alice) == 30


def test_a_refund_of_an_unknown_order_is_refused(client, tenant):
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")
    rule(client, tenant, "spend", {"rate": "1"})
    purchase(client, tenant, alice, 10_000, id="order-1")
    refused(refund(client, tenant, alice, "order-2", amount=100), "unknown_order")
    # Another member's order is unknown to this one.
    refused(refund(client, tenant, bob, "order-1", amount=100), "unknown_order")
    assert (balance(client, tenant, alice), balance(client, tenant, bob)) == (100, 0)


def test_a_repeated_refund_is_answered_once(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    purchase(client, tenant, alice, 10_000, id="order-1")
    body = {"order_id": "order-1", "amount": 5_000}
    first = event(client, tenant, "refund", alice, body, id="refund-1")
    again = event(client, tenant, "refund", alice, body, id="refund-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    other = event(client, tenant, "refund", alice, {**body, "amount": 10}, id="refund-1")
    assert (other.status_code, other.json["code"]) == (409, "idempotency_mismatch")
    assert balance(client, tenant, alice) == 50


def test_a_refund_within_the_return_window_shrinks_the_pending_points(client, tenant, clock, svc):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1", "pending_days": 7})
    order = purchase(client, tenant, alice, 10_000, id="order-1")
    assert order["status"] == "pending"

    first = refunded(client, tenant, alice, "order-1", amount=4_000)
    assert first["points"] == -40
    (posting,) = first["postings"]
    assert posting["pending_until"] == order["postings"][0]["pending_until"]
    points = summary(client, tenant, alice)
    assert (points["balance"], points["pending"]) == (0, 60)

    clock.advance(days=1)
    assert refunded(client, tenant, alice, "order-1", amount=1_000)["points"] == -10
    points = summary(client, tenant, alice)
    assert (points["balance"], points["pending"]) == (0, 50)

    # The window closes on time: seven days after the purchase, not after the refunds.
    clock.advance(days=6)
    assert settle_due_holds(svc) == 1
    points = summary(client, tenant, alice)
    assert (points["balance"], points["pending"]) == (50, 0)


def test_a_refund_of_pending_points_in_full_leaves_nothing_pending(client, tenant, clock, svc):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1", "pending_days": 7})
    purchase(client, tenant, alice, 10_000, id="order-1")
    refunded(client, tenant, alice, "order-1", amount=3_000)
    assert refunded(client, tenant, alice, "order-1", amount=7_000)["points"] == -70
    clock.advance(days=8)
    settle_due_holds(svc)
    points = summary(client, tenant, alice)
    assert (points["balance"], points["pending"]) == (0, 0)


def test_a_refund_after_the_window_closed_takes_the_points_back(client, tenant, clock, svc):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1", "pending_days": 7})
    purchase(client, tenant, alice, 10_000, id="order-1")
    clock.advance(days=8)
    assert settle_due_holds(svc) == 1
    assert refunded(client, tenant, alice, "order-1", amount=2_500)["points"] == -25
    assert summary(client, tenant, alice)["balance"] == 75


def test_a_refund_after_the_points_were_spent_leaves_the_member_in_debt(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    purchase(client, tenant, alice, 10_000, id="order-1")
    spend = {"member_id": alice, "amount": 80, "reference": "gift-1"}
    call(client, tenant, "POST", "/points/redeem", spend, 201)

    assert refunded(client, tenant, alice, "order-1", amount=10_000)["points"] == -100
    points = summary(client, tenant, alice)
    assert (points["balance"], points["debt"]) == (0, 80)

    # New points repay the debt first.
    purchase(client, tenant, alice, 10_000, id="order-2")
    points = summary(client, tenant, alice)
    assert (points["balance"], points["debt"]) == (20, 0)


def test_a_refund_frees_up_the_daily_cap_of_the_purchase_day(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "caps", {"period": "day", "limit": 100})
    assert purchase(client, tenant, alice, 10_000, id="order-1")["points"] == 100
    assert purchase(client, tenant, alice, 5_000, id="order-2")["points"] == 0
    refunded(client, tenant, alice, "order-1", amount=10_000)
    assert purchase(client, tenant, alice, 5_000, id="order-3")["points"] == 50
    assert balance(client, tenant, alice) == 50


def test_a_refund_between_purchases_of_a_batch_counts_once(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "caps", {"period": "day", "limit": 100})
    rule(client, tenant, "task", {"event": "share", "points": 10, "limit": 3, "period": "day"})
    purchase(client, tenant, alice, 4_000, id="order-0")

    def buy(order_id: str, amount: int) -> dict[str, Any]:
        data = {"amount": amount, "currency": "CNY"}
        return {"id": order_id, "kind": "purchase", "member_id": alice, "data": data}

    def share(n: int) -> dict[str, Any]:
        return {"id": f"share-{n}", "kind": "share", "member_id": alice}

    back = {"order_id": "order-0", "amount": 4_000}
    events = [
        share(1),
        share(2),
        buy("order-1", 3_000),
        {"id": "refund-0", "kind": "refund", "member_id": alice, "data": back},
        share(3),
        share(4),
        buy("order-2", 5_000),
    ]
    batch = call(client, tenant, "POST", "/events:batch", {"events": events}, 200).json
    assert batch["failed"] == 0, batch
    points = [item["result"]["points"] for item in batch["items"]]
    # order-0's 40 are refunded: 10 + 10 + 30 + 10 + (4th share: none) + 40 under 100.
    assert points == [10, 10, 30, -40, 10, 0, 40]
    assert balance(client, tenant, alice) == 100


def test_a_refund_between_tasks_of_a_batch_leaves_their_limit_alone(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "task", {"event": "share", "points": 10, "limit": 3, "period": "day"})
    purchase(client, tenant, alice, 4_000, id="order-0")
    back = {"order_id": "order-0", "amount": 1_000}
    events = [
        {"id": "share-1", "kind": "share", "member_id": alice},
        {"id": "share-2", "kind": "share", "member_id": alice},
        {"id": "refund-0", "kind": "refund", "member_id": alice, "data": back},
        {"id": "share-3", "kind": "share", "member_id": alice},
        {"id": "share-4", "kind": "share", "member_id": alice},
    ]
    batch = call(client, tenant, "POST", "/events:batch", {"events": events}, 200).json
    assert [item["result"]["points"] for item in batch["items"]] == [10, 10, -10, 10, 0]
    assert balance(client, tenant, alice) == 60


def test_a_refund_of_spent_points_and_the_next_purchase_say_where_the_points_went(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    purchase(client, tenant, alice, 10_000, id="order-1")
    call(client, tenant, "POST", "/points/redeem", {"member_id": alice, "amount": 80}, 201)

    taken = refunded(client, tenant, alice, "order-1", amount=10_000)
    repaid = purchase(client, tenant, alice, 5_000, id="order-2")

    (clawback,) = taken["postings"]
    assert (clawback["points"], clawback["incurred_debt"], clawback["absorbed"]) == (-100, 80, 0)
    (earned,) = repaid["postings"]
    assert (earned["points"], earned["repaid_debt"]) == (50, 50)
    assert summary(client, tenant, alice)["balance"] == 0
    assert summary(client, tenant, alice)["debt"] == 30
