"""A member cancels their own order of goods not shipped yet, from its page in the mall:
the points come back to them and the unit to the shelf, and the page says so in their
language. Goods shipped, codes and coupons, a prize drawn, another member's order, a
form without its CSRF token: nothing is cancelled."""

from __future__ import annotations

import re

import pytest
from conftest import sqlite_only
from mall.shop import ADDRESS, member, placed, product
from rules.api import call

from storefront.mall_pages import CHINESE, ENGLISH, coffee_card, form_fields, page, shopper, text
from storefront.test_check_in import balance

pytestmark = sqlite_only


def cancel_form(client, tenant, order_id: str) -> tuple[str, dict[str, str]] | None:
    html = page(client, f"/m/{tenant.slug}/orders/{order_id}")
    found = re.search(r'<form method="post" action="([^"]+/cancel)">', html)
    return (found[1], form_fields(html)) if found else None


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (ENGLISH, "Order cancelled: 300 积分 are back."),
        (CHINESE, "订单已取消：300 积分已退回。"),
    ],
)
def test_a_member_cancels_goods_not_shipped_and_gets_the_points_back(client, tenant, headers, says):
    alice = shopper(client, tenant, points=1_000)
    mug = product(client, tenant, name="Travel mug", points_price=300, stock=5)
    order = placed(client, tenant, alice, mug["id"], address=ADDRESS)
    assert balance(client, tenant, alice) == 700
    action, form = cancel_form(client, tenant, order["id"])
    assert "<title>Order · Travel mug</title>" in page(
        client, f"/m/{tenant.slug}/orders/{order['id']}"
    )

    done = client.post(action, data=form, headers=headers)

    assert done.status_code == 303
    assert says in text(page(client, done.headers["Location"], headers))
    assert balance(client, tenant, alice) == 1_000
    assert call(client, tenant, "GET", f"/orders/{order['id']}", None, 200).json["status"] == (
        "cancelled"
    )
    assert call(client, tenant, "GET", f"/products/{mug['id']}", None, 200).json["stock"] == 5
    assert cancel_form(client, tenant, order["id"]) is None  # once


def test_goods_shipped_and_coupons_are_not_cancelled_here(client, tenant):
    alice = shopper(client, tenant, points=1_000)
    mug = product(client, tenant, name="Travel mug", points_price=300)
    shipped = placed(client, tenant, alice, mug["id"], address=ADDRESS)
    action, form = cancel_form(client, tenant, shipped["id"])
    body = {"carrier": "SF", "tracking_number": "SF1"}
    call(client, tenant, "POST", f"/orders/{shipped['id']}:ship", body, 200)
    coupon = placed(client, tenant, alice, coffee_card(client, tenant)["id"])

    refused = client.post(action, data=form, headers=ENGLISH)

    assert refused.status_code == 409
    assert "can no longer be cancelled" in text(refused.get_data(as_text=True))
    assert cancel_form(client, tenant, shipped["id"]) is None
    assert cancel_form(client, tenant, coupon["id"]) is None
    coupon_cancel = action.replace(shipped["id"], coupon["id"])
    assert client.post(coupon_cancel, data=form).status_code == 409
    assert balance(client, tenant, alice) == 600


def test_another_members_order_or_a_form_without_its_token_cancels_nothing(client, tenant):
    mug = product(client, tenant, name="Travel mug", points_price=300)
    bob = member(client, tenant, 1_000)
    bobs = placed(client, tenant, bob, mug["id"], address=ADDRESS)
    alice = shopper(client, tenant, points=1_000)
    mine = placed(client, tenant, alice, mug["id"], address=ADDRESS)
    action, form = cancel_form(client, tenant, mine["id"])

    assert client.post(action.replace(mine["id"], bobs["id"]), data=form).status_code == 404
    assert client.post(action, data={}).status_code == 400
    assert balance(client, tenant, bob) == balance(client, tenant, alice) == 700
