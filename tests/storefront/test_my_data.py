"""A member downloads their data: who the merchant knows them as, their points and every
line of their history, their orders with address and history, coupons with codes,
reviews, check-ins and notice choices, as one JSON file for them alone."""

from __future__ import annotations

import json

from conftest import sqlite_only
from mall.shop import ADDRESS, give, placed, product, reviewed
from rules.api import call

from storefront.mall_pages import coffee_card, page, shopper
from storefront.test_check_in import check_in_form

pytestmark = sqlite_only


def test_a_member_downloads_everything_the_mall_keeps_about_them(client, tenant):
    alice = shopper(client, tenant, points=1_000)
    call(client, tenant, "PATCH", f"/members/{alice}", {"phone": "13800138000"}, 200)
    for n in range(3):
        give(client, tenant, alice, 10, memo=f"gift {n}")
    action, form = check_in_form(client, tenant)
    client.post(action, data=form)
    mug = product(client, tenant, name="Travel mug", points_price=300)
    placed(client, tenant, alice, mug["id"], address=ADDRESS)
    coupon = placed(client, tenant, alice, coffee_card(client, tenant)["id"])
    reviewed(client, tenant, coupon["id"], 5, "Strong coffee")

    response = client.get(f"/m/{tenant.slug}/account/data")

    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="acme-my-data-')
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["member"]["id"] == alice and data["member"]["phone"] == "13800138000"
    assert data["points"]["balance"] == 1_000 + 30 - 300 - 100
    assert [line["memo"] for line in data["history"]][-4:] == ["gift 2", "gift 1", "gift 0", None]
    mine = {order["product_name"]: order for order in data["orders"]}
    assert mine["Travel mug"]["address"]["name"] == ADDRESS["name"]
    assert [step["status"] for step in mine["Travel mug"]["steps"]][-1] == "paid"
    assert "hold_id" not in mine["Travel mug"] and "actor_id" not in str(mine)
    assert data["coupons"][0]["order"] == coupon["id"] and data["coupons"][0]["code"]
    (review,) = data["reviews"]
    assert (review["order"], review["rating"], review["text"]) == (coupon["id"], 5, "Strong coffee")
    assert review["status"] == "pending" and "moderator" not in str(review)
    assert [c["streak"] for c in data["check_ins"]] == [1]
    assert data["notices"] == {"points_expiring": True}


def test_a_signed_out_browser_downloads_nothing(client, tenant):
    page(client, f"/m/{tenant.slug}/account/data", status=403)
