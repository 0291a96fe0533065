"""Points at the merchant's checkout, as a till uses them: quote, authorize, capture,
void, refund; the cap, the steps and the balance respected."""

from __future__ import annotations

from datetime import timedelta

from rules.api import call

from .shop import balance, give, member


def quote(client, tenant, member_id: str, order_amount: int) -> dict:
    body = {"member_id": member_id, "order_amount": order_amount}
    return call(client, tenant, "POST", "/checkout/quote", body, 200).json


def authorize(client, tenant, member_id: str, points: int, ref: str, amount: int = 10_000):
    body = {"member_id": member_id, "points": points, "order_ref": ref, "order_amount": amount}
    return call(client, tenant, "POST", "/checkout/authorizations", body)


def points(client, tenant, member_id: str) -> dict:
    return call(client, tenant, "GET", f"/members/{member_id}/points", None, 200).json


def test_a_till_holds_captures_and_refunds_points(client, tenant, clock):
    shopper = member(client, tenant)
    soon = (clock.now() + timedelta(days=10)).isoformat()
    later = (clock.now() + timedelta(days=400)).isoformat()
    call(
        client,
        tenant,
        "POST",
        "/points/earn",
        {"member_id": shopper, "amount": 1_000, "expires_at": soon},
        201,
    )
    call(
        client,
        tenant,
        "POST",
        "/points/earn",
        {"member_id": shopper, "amount": 5_000, "expires_at": later},
        201,
    )

    # 100 points = 1.00 yuan, at most half of a 100.00 yuan order: 5,000 points.
    offer = quote(client, tenant, shopper, 10_000)
    assert (offer["max_points"], offer["value"]) == (5_000, 5_000)
    held = authorize(client, tenant, shopper, 3_000, "POS-1001")
    assert held.status_code == 201
    assert (held.json["status"], held.json["value"]) == ("authorized", 3_000)
    assert (
        points(client, tenant, shopper)["balance"],
        points(client, tenant, shopper)["held"],
    ) == (3_000, 3_000)
    again = authorize(client, tenant, shopper, 3_000, "POS-1001")
    assert again.json["id"] == held.json["id"]

    path = f"/checkout/authorizations/{held.json['id']}"
    captured = call(client, tenant, "POST", f"{path}:capture", {"points": 2_500}, 200).json
    assert (captured["status"], captured["captured"]) == ("captured", 2_500)
    assert balance(client, tenant, shopper) == 3_500
    # The soonest-expiring lot went first: 1,000 of it, 1,500 of the later one.
    part = call(client, tenant, "POST", f"{path}:refund", {"points": 1_200}, 200).json
    assert (part["status"], part["refunded"]) == ("captured", 1_200)
    rest = call(client, tenant, "POST", f"{path}:refund", {}, 200).json
    assert (rest["status"], rest["refunded"]) == ("refunded", 2_500)
    wallet = points(client, tenant, shopper)
    assert (wallet["balance"], wallet["held"]) == (6_000, 0)
    assert [(e["points"], e["expires_at"][:10]) for e in wallet["expiring"]] == [
        (1_000, soon[:10]),
        (5_000, later[:10]),
    ]
    over = call(client, tenant, "POST", f"{path}:refund", {"points": 1}, 409).json
    assert over["code"] == "authorization_state_conflict"


def test_void_and_timeout_give_the_points_back(client, tenant, svc, clock):
    shopper = member(client, tenant)
    call(client, tenant, "POST", "/points/earn", {"member_id": shopper, "amount": 1_000}, 201)
    first = authorize(client, tenant, shopper, 500, "POS-1").json
    voided = call(client, tenant, "POST", f"/checkout/authorizations/{first['id']}:void", None, 200)
    assert voided.json["status"] == "voided"
    assert balance(client, tenant, shopper) == 1_000

    second = authorize(client, tenant, shopper, 500, "POS-2").json
    clock.advance(minutes=31)  # the tenant's hold time is 30 minutes
    from jifen.ledger import holds

    holds.settle_due_holds(svc)
    late = call(client, tenant, "POST", f"/checkout/authorizations/{second['id']}:capture", {}, 409)
    assert late.json["details"] == {"status": "expired"}
    assert balance(client, tenant, shopper) == 1_000
    stored = call(client, tenant, "GET", f"/checkout/authorizations/{second['id']}", None, 200)
    assert stored.json["status"] == "expired"


def test_the_cap_the_steps_and_the_balance(client, tenant):
    call(
        client,
        tenant,
        "PATCH",
        "/mall/settings",
        {"checkout_cap_percent": 20, "checkout_step": 50},
        200,
    )
    shopper = member(client, tenant)
    call(client, tenant, "POST", "/points/earn", {"member_id": shopper, "amount": 1_234}, 201)

    # 20% of 99.99 yuan is 19.99: 1,999 points, in steps of 50: 1,950; the balance
    # allows 1,234: 1,200.
    assert quote(client, tenant, shopper, 9_999)["max_points"] == 1_200
    assert quote(client, tenant, shopper, 5_000)["max_points"] == 1_000
    over = authorize(client, tenant, shopper, 1_250, "A", 9_999)
    assert (over.status_code, over.json["code"]) == (409, "over_checkout_limit")
    odd = authorize(client, tenant, shopper, 120, "B", 9_999)
    assert (odd.status_code, odd.json["code"]) == (422, "not_in_steps")
    assert authorize(client, tenant, shopper, 1_200, "C", 9_999).status_code == 201
    other = authorize(client, tenant, shopper, 100, "C", 9_999)
    assert (other.status_code, other.json["code"]) == (409, "order_ref_taken")
    assert balance(client, tenant, shopper) == 34


def test_points_past_their_expiry_are_not_offered_before_the_sweep(client, tenant, clock):
    shopper = member(client, tenant)
    soon = (clock.now() + timedelta(days=10)).isoformat()
    give(client, tenant, shopper, 100, expires_at=soon)
    give(client, tenant, shopper, 200)
    clock.advance(days=11)  # the 100 are due; no sweep has run

    offer = quote(client, tenant, shopper, 100_000)
    assert (offer["max_points"], offer["balance"]) == (200, 200)
    assert points(client, tenant, shopper)["balance"] == 200
    over = authorize(client, tenant, shopper, 300, "POS-1", 100_000)
    assert (over.status_code, over.json["code"]) == (409, "over_checkout_limit")
    held = authorize(client, tenant, shopper, 200, "POS-2", 100_000)
    assert held.status_code == 201
    assert (
        points(client, tenant, shopper)["balance"],
        points(client, tenant, shopper)["held"],
    ) == (0, 200)
