"""The catalog through the API: nested categories, products checked as a whole, stock
changes, search and filters, and prices for a member's tier."""

from __future__ import annotations

import pytest
from rules.api import call
from rules.test_tiers import put_ladder, tier

from .shop import ADDRESS, get_product, member, placed, product, set_tier


def names(page: dict) -> list[str]:
    return [item["name"] for item in page["items"]]


def test_categories_nest_and_cannot_loop(client, tenant):
    home = call(client, tenant, "POST", "/categories", {"name": "家居"}, 201).json
    kitchen = call(
        client, tenant, "POST", "/categories", {"name": "厨房", "parent_id": home["id"]}, 201
    ).json
    cups = call(
        client, tenant, "POST", "/categories", {"name": "杯子", "parent_id": kitchen["id"]}, 201
    ).json

    loop = call(
        client, tenant, "PATCH", f"/categories/{home['id']}", {"parent_id": cups["id"]}, 422
    ).json
    assert loop["code"] == "category_cycle"
    listed = call(client, tenant, "GET", "/categories", None, 200).json["items"]
    assert {c["name"]: c["parent_id"] for c in listed} == {
        "家居": None,
        "厨房": home["id"],
        "杯子": kitchen["id"],
    }

    product(client, tenant, name="Mug", category_id=cups["id"])
    product(client, tenant, name="Lamp", category_id=home["id"])
    product(client, tenant, name="Umbrella")
    found = call(client, tenant, "GET", f"/products?category_id={kitchen['id']}", None, 200).json
    assert names(found) == ["Mug"]
    found = call(client, tenant, "GET", f"/products?category_id={home['id']}", None, 200).json
    assert sorted(names(found)) == ["Lamp", "Mug"]


def test_search_filters_and_pages(client, tenant, clock):
    product(client, tenant, name="Red Mug", points_price=100, tags=["hot"], sort_order=2)
    product(client, tenant, name="Blue Mug", points_price=300, tags=["new"], sort_order=1)
    product(client, tenant, name="Tea Set", points_price=900, sort_order=3)
    product(client, tenant, name="Draft Mug", points_price=50, status="draft", sort_order=4)
    product(client, tenant, name="Sold Out Mug", points_price=50, stock=0, sort_order=5)

    def search(query: str) -> list[str]:
        return names(call(client, tenant, "GET", f"/products?{query}", None, 200).json)

    assert search("q=mug&on_sale=true") == ["Blue Mug", "Red Mug"]
    assert search("min_points=100&max_points=300") == ["Blue Mug", "Red Mug"]
    assert search("tag=hot") == ["Red Mug"]
    assert search("status=draft") == ["Draft Mug"]
    first = call(client, tenant, "GET", "/products?limit=2", None, 200).json
    assert names(first) == ["Blue Mug", "Red Mug"]
    rest = call(
        client, tenant, "GET", f"/products?limit=2&cursor={first['next_cursor']}", None, 200
    ).json
    assert names(rest) == ["Tea Set", "Draft Mug"]
    bad = call(client, tenant, "GET", "/products?cursor=%21%21", None, 422).json
    assert bad["code"] == "invalid_cursor"


def test_affordable_items_are_priced_for_the_member(client, tenant, svc):
    put_ladder(client, tenant, tier("gold", 1, 1_000_000, redemption_discount_percent=10))
    buyer = member(client, tenant, 290)
    product(client, tenant, name="Cheap", points_price=100)
    product(client, tenant, name="Just out of reach", points_price=320)
    product(client, tenant, name="Far", points_price=2_000)

    found = call(client, tenant, "GET", f"/products?member_id={buyer}&affordable=true", None, 200)
    assert names(found.json) == ["Cheap"]
    set_tier(svc, tenant, buyer, "gold")
    found = call(client, tenant, "GET", f"/products?member_id={buyer}&affordable=true", None, 200)
    assert {i["name"]: i["member_price"] for i in found.json["items"]} == {
        "Cheap": 90,
        "Just out of reach": 288,
    }
    refused = call(client, tenant, "GET", "/products?affordable=true", None, 422).json
    assert "affordable" in refused["details"]["query"]


