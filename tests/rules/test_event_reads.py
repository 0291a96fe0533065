"""GET /events/{id}: an event read back with what it earned and what followed from it,
and nothing of another merchant's."""

from __future__ import annotations

import uuid

from .api import call, event, member, purchase, rule


def read(client, tenant, event_id: str, status: int = 200) -> dict:
    return call(client, tenant, "GET", f"/events/{event_id}", None, status).json


def test_a_referral_read_later_shows_the_inviters_bonus_its_first_purchase_paid(client, tenant):
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "referral", {"inviter_first_purchase": 50})
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")
    invited = {"inviter_id": alice, "stage": "registered"}
    joined = event(client, tenant, "referral", bob, invited).json
    assert read(client, tenant, joined["id"])["later_events"] == []

    bought = purchase(client, tenant, bob, 8_800)
    outcome = read(client, tenant, joined["id"])

    assert outcome["id"] == joined["id"]
    assert (outcome["status"], outcome["points"]) == ("none", 0)
    (stage,) = outcome["later_events"]
    assert stage["kind"] == "referral"
    assert [(a["member_id"], a["points"]) for a in stage["awards"]] == [(alice, 50)]
    assert [p["member_id"] for p in stage["postings"]] == [alice]
    # The purchase names the same stage among what followed from it.
    from_purchase = read(client, tenant, bought["id"])
    assert [e["id"] for e in from_purchase["later_events"]] == [stage["id"]]


def test_a_purchase_read_back_answers_as_recorded_and_lists_its_refunds(client, tenant):
    rule(client, tenant, "spend", {"rate": "1"})
    alice = member(client, tenant, "alice")
    bought = purchase(client, tenant, alice, 10_000, id="order-1")
    refund = event(client, tenant, "refund", alice, {"order_id": "order-1", "amount": 4_000})
    assert refund.status_code == 201, refund.json

    outcome = read(client, tenant, bought["id"])

    assert {k: v for k, v in outcome.items() if k != "later_events"} == bought
    assert [(e["kind"], e["points"]) for e in outcome["later_events"]] == [("refund", -40)]


def test_another_merchants_event_is_not_found_like_a_missing_one(client, tenant, make_tenant):
    rule(client, tenant, "spend", {"rate": "1"})
    alice = member(client, tenant, "alice")
    bought = purchase(client, tenant, alice, 10_000)
    other = make_tenant("other")

    theirs = call(client, other, "GET", f"/events/{bought['id']}", None, 404).json
    missing = call(client, other, "GET", f"/events/{uuid.uuid4()}", None, 404).json

    assert theirs == missing
    assert theirs["code"] == "not_found"
    assert theirs["details"] == {"resource": "event"}
