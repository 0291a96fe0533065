"""A member says their goods arrived (确认收货) from a shipped order's page: the order is
complete and its page asks for their review, in their language. Goods not shipped yet,
codes and coupons, another member's order, a form without its CSRF token: nothing is
done."""

from __future__ import annotations

import re

import pytest
from conftest import sqlite_only
from mall.shop import ADDRESS, placed, product
from rules.api import call

from storefront.mall_pages import CHINESE, ENGLISH, coffee_card, form_fields, page, shopper, text

pytestmark = sqlite_only


def order_url(tenant, order_id: str) -> str:
    return f"/m/{tenant.slug}/orders/{order_id}"


def received_form(client, tenant, order_id: str) -> tuple[str, dict[str, str]] | None:
    html = page(client, order_url(tenant, order_id))
    found = re.search(r'<form method="post" action="([^"]+/received)"', html)
    return (found[1], form_fields(html)) if found else None


def shipped_mug(client, tenant, member_id: str) -> dict:
    mug = product(client, tenant, name="Travel mug", points_price=300, stock=5)
    order = placed(client, tenant, member_id, mug["id"], address=ADDRESS)
    body = {"carrier": "SF", "tracking_number": "SF1"}
    return call(client, tenant, "POST", f"/orders/{order['id']}:ship", body, 200).json


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (ENGLISH, ["I received it", "Thank you: the order is complete. How was it?", "Completed"]),
        (CHINESE, ["确认收货", "感谢确认，订单已完成。用得怎么样？", "已完成"]),
    ],
)
def test_a_member_confirms_goods_arrived_and_is_asked_for_a_review(client, tenant, headers, says):
    alice = shopper(client, tenant, points=1_000)
    order = shipped_mug(client, tenant, alice)
    html = page(client, order_url(tenant, order["id"]), headers)
    assert says[0] in text(html) and 'name="rating"' not in html  # no review before it arrives
    action, form = received_form(client, tenant, order["id"])

    done = client.post(action, data=form, headers=headers)

    assert done.status_code == 303 and done.headers["Location"] == order_url(tenant, order["id"])
    shown = page(client, order_url(tenant, order["id"]), headers)
    assert says[1] in text(shown) and says[2] in text(shown)
    assert 'name="rating"' in shown and received_form(client, tenant, order["id"]) is None
    status = call(client, tenant, "GET", f"/orders/{order['id']}", None, 200).json["status"]
    assert status == "completed"


def test_only_the_members_shipped_goods_can_be_confirmed(app, client, tenant):
    alice = shopper(client, tenant, points=1_000)
    mug = product(client, tenant, points_price=100, stock=5)
    preparing = placed(client, tenant, alice, mug["id"], address=ADDRESS)
    voucher = placed(client, tenant, alice, coffee_card(client, tenant)["id"])
    for order in (preparing, voucher):
        assert received_form(client, tenant, order["id"]) is None
        url = f"{order_url(tenant, order['id'])}/received"
        form = form_fields(page(client, order_url(tenant, order["id"])))
        assert client.post(url, data=form).status_code == 409
    shipped = shipped_mug(client, tenant, alice)
    action, form = received_form(client, tenant, shipped["id"])
    bob = app.test_client()
    shopper(bob, tenant, user_id="wx-bob")
    assert bob.post(action, data=form_fields(page(bob, f"/m/{tenant.slug}/"))).status_code == 404
    assert client.post(action, data={}).status_code == 400  # no CSRF token
    status = call(client, tenant, "GET", f"/orders/{shipped['id']}", None, 200).json["status"]
    assert status == "fulfilled"
