"""The other ways to redeem, on a phone in Chinese and in English: a lottery drawn from
its page, its result, and its draw record; a points + cash item paid on the payment
provider's page, coming back to the order paid."""

from __future__ import annotations

from conftest import sqlite_only
from mall.shop import a_phone, member, product
from playwright.sync_api import expect
from rules.api import call
from storefront.test_lottery_pages import PRIZES

from browser.test_phone_pages import GATEWAY, a_tenant_speaking, open_mall_as
from browser.test_shopping import WORDS, looks_right

pytestmark = sqlite_only

LOTTERY_WORDS = {
    "zh-CN": {
        "draw": "抽奖",
        "draw_now": "立即抽奖",
        "won": "恭喜抽中",
        "record": "在抽奖记录中核对",
    },
    "en-US": {
        "draw": "Draw",
        "draw_now": "Draw now",
        "won": "You won",
        "record": "Check it in the draw record",
    },
}
PAY_WORDS = {
    "zh-CN": {"pay_now": "去支付", "paid": "备货中"},
    "en-US": {"pay_now": "Pay now", "paid": "Preparing"},
}


def signed_in(svc, client, live_server, phone, shop, points: int) -> str:
    alice = member(client, shop, points)
    open_mall_as(svc, client, live_server, phone, shop, alice)
    return alice


def test_a_member_draws_a_lottery_and_opens_its_record(
    svc, client, live_server, phone, language, screenshot
):
    words = LOTTERY_WORDS[language]
    shop = a_tenant_speaking(svc, language)
    params = {"prizes": PRIZES, "consolation": "thanks"}
    wheel = product(
        client,
        shop,
        name="幸运大转盘 Lucky wheel",
        mode="lottery",
        mode_params=params,
        points_price=50,
        stock=10,
    )
    signed_in(svc, client, live_server, phone, shop, 1_000)

    phone.goto(f"{live_server}/m/{shop.slug}/shop/{wheel['id']}")
    expect(phone.locator(".odds tbody tr")).to_have_count(3)
    screenshot(phone, "lottery")
    looks_right(phone)
    phone.get_by_role("link", name=words["draw"], exact=True).click()
    phone.get_by_role("button", name=words["draw_now"]).click()

    prize = phone.locator(".draw-prize")
    prize.wait_for()
    phone.wait_for_timeout(1_600)  # the wheel stops and the prize shows
    assert prize.inner_text().startswith(words["won"])
    screenshot(phone, "lottery-result")
    looks_right(phone)
    phone.get_by_role("link", name=words["record"]).click()
    expect(phone.locator(".draws tbody tr")).to_have_count(1)
    assert phone.locator(".hash code").first.inner_text()  # the seed hash, published
    screenshot(phone, "lottery-record")
    looks_right(phone)


def test_a_member_pays_the_cash_part_and_comes_back_to_the_order(
    svc, client, live_server, phone, language, screenshot
):
    words, shopping = PAY_WORDS[language], WORDS[language]
    shop = a_tenant_speaking(svc, language)
    call(client, shop, "PATCH", "/mall/settings", {"payment_provider": "offline_test"}, 200)
    item = a_phone(client, shop)
    signed_in(svc, client, live_server, phone, shop, 5_000)

    phone.goto(f"{live_server}/m/{shop.slug}/shop/{item['id']}")
    phone.get_by_role("link", name=shopping["redeem"]).click()
    phone.get_by_label(shopping["recipient"], exact=True).fill("张伟")
    phone.get_by_label(shopping["phone"], exact=True).fill("13800138000")
    phone.get_by_label(shopping["region"], exact=True).fill("上海市 浦东新区")
    phone.get_by_label(shopping["line"], exact=True).fill("世纪大道 100 号")
    phone.get_by_role("button", name=shopping["confirm"]).click()
    screenshot(phone, "order-awaiting-payment")
    looks_right(phone)
    order_url = phone.url
    phone.get_by_role("link", name=words["pay_now"]).click()
    phone.get_by_role("button", name=GATEWAY[language][1], exact=True).click()

    phone.wait_for_url(order_url)
    assert phone.locator(".order-status").inner_text() == words["paid"]
    screenshot(phone, "order-paid")
    looks_right(phone)
