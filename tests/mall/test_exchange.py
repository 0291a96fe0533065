"""Exchange (pure points) orders end to end through the API: each kind's life, refunds
that restore points and stock exactly, and every refusal leaving nothing behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rules.api import call, rule

from jifen.ledger.verify import verify_tenant

from .shop import ADDRESS, balance, get_product, member, order, placed, product


def statuses(order_json: dict) -> list[str]:
    return [step["status"] for step in order_json["history"]]


def books_balance(svc, tenant) -> None:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert verify_tenant(session.connection(), tenant.tenant_id) is None


def test_a_physical_item_is_paid_shipped_and_completed(client, tenant, svc):
    buyer = member(client, tenant, 1_000)
    item = product(client, tenant, points_price=300, stock=5)

    placed_order = placed(client, tenant, buyer, item["id"], 2, address=ADDRESS)

    assert placed_order["status"] == "paid"
    assert placed_order["points"] == 600
    assert placed_order["address"] == ADDRESS | {"postal_code": None}
    assert balance(client, tenant, buyer) == 400
    stock = get_product(client, tenant, item["id"])
    assert (stock["stock"], stock["sold"]) == (3, 2)

    path = f"/orders/{placed_order['id']}"
    shipment = {"carrier": "SF Express", "tracking_number": "SF1234567890"}
    shipped = call(client, tenant, "POST", f"{path}:ship", shipment, 200).json
    assert shipped["status"] == "fulfilled"
    assert shipped["delivery"] == shipment
    done = call(client, tenant, "POST", f"{path}:complete", None, 200).json
    assert statuses(done) == ["created", "paid", "fulfilled", "completed"]
    assert call(client, tenant, "GET", path, None, 200).json == done
    mine = call(client, tenant, "GET", f"/orders?member_id={buyer}", None, 200).json
    assert [o["id"] for o in mine["items"]] == [placed_order["id"]]
    books_balance(svc, tenant)


def test_a_refund_restores_points_to_their_original_lots_and_the_stock(client, tenant, svc, clock):
    buyer = member(client, tenant)
    soon, later = clock.now() + timedelta(days=30), clock.now() + timedelta(days=300)
    call(
        client,
        tenant,
        "POST",
        "/points/earn",
        {"member_id": buyer, "amount": 200, "expires_at": soon.isoformat()},
        201,
    )
    call(
        client,
        tenant,
        "POST",
        "/points/earn",
        {"member_id": buyer, "amount": 500, "expires_at": later.isoformat()},
        201,
    )
    item = product(client, tenant, points_price=300, stock=1)
    bought = placed(client, tenant, buyer, item["id"], address=ADDRESS)
    # Soonest-expiring first: all 200 of the first lot, 100 of the second.
    summary = call(client, tenant, "GET", f"/members/{buyer}/points", None, 200).json
    assert [(e["points"], e["expires_at"][:10]) for e in summary["expiring"]] == [
        (400, later.date().isoformat())
    ]
    assert get_product(client, tenant, item["id"])["stock"] == 0

    refunded = call(
        client, tenant, "POST", f"/orders/{bought['id']}:refund", {"reason": "damaged"}, 200
    ).json

    assert refunded["status"] == "refunded"
    assert refunded["refund_entry_id"] is not None
    assert refunded["history"][-1]["note"] == {"reason": "damaged"}
    summary = call(client, tenant, "GET", f"/members/{buyer}/points", None, 200).json
    assert summary["balance"] == 700
    assert [(e["points"], e["expires_at"][:10]) for e in summary["expiring"]] == [
        (200, soon.date().isoformat()),
        (500, later.date().isoformat()),
    ]
    stock = get_product(client, tenant, item["id"])
    assert (stock["stock"], stock["sold"]) == (1, 0)
    again = call(client, tenant, "POST", f"/orders/{bought['id']}:refund", {}, 409).json
    assert again["code"] == "order_state_conflict"
    assert balance(client, tenant, buyer) == 700
    books_balance(svc, tenant)


def test_cancel_before_shipping_but_not_after(client, tenant):
    buyer = member(client, tenant, 500)
    item = product(client, tenant, points_price=100, stock=3)
    first = placed(client, tenant, buyer, item["id"], address=ADDRESS)
    second = placed(client, tenant, buyer, item["id"], address=ADDRESS)

    cancelled = call(client, tenant, "POST", f"/orders/{first['id']}:cancel", {}, 200).json
    assert statuses(cancelled) == ["created", "paid", "cancelled"]
    shipment = {"carrier": "EMS", "tracking_number": "E1"}
    call(client, tenant, "POST", f"/orders/{second['id']}:ship", shipment, 200)
    refused = call(client, tenant, "POST", f"/orders/{second['id']}:cancel", {}, 409).json
    assert refused["code"] == "order_state_conflict"
    assert refused["details"]["status"] == "fulfilled"
    assert balance(client, tenant, buyer) == 400
    assert get_product(client, tenant, item["id"])["stock"] == 2
    late = call(client, tenant, "POST", f"/orders/{first['id']}:ship", shipment, 409).json
    assert late["details"]["status"] == "cancelled"


def test_coupons_and_vouchers_are_issued_at_once_and_void_on_refund(client, tenant, svc):
    buyer = member(client, tenant, 1_000)
    coupon = product(
        client,
        tenant,
        kind="coupon",
        points_price=100,
        coupon={"type": "amount_off", "amount_off": 1_000, "threshold": 5_000, "valid_days": 30},
    )
    voucher = product(
        client,
        tenant,
        kind="service",
        points_price=200,
        service={"booking_url": "https://book.example.com/spa", "valid_days": 90},
    )

    coupons = placed(client, tenant, buyer, coupon["id"], 2)
    spa = placed(client, tenant, buyer, voucher["id"])

    assert statuses(coupons) == ["created", "paid", "fulfilled", "completed"]
    codes = coupons["delivery"]["coupons"]
    assert len(codes) == 2 and len(set(codes)) == 2
    assert coupons["delivery"]["amount_off"] == 1_000
    assert spa["status"] == "completed"
    assert spa["delivery"]["booking_url"] == "https://book.example.com/spa"
    assert len(spa["delivery"]["vouchers"]) == 1
    assert balance(client, tenant, buyer) == 600

    call(client, tenant, "POST", f"/orders/{coupons['id']}:refund", {}, 200)
    assert balance(client, tenant, buyer) == 800
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        from jifen.mall.models import Coupon

        states = {c.code: c.status for c in session.query(Coupon)}
    assert {code: states[code] for code in codes} == dict.fromkeys(codes, "void")
    assert states[spa["delivery"]["vouchers"][0]] == "issued"


def test_a_double_submit_with_an_idempotency_key_places_one_order(client, tenant):
    buyer = member(client, tenant, 500)
    item = product(client, tenant, points_price=100)
    headers = {"Idempotency-Key": "checkout-42"}

    first = order(client, tenant, buyer, item["id"], address=ADDRESS, headers=headers)
    second = order(client, tenant, buyer, item["id"], address=ADDRESS, headers=headers)

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json["id"] == first.json["id"]
    assert balance(client, tenant, buyer) == 400
    assert get_product(client, tenant, item["id"])["sold"] == 1


@pytest.mark.parametrize(
    ("setup", "body", "status", "code"),
    [
        ({"points_price": 600}, {}, 409, "insufficient_points"),
        ({"stock": 1}, {"quantity": 2}, 409, "out_of_stock"),
        ({"status": "draft"}, {}, 409, "not_listed"),
        ({"listed_from": "2030-01-01T00:00:00+00:00"}, {}, 409, "not_listed"),
        ({"listed_until": "2026-01-01T00:00:00+00:00"}, {}, 409, "not_listed"),
        ({"limit_ever": 1}, {"quantity": 2}, 409, "over_limit"),
        ({}, {"address": None}, 422, "address_required"),
        ({}, {"address": {"name": "张伟"}}, 422, "validation_error"),
        ({}, {"quantity": 0}, 422, "validation_error"),
        ({}, {"quantity": 1.5}, 422, "validation_error"),
        ({}, {"member_id": "00000000-0000-7000-8000-000000000000"}, 422, "unknown_member"),
        ({}, {"product_id": "00000000-0000-7000-8000-000000000000"}, 422, "unknown_product"),
    ],
)
def test_a_refused_order_takes_no_points_and_no_stock(
    client, tenant, svc, setup, body, status, code
):
    buyer = member(client, tenant, 500)
    item = product(client, tenant, **{"points_price": 100, "stock": 5, **setup})
    request = {"address": ADDRESS, **body}
    request.setdefault("member_id", buyer)
    request.setdefault("product_id", item["id"])
    quantity = request.pop("quantity", 1)

    response = order(
        client, tenant, request.pop("member_id"), request.pop("product_id"), quantity, **request
    )

    assert response.status_code == status, response.json
    assert response.json["code"] == code
    assert balance(client, tenant, buyer) == 500
    after = get_product(client, tenant, item["id"])
    assert (after["stock"], after["sold"]) == (item["stock"], 0)
    assert call(client, tenant, "GET", f"/orders?member_id={buyer}", None, 200).json["items"] == []
    books_balance(svc, tenant)


def test_limits_count_per_local_day_and_week_and_free_up_when_cancelled(client, tenant, clock):
    buyer = member(client, tenant, 10_000)
    item = product(client, tenant, points_price=10, stock=None, limit_per_day=2, limit_per_week=3)

    placed(client, tenant, buyer, item["id"], 2, address=ADDRESS)
    refused = order(client, tenant, buyer, item["id"], address=ADDRESS)
    assert refused.status_code == 409
    assert refused.json["details"] == {"period": "day", "limit": 2, "taken": 2, "requested": 1}

    clock.advance(days=1)  # 2026-03-02 is a Monday: a new week
    placed(client, tenant, buyer, item["id"], 2, address=ADDRESS)
    clock.advance(days=1)
    third = placed(client, tenant, buyer, item["id"], 1, address=ADDRESS)
    weekly = order(client, tenant, buyer, item["id"], address=ADDRESS)
    assert weekly.status_code == 409
    assert weekly.json["details"]["period"] == "week"

    call(client, tenant, "POST", f"/orders/{third['id']}:cancel", {}, 200)
    placed(client, tenant, buyer, item["id"], 1, address=ADDRESS)


def test_points_back_on_redemption_are_taken_back_with_a_refund(client, tenant, svc):
    rule(
        client,
        tenant,
        "task",
        {"event": "redeemed", "points": 30, "limit": 10, "period": "day"},
        name="兑换返积分",
    )
    buyer = member(client, tenant, 500)
    item = product(client, tenant, points_price=200)

    bought = placed(client, tenant, buyer, item["id"], address=ADDRESS)
    assert balance(client, tenant, buyer) == 500 - 200 + 30
    call(client, tenant, "POST", f"/orders/{bought['id']}:cancel", {}, 200)

    assert balance(client, tenant, buyer) == 500
    books_balance(svc, tenant)
