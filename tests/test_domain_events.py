"""Domain events of the members, the earn engine and the mall: registrations, tier
changes, recorded events, order moves and reviews are announced in the log, with ids
and codes, never personal data."""

from __future__ import annotations

import uuid

from conftest import sqlite_only
from mall.shop import ADDRESS, member, placed, product, reviewed
from rules.api import call, purchase, rule
from rules.test_tiers import put_ladder, tier
from sqlalchemy import select

from jifen.outbox.models import OutboxEvent


def logged(svc, event_type: str) -> list[OutboxEvent]:
    with svc.relay.reading() as connection:
        query = select(OutboxEvent).where(OutboxEvent.type == event_type)
        return list(connection.execute(query.order_by(OutboxEvent.seq)))


@sqlite_only
def test_a_registration_is_announced_without_personal_data(client, tenant, svc):
    body = {"external_id": "wx-1", "phone": "13912345678", "email": "a@example.com", "name": "A"}
    created = call(client, tenant, "POST", "/members", body, 201).json

    (event,) = logged(svc, "member.registered")
    assert event.tenant_id == tenant.tenant_id
    assert event.aggregate_id == uuid.UUID(created["id"])
    assert (event.payload, event.version) == ({"member_id": created["id"]}, 2)


@sqlite_only
def test_a_tier_change_is_announced(client, tenant, svc):
    rule(client, tenant, "spend")
    put_ladder(client, tenant, tier("silver", 1, 100))
    alice = call(client, tenant, "POST", "/members", {"external_id": "alice"}, 201).json["id"]

    purchase(client, tenant, alice, 10_000)

    (event,) = logged(svc, "member.tier_changed")
    assert event.payload == {"member_id": alice, "before": None, "after": "silver"}


@sqlite_only
def test_recorded_earn_events_are_announced_in_one_event_per_batch(client, tenant, svc):
    rule(client, tenant, "spend")
    alice = call(client, tenant, "POST", "/members", {"external_id": "alice"}, 201).json["id"]
    before = len(logged(svc, "earn.events_recorded"))  # her registration
    orders = [
        {
            "id": f"o-{n}",
            "kind": "purchase",
            "member_id": alice,
            "data": {"amount": amount, "currency": "CNY"},
        }
        for n, amount in enumerate((10_000, 2_500))
    ]

    call(client, tenant, "POST", "/events:batch", {"events": orders}, 200)

    *_, event = logged(svc, "earn.events_recorded")
    assert len(logged(svc, "earn.events_recorded")) == before + 1
    assert [
        (e["kind"], e["event_id"], e["member_id"], e["amount"], e["points"])
        for e in event.payload["events"]
    ] == [("purchase", "o-0", alice, 10_000, 100), ("purchase", "o-1", alice, 2_500, 25)]


@sqlite_only
def test_an_orders_moves_are_announced_as_its_history_records_them(client, tenant, svc):
    buyer = member(client, tenant, 1_000)
    flask = product(client, tenant, points_price=300, stock=5)
    placed_order = placed(client, tenant, buyer, flask["id"], address=ADDRESS)
    path = f"/orders/{placed_order['id']}"
    body = {"carrier": "SF", "tracking_number": "SF1"}
    call(client, tenant, "POST", f"{path}:ship", body, 200)

    moves = [e.payload for e in logged(svc, "order.moved")]
    assert [(m["steps"], m["status"]) for m in moves] == [
        (["created", "paid"], "paid"),
        (["fulfilled"], "fulfilled"),
    ]
    assert {m["order_id"] for m in moves} == {placed_order["id"]}


@sqlite_only
def test_a_review_is_announced_as_submitted_published_and_rejected_without_its_words(
    client, tenant, svc
):
    buyer = member(client, tenant, 1_000)
    terms = {"type": "amount_off", "amount_off": 100, "threshold": 0, "valid_days": 30}
    voucher = product(client, tenant, kind="coupon", points_price=1, coupon=terms)
    order = placed(client, tenant, buyer, voucher["id"])
    review = reviewed(client, tenant, order["id"], 4, "Good, from 13800138000")
    call(client, tenant, "POST", f"/reviews/{review['id']}:publish", None, 200)
    call(client, tenant, "POST", f"/reviews/{review['id']}:reject", {"reason": "phone"}, 200)

    ids = {"review_id": review["id"], "product_id": voucher["id"], "member_id": buyer}
    with_order = ids | {"order_id": order["id"], "rating": 4}
    assert [e.payload for e in logged(svc, "review.submitted")] == [
        with_order | {"status": "pending"}
    ]
    assert [e.payload for e in logged(svc, "review.published")] == [with_order]
    assert [e.payload for e in logged(svc, "review.rejected")] == [ids]
    assert {e.aggregate_id for e in logged(svc, "review.rejected")} == {uuid.UUID(review["id"])}
