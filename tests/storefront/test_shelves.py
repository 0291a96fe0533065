"""A member browses the mall: finds products by words, category, kind and points, sees
only what they can afford when they ask, and opens a product priced for them, with its
stock, limits, tier and flash sale; anything that is not for sale here is the same 404."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import sqlite_only
from mall.shop import product, set_tier
from rules.api import call

from storefront.mall_pages import CHINESE, ENGLISH, coffee_card, gold_tier, page, shopper, text

pytestmark = sqlite_only


def shelf(client, tenant, query: str = "", headers=ENGLISH, status: int = 200) -> str:
    return text(page(client, f"/m/{tenant.slug}/shop?{query}", headers, status))


def category(client, tenant, name: str, parent: str | None = None) -> str:
    body = {"name": name} | ({"parent_id": parent} if parent else {})
    return call(client, tenant, "POST", "/categories", body, 201).json["id"]


@pytest.fixture
def catalog(client, tenant) -> dict[str, dict]:
    drinks = category(client, tenant, "Drinks")
    tea = category(client, tenant, "Tea", drinks)
    return {
        "tea": product(client, tenant, name="Jasmine tea", points_price=300, category_id=tea),
        "mug": product(client, tenant, name="Travel mug", points_price=1_200, category_id=drinks),
        "card": coffee_card(client, tenant, points=500),
        "draft": product(client, tenant, name="Secret tea", status="draft"),
        "drinks": {"id": drinks},
        "tea_category": {"id": tea},
    }


def test_the_shelf_finds_by_words_category_kind_and_points(client, tenant, catalog):
    everything = shelf(client, tenant)
    assert {"Jasmine tea", "Travel mug", "Coffee card"} <= set(_names(everything))
    assert "Secret tea" not in everything  # a draft is not on the shelf

    assert _names(shelf(client, tenant, "q=tea")) == ["Jasmine tea"]
    # A category holds what is under it.
    drinks = catalog["drinks"]["id"]
    assert _names(shelf(client, tenant, f"category_id={drinks}")) == ["Jasmine tea", "Travel mug"]
    assert _names(shelf(client, tenant, "kind=coupon")) == ["Coffee card"]
    assert _names(shelf(client, tenant, "min_points=400&max_points=1000")) == ["Coffee card"]
    # The form's empty fields are no filter.
    assert len(_names(shelf(client, tenant, "q=&kind=&min_points=&category_id="))) == 3


def test_i_can_afford_keeps_what_the_member_can_pay_for_at_their_price(
    client, tenant, svc, catalog
):
    gold_tier(client, tenant, 50)
    alice = shopper(client, tenant, points=600)
    assert _names(shelf(client, tenant, "affordable=true")) == ["Jasmine tea", "Coffee card"]

    set_tier(svc, tenant, alice, "gold")  # the mug costs her 600 now
    found = shelf(client, tenant, "affordable=true")
    assert _names(found) == ["Jasmine tea", "Travel mug", "Coffee card"]
    assert "1,200 600 积分" in found  # the list price struck through, then hers


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (ENGLISH, ["Some filters could not be used:", "From Not a valid integer."]),
        (CHINESE, ["部分筛选条件无法使用：", "最低 不是有效的整数。"]),
    ],
)
def test_filters_it_cannot_read_are_named_on_the_page(client, tenant, catalog, headers, says):
    found = shelf(client, tenant, "min_points=lots&kind=jewels", headers, status=400)
    for words in says:
        assert words in found
    assert "Jasmine tea" not in found


def test_a_product_page_prices_it_for_the_member_with_its_stock_and_limits(client, tenant, svc):
    gold_tier(client, tenant, 20)
    mug = product(
        client,
        tenant,
        name="Travel mug",
        points_price=1_000,
        stock=7,
        limit_per_day=2,
        min_tier="gold",
        description="Keeps tea hot.\nHolds 350 ml.",
    )
    alice = shopper(client, tenant, points=5_000)
    set_tier(svc, tenant, alice, "gold")
    url = f"/m/{tenant.slug}/shop/{mug['id']}"

    english = text(page(client, url))
    assert "1,000 800 积分 Your price" in english
    assert "For Gold members and above" in english
    assert "7 left" in english and "2 a day per member" in english
    assert "Keeps tea hot. Holds 350 ml." in english
    chinese = text(page(client, url, CHINESE))
    assert "剩余 7 件" in chinese and "每人每天限 2 件" in chinese and "您的价格" in chinese


def test_a_flash_sale_shows_its_price_and_end(client, tenant, clock):
    mug = product(client, tenant, name="Travel mug", points_price=1_000, stock=50)
    sale = {
        "starts_at": clock.now().isoformat(),
        "ends_at": (clock.now() + timedelta(hours=2)).isoformat(),
        "points_price": 300,
        "stock": 5,
        "limit_per_member": 1,
    }
    call(client, tenant, "POST", f"/products/{mug['id']}/flash-sales", sale, 201)
    shopper(client, tenant, points=300)

    found = text(page(client, f"/m/{tenant.slug}/shop/{mug['id']}"))
    assert "300 积分" in found and "Flash sale" in found and "5 left" in found
    assert "1 per member" in found
    # The shelf prices it at the sale's price, and a member with 300 can afford it.
    assert "1,000 300 积分" in shelf(client, tenant, "affordable=true")


def test_what_is_not_for_sale_here_is_one_not_found_page(client, tenant, make_tenant, catalog):
    other = make_tenant()
    theirs = product(client, other, name="Their mug")
    missing = "0190f0f0-0000-7000-8000-000000000000"
    pages = [
        page(client, f"/m/{tenant.slug}/shop/{theirs['id']}", status=404),
        page(client, f"/m/{tenant.slug}/shop/{missing}", status=404),
        page(client, f"/m/{tenant.slug}/shop/{catalog['draft']['id']}", status=404),
    ]
    # The same page but for the address the language switcher comes back to, and its
    # CSRF token (signed with the second it was made in).
    pages = [re.sub(r'name="(next|csrf_token)" value="[^"]*"', "", html) for html in pages]
    assert len(set(pages)) == 1 and "This page is not in the mall" in pages[0]
    assert "Their mug" not in pages[0]


def test_a_merchants_html_is_shown_as_text(client, tenant):
    shady = product(client, tenant, name="<script>alert(1)</script>Mug", description="<b>hi</b>")
    html = page(client, f"/m/{tenant.slug}/shop/{shady['id']}")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;Mug" in html
    assert "&lt;b&gt;hi&lt;/b&gt;" in html


def _names(found: str) -> list[str]:
    """The products on a shelf, in order (their names are followed by their price)."""
    return re.findall(r"((?:Jasmine tea|Travel mug|Coffee card|Secret tea))(?= [\d,]+ )", found)


def test_what_the_merchant_changes_shows_on_the_next_page(client, tenant, svc):
    """The mall keeps its tiers and categories between pages until they change: a new
    category, a renamed one and a tier's new discount show on the very next page."""
    gold_tier(client, tenant, 10)
    tea = category(client, tenant, "Tea")
    product(client, tenant, name="Jasmine tea", points_price=1_000)
    alice = shopper(client, tenant, points=5_000)
    set_tier(svc, tenant, alice, "gold")
    home = page(client, f"/m/{tenant.slug}/")
    assert "Tea" in text(home) and "900 积分" in shelf(client, tenant)

    category(client, tenant, "Cups")
    call(client, tenant, "PATCH", f"/categories/{tea}", {"name": "Green tea"}, 200)
    gold_tier(client, tenant, 30)

    home = text(page(client, f"/m/{tenant.slug}/"))
    assert "Cups" in home and "Green tea" in home
    found = shelf(client, tenant)
    assert "700 积分" in found and "900 积分" not in found
