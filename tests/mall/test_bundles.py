"""Bundles (套装): a unit takes its parts' stock too, and a refund puts it all back."""

from __future__ import annotations

from rules.api import call

from .shop import ADDRESS, balance, get_product, member, order, placed, product


def test_a_bundle_takes_and_returns_its_parts_stock(client, tenant):
    cup = product(client, tenant, name="Cup", stock=10)
    tea = product(client, tenant, name="Tea", stock=3)
    gift = product(
        client,
        tenant,
        name="Tea gift set",
        points_price=500,
        stock=None,
        bundle=[{"product_id": cup["id"], "quantity": 2}, {"product_id": tea["id"]}],
    )
    assert gift["bundle"] == [
        {"product_id": cup["id"], "quantity": 2},
        {"product_id": tea["id"], "quantity": 1},
    ]
    buyer = member(client, tenant, 5_000)

    bought = placed(client, tenant, buyer, gift["id"], 2, address=ADDRESS)
    assert (
        get_product(client, tenant, cup["id"])["stock"],
        get_product(client, tenant, tea["id"])["stock"],
    ) == (6, 1)
    short = order(client, tenant, buyer, gift["id"], 2, address=ADDRESS)
    assert (short.status_code, short.json["code"]) == (409, "out_of_stock")
    assert short.json["details"]["product_id"] == tea["id"]
    assert get_product(client, tenant, cup["id"])["stock"] == 6  # nothing half-taken
    assert balance(client, tenant, buyer) == 4_000

    call(client, tenant, "POST", f"/orders/{bought['id']}:refund", {}, 200)
    assert (
        get_product(client, tenant, cup["id"])["stock"],
        get_product(client, tenant, tea["id"])["stock"],
    ) == (10, 3)
    assert balance(client, tenant, buyer) == 5_000


def test_a_bundle_is_made_of_physical_products(client, tenant):
    cup = product(client, tenant, name="Cup")
    card = product(client, tenant, kind="virtual", name="Card", stock=None)
    body = {"kind": "physical", "name": "Set", "points_price": 1}
    for parts in (
        [{"product_id": cup["id"]}, {"product_id": card["id"]}],
        [{"product_id": cup["id"]}, {"product_id": cup["id"]}],
    ):
        refused = call(client, tenant, "POST", "/products", {**body, "bundle": parts}, 422)
        assert "bundle" in refused.json["details"]
    coupons = {
        "kind": "coupon",
        "coupon": {"type": "free_shipping", "valid_days": 1},
        "bundle": [{"product_id": cup["id"]}, {"product_id": cup["id"]}],
    }
    assert call(client, tenant, "POST", "/products", {**body, **coupons}, 422).status_code == 422
