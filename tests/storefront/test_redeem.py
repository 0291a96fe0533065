"""A member redeems from the mall's pages: a confirmation step says what it costs and
what is left, a physical item asks where it goes, the order's page says what happened
(codes shown to their owner only); a double submit makes one order, and an order the
mall refuses is said on the page with nothing taken."""

from __future__ import annotations

import pytest
from conftest import sqlite_only
from mall.shop import ADDRESS, a_phone, balance, get_product, product
from rules.api import call

from storefront.mall_pages import CHINESE, ENGLISH, coffee_card, form_fields, page, shopper, text

pytestmark = sqlite_only


def confirmation(client, tenant, product_id: str, headers=ENGLISH, quantity: int = 1) -> str:
    return page(client, f"/m/{tenant.slug}/shop/{product_id}/redeem?quantity={quantity}", headers)


def confirm(client, tenant, product_id: str, headers=ENGLISH, form=None, **fields):
    form = form or form_fields(confirmation(client, tenant, product_id, headers))
    url = f"/m/{tenant.slug}/shop/{product_id}/redeem"
    return client.post(url, data=form | fields, headers=headers)


def orders_of(client, tenant, member_id: str) -> list[dict]:
    return call(client, tenant, "GET", f"/orders?member_id={member_id}", None, 200).json["items"]


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (
            ENGLISH,
            ["Confirm your redemption", "Total 600 积分", "Your 积分 1,000", "After this 400"],
        ),
        (CHINESE, ["确认兑换", "合计 600 积分", "我的积分 1,000", "兑换后 400"]),
    ],
)
def test_a_member_redeems_a_physical_item_with_an_address(client, tenant, headers, says):
    mug = product(client, tenant, name="Travel mug", points_price=300, stock=5)
    alice = shopper(client, tenant, points=1_000)

    shown = text(confirmation(client, tenant, mug["id"], headers, quantity=2))
    for words in says:
        assert words in shown

    form = form_fields(confirmation(client, tenant, mug["id"], headers, quantity=2))
    done = confirm(client, tenant, mug["id"], headers, form=form, **ADDRESS)

    assert done.status_code == 303 and "/orders/" in done.headers["Location"]
    assert balance(client, tenant, alice) == 400
    assert get_product(client, tenant, mug["id"])["stock"] == 3
    order = text(page(client, done.headers["Location"], headers))
    assert "Travel mug" in order and "世纪大道 100 号" in order
    assert ("Preparing" if headers is ENGLISH else "备货中") in order


def test_a_double_submit_makes_one_order(client, tenant):
    mug = product(client, tenant, name="Travel mug", points_price=300, stock=5)
    alice = shopper(client, tenant, points=1_000)
    form = form_fields(confirmation(client, tenant, mug["id"]))

    first = confirm(client, tenant, mug["id"], form=form, **ADDRESS)
    second = confirm(client, tenant, mug["id"], form=form, **ADDRESS)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(orders_of(client, tenant, alice)) == 1
    assert balance(client, tenant, alice) == 700


@pytest.mark.parametrize(
    ("headers", "says"),
    [(ENGLISH, "You do not have enough 积分 for this."), (CHINESE, "您的积分不足以兑换此商品。")],
)
def test_an_order_the_member_cannot_afford_takes_nothing(client, tenant, headers, says):
    mug = product(client, tenant, name="Travel mug", points_price=300, stock=5)
    alice = shopper(client, tenant, points=200)

    refused = confirm(client, tenant, mug["id"], headers, **ADDRESS)

    assert refused.status_code == 409
    assert says in text(refused.get_data(as_text=True))
    assert balance(client, tenant, alice) == 200
    assert get_product(client, tenant, mug["id"])["stock"] == 5
    assert orders_of(client, tenant, alice) == []


def test_out_of_stock_and_over_a_limit_are_said_on_the_page(client, tenant):
    gone = product(client, tenant, name="Last mug", points_price=100, stock=0)
    once = product(client, tenant, name="One a day", points_price=100, limit_per_day=1)
    alice = shopper(client, tenant, points=1_000)

    sold_out = confirm(client, tenant, gone["id"], **ADDRESS)
    assert sold_out.status_code == 409 and "Sorry, there are not enough left." in text(
        sold_out.get_data(as_text=True)
    )
    assert confirm(client, tenant, once["id"], **ADDRESS).status_code == 303
    over = confirm(client, tenant, once["id"], **ADDRESS)
    assert over.status_code == 409 and "You have reached this item's limit." in text(
        over.get_data(as_text=True)
    )
    assert balance(client, tenant, alice) == 900


def test_a_missing_address_is_asked_for_field_by_field(client, tenant):
    mug = product(client, tenant, name="Travel mug", points_price=300)
    alice = shopper(client, tenant, points=1_000)

    refused = confirm(client, tenant, mug["id"], name="张伟", phone="", region="", line="")

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="address-phone" name="phone" type="tel"' in html and 'aria-invalid="true"' in html
    assert "Missing data for required field." in text(html)
    assert 'value="张伟"' in html  # what was typed is kept
    assert balance(client, tenant, alice) == 1_000


def test_a_form_without_its_tokens_places_nothing(client, tenant):
    mug = product(client, tenant, name="Travel mug", points_price=300)
    alice = shopper(client, tenant, points=1_000)
    form = form_fields(confirmation(client, tenant, mug["id"]))

    no_csrf = confirm(client, tenant, mug["id"], form=form | {"csrf_token": ""}, **ADDRESS)
    no_key = confirm(client, tenant, mug["id"], form=form | {"order_key": ""}, **ADDRESS)

    assert no_csrf.status_code == no_key.status_code == 400
    assert balance(client, tenant, alice) == 1_000


def test_codes_are_shown_on_the_order_page_to_their_owner_only(client, app, tenant):
    card = coffee_card(client, tenant)
    shopper(client, tenant, points=1_000)
    done = confirm(client, tenant, card["id"])
    order_url = done.headers["Location"]
    shown = page(client, order_url)
    assert "Your coupons" in text(shown) and "<code>" in shown

    bobs_phone = app.test_client()
    shopper(bobs_phone, tenant, user_id="wx-bob")
    assert "<code>" not in page(bobs_phone, order_url, status=404)


def test_a_points_and_cash_order_links_to_its_payment_page(client, tenant):
    call(client, tenant, "PATCH", "/mall/settings", {"payment_provider": "offline_test"}, 200)
    phone = a_phone(client, tenant)
    shopper(client, tenant, points=10_000)

    done = confirm(client, tenant, phone["id"], **ADDRESS)

    shown = page(client, done.headers["Location"])
    assert "Awaiting payment" in text(shown)
    assert 'href="/pay/offline-test/' in shown
