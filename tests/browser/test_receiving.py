"""A member says a shipped order arrived, on a phone, in Chinese and in English: the
order is complete and its page asks for their review. The page fits the phone, and
axe-core finds nothing serious or critical on it."""

from __future__ import annotations

from conftest import sqlite_only
from mall.shop import member, product, shipped
from playwright.sync_api import expect
from rules.api import call

from browser.test_phone_pages import a_tenant_speaking, open_mall_as
from browser.test_shopping import looks_right

pytestmark = sqlite_only

WORDS = {
    "zh-CN": {
        "me": "我的",
        "orders": "我的订单",
        "received": "确认收货",
        "thanks": "感谢确认，订单已完成。用得怎么样？",
        "review": "评价这件商品",
    },
    "en-US": {
        "me": "Me",
        "orders": "My orders",
        "received": "I received it",
        "thanks": "Thank you: the order is complete. How was it?",
        "review": "Review this item",
    },
}


def test_a_member_says_the_goods_arrived_and_is_asked_for_a_review(
    svc, client, live_server, phone, language, screenshot
):
    words = WORDS[language]
    shop = a_tenant_speaking(svc, language)
    alice = member(client, shop, 1_000)
    order = shipped(client, shop, alice, product(client, shop, name="Travel mug")["id"])
    open_mall_as(svc, client, live_server, phone, shop, alice)

    phone.get_by_role("link", name=words["me"], exact=True).click()
    phone.get_by_role("link", name=words["orders"]).click()
    phone.get_by_role("link", name="Travel mug").click()
    expect(phone.get_by_role("button", name=words["received"])).to_be_visible()
    screenshot(phone, "order-shipped")
    looks_right(phone)
    phone.get_by_role("button", name=words["received"]).click()

    expect(phone.get_by_role("status").first).to_contain_text(words["thanks"])
    expect(phone.get_by_role("heading", name=words["review"])).to_be_visible()
    screenshot(phone, "order-received")
    looks_right(phone)
    status = call(client, shop, "GET", f"/orders/{order['id']}", None, 200).json["status"]
    assert status == "completed"
