"""Coupons at the merchant's checkout: checked, used once, retried safely."""

from __future__ import annotations

from rules.api import call

from .shop import member, placed, product


def a_coupon(client, tenant, **terms) -> tuple[str, str]:
    """A member and the code of a coupon they redeemed points for."""
    buyer = member(client, tenant, 1_000)
    terms = {
        "type": "amount_off",
        "amount_off": 1_000,
        "threshold": 5_000,
        "valid_days": 30,
        **terms,
    }
    item = product(client, tenant, kind="coupon", points_price=100, coupon=terms)
    (code,) = placed(client, tenant, buyer, item["id"])["delivery"]["coupons"]
    return buyer, code


def test_a_coupon_is_used_once_and_a_retry_answers_alike(client, tenant):
    buyer, code = a_coupon(client, tenant)
    checked = call(client, tenant, "GET", f"/coupons/{code}?order_amount=8000", None, 200).json
    assert (checked["status"], checked["discount"]) == ("issued", 1_000)
    # Without the order's amount: whether it can be used now, and its terms.
    usable = call(client, tenant, "GET", f"/coupons/{code}", None, 200).json
    assert (usable["status"], usable["terms"]["threshold"]) == ("issued", 5_000)
    assert "discount" not in usable

    use = {"order_ref": "POS-1", "order_amount": 8_000}
    used = call(client, tenant, "POST", f"/coupons/{code}:redeem", use, 200).json
    again = call(client, tenant, "POST", f"/coupons/{code.lower()}:redeem", use, 200).json

    assert used["status"] == "redeemed"
    assert used["redemption"] == {
        "order_ref": "POS-1",
        "order_amount": 8_000,
        "discount": 1_000,
        "free_shipping": False,
    }
    assert again == used
    other = call(
        client, tenant, "POST", f"/coupons/{code}:redeem", {**use, "order_ref": "POS-2"}, 409
    )
    assert other.json["details"] == {"reason": "redeemed"}
    mine = call(client, tenant, "GET", f"/coupons?member_id={buyer}", None, 200).json["items"]
    assert [(c["code"], c["status"]) for c in mine] == [(code, "redeemed")]


def test_percent_off_and_the_refusals(client, tenant, clock):
    _, code = a_coupon(
        client, tenant, type="percent_off", percent_off=15, threshold=0, valid_days=7
    )
    small = call(client, tenant, "GET", f"/coupons/{code}?order_amount=999", None, 200).json
    assert small["discount"] == 149
    _, capped = a_coupon(client, tenant)
    below = call(
        client,
        tenant,
        "POST",
        f"/coupons/{capped}:redeem",
        {"order_ref": "A", "order_amount": 4_999},
        409,
    )
    assert below.json["code"] == "coupon_threshold_not_met"
    missing = call(client, tenant, "POST", f"/coupons/{capped}:redeem", {"order_ref": "A"}, 422)
    assert "order_amount" in missing.json["details"]
    unknown = call(
        client,
        tenant,
        "POST",
        "/coupons/NOSUCHCODE:redeem",
        {"order_ref": "A", "order_amount": 1},
        404,
    )
    assert unknown.json["code"] == "not_found"
    assert unknown.json["details"] == {"resource": "coupon"}
    clock.advance(days=8)
    late = call(
        client,
        tenant,
        "POST",
        f"/coupons/{code}:redeem",
        {"order_ref": "B", "order_amount": 100},
        409,
    )
    assert late.json["details"]["reason"] == "expired"


def test_a_refunded_orders_coupon_cannot_be_used(client, tenant):
    buyer = member(client, tenant, 1_000)
    item = product(
        client,
        tenant,
        kind="coupon",
        points_price=100,
        coupon={"type": "free_shipping", "valid_days": 30},
    )
    bought = placed(client, tenant, buyer, item["id"])
    (code,) = bought["delivery"]["coupons"]
    free = call(client, tenant, "GET", f"/coupons/{code}?order_amount=100", None, 200).json
    assert (free["discount"], free["free_shipping"]) == (0, True)
    call(client, tenant, "POST", f"/orders/{bought['id']}:refund", {}, 200)

    refused = call(
        client,
        tenant,
        "POST",
        f"/coupons/{code}:redeem",
        {"order_ref": "C", "order_amount": 100},
        409,
    )
    assert refused.json["details"] == {"reason": "void"}
