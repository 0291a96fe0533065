""" "For you" on the home page: what members who redeemed what a member redeemed also
redeemed (computed by the periodic job), then what is popular in the categories they
redeem from, then what is popular; never what they have redeemed or what is not on sale,
and the popular row does not repeat it."""

from __future__ import annotations

import re

from conftest import sqlite_only
from mall.shop import ADDRESS, member, placed, product
from rules.api import call

from jifen.mall import recommendations
from jifen.storefront.home import KEEP_ROWS
from storefront.mall_pages import page, shopper

pytestmark = sqlite_only


def row(html: str, title: str) -> list[str]:
    """The product names in the home page's row `title`."""
    found = re.search(rf'id="[\w-]+-title">{title}</h2>(.*?)</section>', html, re.S)
    return re.findall(r'<span class="card-name">([^<]+)</span>', found[1]) if found else []


def test_for_you_follows_what_members_like_you_redeemed(client, tenant, svc):
    tea = call(client, tenant, "POST", "/categories", {"name": "Tea"}, 201).json["id"]
    items = {
        name: product(client, tenant, name=name, points_price=100, stock=50, **fields)["id"]
        for name, fields in [
            ("Jasmine tea", {"category_id": tea}),
            ("Travel mug", {}),
            ("Oolong tea", {"category_id": tea}),
            ("Umbrella", {}),
            ("Hidden", {"status": "draft"}),
        ]
    }
    for _ in range(3):  # others redeem tea and a mug together; umbrellas are popular
        other = member(client, tenant, 1_000)
        placed(client, tenant, other, items["Jasmine tea"], address=ADDRESS)
        placed(client, tenant, other, items["Travel mug"], address=ADDRESS)
        placed(client, tenant, other, items["Umbrella"], address=ADDRESS)
        placed(client, tenant, other, items["Umbrella"], address=ADDRESS)
    alice = shopper(client, tenant, points=1_000)
    placed(client, tenant, alice, items["Jasmine tea"], address=ADDRESS)
    assert recommendations.compute_all(svc) > 0

    home = page(client, f"/m/{tenant.slug}/")

    for_you = row(home, "For you")
    assert for_you[:2] == ["Travel mug", "Umbrella"]  # redeemed with her tea, most first
    assert "Oolong tea" in for_you  # her category
    assert "Jasmine tea" not in for_you and "Hidden" not in for_you
    assert not set(row(home, "Popular")) & set(for_you)


def test_a_member_with_no_orders_gets_what_is_popular(client, tenant, svc):
    mug = product(client, tenant, name="Travel mug", points_price=100)
    buyer = member(client, tenant, 1_000)
    placed(client, tenant, buyer, mug["id"], address=ADDRESS)
    shopper(client, tenant)
    recommendations.compute_all(svc)

    assert row(page(client, f"/m/{tenant.slug}/"), "For you") == ["Travel mug"]


def test_signed_out_visitors_see_no_for_you_row(client, tenant):
    product(client, tenant, name="Travel mug", points_price=100)
    assert row(page(client, f"/m/{tenant.slug}/"), "For you") == []


def test_the_popular_row_follows_sales_within_half_a_minute_and_edits_at_once(
    client, tenant, clock
):
    """Every member of a mall sees the same popular and new rows: a process reads them
    at most every `KEEP_ROWS` seconds, so what sells moves them a little later, while
    what the merchant changes (a product withdrawn, a new one) shows on the next page."""
    mug = product(client, tenant, name="Travel mug", points_price=100, stock=50)["id"]
    umbrella = product(client, tenant, name="Umbrella", points_price=100, stock=50)["id"]
    placed(client, tenant, member(client, tenant, 1_000), mug, address=ADDRESS)
    home = f"/m/{tenant.slug}/"
    assert row(page(client, home), "Popular") == ["Travel mug", "Umbrella"]

    for _ in range(2):
        placed(client, tenant, member(client, tenant, 1_000), umbrella, address=ADDRESS)
    assert row(page(client, home), "Popular") == ["Travel mug", "Umbrella"]  # kept
    clock.advance(seconds=KEEP_ROWS)
    assert row(page(client, home), "Popular") == ["Umbrella", "Travel mug"]

    call(client, tenant, "PATCH", f"/products/{umbrella}", {"status": "archived"}, 200)
    product(client, tenant, name="Rain boots", points_price=100)
    html = page(client, home)
    assert row(html, "Popular")[0] == "Travel mug" and "Umbrella" not in html
    assert row(html, "New")[0] == "Rain boots"