def test_tier_discounts_and_tier_exclusive_items(client, tenant, svc):
    put_ladder(
        client,
        tenant,
        tier("silver", 1, 100, redemption_discount_percent=5),
        tier("gold", 2, 1_000, redemption_discount_percent=10),
    )
    buyer = member(client, tenant, 5_000)
    exclusive = product(client, tenant, name="金卡专享", points_price=1_000, min_tier="gold")
    special = product(client, tenant, points_price=1_000, tier_discounts={"silver": 20})

    refused = call(
        client,
        tenant,
        "POST",
        "/orders",
        {"member_id": buyer, "product_id": exclusive["id"], "address": ADDRESS},
        403,
    ).json
    assert refused["code"] == "tier_required"
    assert refused["details"] == {"min_tier": "gold", "tier": None}
    set_tier(svc, tenant, buyer, "silver")
    quote = call(
        client,
        tenant,
        "GET",
        f"/products/{special['id']}/quote?member_id={buyer}&quantity=2",
        None,
        200,
    ).json
    assert quote == {"points": 1_600, "cash": 0, "currency": None, "notes": ["20% tier discount"]}
    assert placed(client, tenant, buyer, special["id"], 2, address=ADDRESS)["points"] == 1_600
    set_tier(svc, tenant, buyer, "gold")
    # The product's own table names no discount for gold: none applies.
    assert placed(client, tenant, buyer, special["id"], address=ADDRESS)["points"] == 1_000
    assert placed(client, tenant, buyer, exclusive["id"], address=ADDRESS)["points"] == 900


def test_stock_changes_never_go_below_zero(client, tenant):
    item = product(client, tenant, stock=3)
    path = f"/products/{item['id']}/stock"

    assert call(client, tenant, "POST", path, {"change": 7}, 200).json["stock"] == 10
    assert call(client, tenant, "POST", path, {"change": -10}, 200).json["stock"] == 0
    refused = call(client, tenant, "POST", path, {"change": -1}, 409).json
    assert refused["code"] == "stock_below_zero"
    unlimited = product(client, tenant, stock=None)
    call(client, tenant, "POST", f"/products/{unlimited['id']}/stock", {"change": 1}, 422)
    assert get_product(client, tenant, item["id"])["stock"] == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "coupon"}, "coupon"),
        (
            {"kind": "physical", "service": {"booking_url": "https://x.cn", "valid_days": 1}},
            "service",
        ),
        ({"cash_price": 1_000, "currency": "CNY"}, "cash_price"),
        ({"cash_price": 1_000}, "currency"),
        (
            {
                "listed_from": "2026-05-01T00:00:00+08:00",
                "listed_until": "2026-04-01T00:00:00+08:00",
            },
            "listed_until",
        ),
        ({"min_tier": "platinum"}, "min_tier"),
        ({"tier_discounts": {"platinum": 10}}, "tier_discounts"),
        ({"category_id": "00000000-0000-7000-8000-000000000000"}, "category_id"),
        ({"points_price": 99.5}, "points_price"),
        ({"kind": "jewel"}, "kind"),
    ],
)
def test_a_product_is_checked_as_a_whole(client, tenant, fields, field):
    body = {"kind": "physical", "name": "Mug", "points_price": 100, **fields}
    response = call(client, tenant, "POST", "/products", body)
    assert response.status_code in (404, 422), response.json
    details = response.json["details"]
    assert (
        field in details
        or field in details.get("json", {})
        or response.json["code"] == "unknown_category"
    )
    assert call(client, tenant, "GET", "/products", None, 200).json["items"] == []


def test_an_unknown_mode_is_refused_and_changes_are_audited(client, tenant):
    refused = call(
        client,
        tenant,
        "POST",
        "/products",
        {"kind": "physical", "name": "Mug", "points_price": 1, "mode": "barter"},
        422,
    ).json
    assert refused["code"] == "unknown_redeem_mode"
    assert "exchange" in refused["details"]["known"]
    item = product(client, tenant, name="Mug")
    changed = call(
        client,
        tenant,
        "PATCH",
        f"/products/{item['id']}",
        {"name": "Big Mug", "tags": ["hot"]},
        200,
    ).json
    assert (changed["name"], changed["tags"], changed["stock"]) == ("Big Mug", ["hot"], 10)


def test_per_member_limits_as_large_as_the_api_allows_are_kept(client, tenant, clock):
    largest = 2**53 - 1
    limits = {"limit_per_day": 2**31, "limit_per_week": largest, "limit_ever": largest}
    item = product(client, tenant, **limits)
    changed = call(
        client, tenant, "PATCH", f"/products/{item['id']}", {"limit_per_day": largest}, 200
    ).json

    assert {name: item[name] for name in limits} == limits
    assert changed["limit_per_day"] == largest
    placed(client, tenant, member(client, tenant, 1_000), item["id"], address=ADDRESS)


def test_stock_raised_past_2_53_minus_1_is_refused_and_left_as_it_was(client, tenant):
    item = product(client, tenant, stock=2**53 - 10)
    path = f"/products/{item['id']}/stock"

    refused = call(client, tenant, "POST", path, {"change": 2**53 - 1}, 422).json

    assert refused["code"] == "total_too_large"
    assert get_product(client, tenant, item["id"])["stock"] == 2**53 - 10
    call(client, tenant, "POST", path, {"change": 9}, 200)
    assert get_product(client, tenant, item["id"])["stock"] == 2**53 - 1
