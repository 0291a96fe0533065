"""A member reviews what they redeemed on a phone, in Chinese and in English: from their
reviews, the order waiting for one, four stars tapped and a few words; the merchant
publishes it through the API, and the product's page shows it, its reviewer half
hidden; every page fits the phone and axe-core finds nothing serious on it."""

from __future__ import annotations

from conftest import sqlite_only
from mall.shop import give, placed, product
from playwright.sync_api import expect
from rules.api import call, member

from browser.test_phone_pages import a_tenant_speaking, open_mall_as
from browser.test_shopping import looks_right

pytestmark = sqlite_only

WORDS = {
    "zh-CN": {
        "me": "我的",
        "my_reviews": "我的评价",
        "item": "茉莉花茶兑换券",
        "four": "4 星（共 5 星）",
        "words": "您觉得怎么样？（选填）",
        "send": "提交评价",
        "waiting": "等待 Shop-Zh 审核",
        "published": "已发布",
        "heading": "评价（1）",
        "when": "2026年3月1日",
    },
    "en-US": {
        "me": "Me",
        "my_reviews": "My reviews",
        "item": "Jasmine tea voucher",
        "four": "4 of 5 stars",
        "words": "What did you think? (optional)",
        "send": "Send my review",
        "waiting": "Waiting for Shop-En's approval",
        "published": "Published",
        "heading": "Reviews (1)",
        "when": "Mar 1, 2026",
    },
}
TERMS = {"type": "amount_off", "amount_off": 500, "valid_days": 30}
TYPED = "香气很好 · Lovely scent, would redeem again."


def test_a_member_reviews_a_redeemed_item_and_it_shows_once_published(
    svc, client, live_server, phone, language, screenshot
):
    words = WORDS[language]
    shop = a_tenant_speaking(svc, language)
    voucher = product(client, shop, name=words["item"], kind="coupon", coupon=TERMS)
    alice = member(client, shop, "wx-alice", name="王小明")
    give(client, shop, alice, 1_000)
    placed(client, shop, alice, voucher["id"])
    open_mall_as(svc, client, live_server, phone, shop, alice)

    phone.get_by_role("link", name=words["me"], exact=True).click()
    phone.get_by_role("link", name=words["my_reviews"]).click()
    expect(phone.locator(".order-name")).to_have_text([words["item"]])
    screenshot(phone, "my-reviews-waiting")
    looks_right(phone)
    phone.get_by_role("link", name=words["item"]).click()
    # By keyboard, the arrow keys go up the stars as they are shown: right is one more.
    phone.get_by_label(words["four"]).check()
    phone.keyboard.press("ArrowRight")
    expect(phone.locator("#rating-5")).to_be_checked()
    phone.keyboard.press("ArrowLeft")
    expect(phone.locator("#rating-4")).to_be_checked()
    lit = "getComputedStyle(document.querySelector('[for=rating-%s]')).color"
    assert phone.evaluate(lit % 4) == phone.evaluate(lit % 1) != phone.evaluate(lit % 5)
    phone.get_by_label(words["words"]).fill(TYPED)
    screenshot(phone, "review-form")
    looks_right(phone)
    phone.get_by_role("button", name=words["send"]).click()

    expect(phone.locator(".my-review .status")).to_have_text(words["waiting"])
    screenshot(phone, "review-sent")
    looks_right(phone)

    (review,) = call(client, shop, "GET", "/reviews?status=pending", None, 200).json["items"]
    call(client, shop, "POST", f"/reviews/{review['id']}:publish", None, 200)
    phone.reload()
    expect(phone.locator(".my-review .status")).to_have_text(words["published"])

    phone.goto(f"{live_server}/m/{shop.slug}/shop/{voucher['id']}")
    expect(phone.get_by_role("heading", name=words["heading"])).to_be_visible()
    expect(phone.locator(".reviewer")).to_have_text(["王**"])
    expect(phone.locator(".review-when")).to_have_text([words["when"]])
    expect(phone.locator(".review-text")).to_have_text([TYPED])
    screenshot(phone, "product-reviews")
    looks_right(phone)
