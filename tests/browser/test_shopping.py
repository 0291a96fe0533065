"""A member shops on a phone, in Chinese and in English: finds an item by words, keeps
to what they can afford, opens it, redeems it with an address and cancels it again,
checking every page fits the phone and axe-core finds nothing serious on it. This flow
runs on PostgreSQL too (the browser tests' one there); the others run on SQLite."""

from __future__ import annotations

import re
from datetime import timedelta

from conftest import sqlite_only
from mall.shop import member, product
from playwright.sync_api import expect
from rules.api import call

from browser.test_phone_pages import a_tenant_speaking, open_mall_as
from jifen.testing.browser import accessibility_violations, overflow

WORDS = {
    "zh-CN": {
        "shop": "商城",
        "search": "搜索",
        "find": "查找",
        "filters": "筛选",
        "affordable": "只看我兑换得起的",
        "redeem": "立即兑换",
        "recipient": "收货人",
        "phone": "手机号",
        "region": "所在地区（省市区）",
        "line": "详细地址",
        "confirm": "确认兑换",
        "preparing": "备货中",
        "cancel": "取消订单",
        "cancel_yes": "确认取消",
        "cancelled": "已取消",
    },
    "en-US": {
        "shop": "Shop",
        "search": "Search",
        "find": "Find",
        "filters": "Filters",
        "affordable": "Only what I can afford",
        "redeem": "Redeem",
        "recipient": "Recipient",
        "phone": "Phone",
        "region": "Province, city and district",
        "line": "Street address",
        "confirm": "Confirm redemption",
        "preparing": "Preparing",
        "cancel": "Cancel this order",
        "cancel_yes": "Yes, cancel it",
        "cancelled": "Cancelled",
    },
}


def looks_right(page) -> None:
    assert overflow(page) == 0
    assert accessibility_violations(page) == []


def test_a_member_finds_and_redeems_an_item_with_an_address(
    svc, client, live_server, phone, language, screenshot
):
    words = WORDS[language]
    shop = a_tenant_speaking(svc, language)
    for name, price in [("Jasmine tea", 300), ("Oolong tea", 1_100), ("Travel mug", 1_200)]:
        product(client, shop, name=name, points_price=price, stock=5)
    alice = member(client, shop, 1_000)
    open_mall_as(svc, client, live_server, phone, shop, alice)

    phone.get_by_role("link", name=words["shop"], exact=True).click()
    phone.get_by_label(words["search"]).fill("tea")
    phone.get_by_role("button", name=words["find"]).click()
    expect(phone.locator(".card-name")).to_have_text(["Jasmine tea", "Oolong tea"])
    phone.get_by_text(words["filters"]).click()
    phone.get_by_label(words["affordable"]).check()
    screenshot(phone, "shelf-filters")
    looks_right(phone)
    phone.get_by_role("button", name=words["find"]).click()
    expect(phone.locator(".card-name")).to_have_text(["Jasmine tea"])
    screenshot(phone, "shelf")
    looks_right(phone)

    phone.get_by_role("link", name="Jasmine tea").click()
    screenshot(phone, "product")
    looks_right(phone)
    phone.get_by_role("link", name=words["redeem"]).click()
    phone.get_by_label(words["recipient"]).fill("张伟")
    phone.get_by_label(words["phone"]).fill("13800138000")
    phone.get_by_label(words["region"]).fill("上海市 浦东新区")
    phone.get_by_label(words["line"]).fill("世纪大道 100 号")
    screenshot(phone, "redeem")
    looks_right(phone)
    phone.get_by_role("button", name=words["confirm"]).click()

    assert phone.locator(".order-status").inner_text() == words["preparing"]
    screenshot(phone, "order")
    looks_right(phone)
    balance = call(client, shop, "GET", f"/members/{alice}/points", None, 200).json["balance"]
    assert balance == 700

    phone.get_by_text(words["cancel"]).click()
    screenshot(phone, "order-cancel")
    looks_right(phone)
    phone.get_by_role("button", name=words["cancel_yes"]).click()
    expect(phone.locator(".order-status")).to_have_text(words["cancelled"])
    balance = call(client, shop, "GET", f"/members/{alice}/points", None, 200).json["balance"]
    assert balance == 1_000


LEFT = {"zh-CN": r"还剩 01:59:\d\d", "en-US": r"01:59:\d\d left"}


@sqlite_only
def test_a_flash_sales_countdown_ticks_by_the_servers_clock(
    svc, client, live_server, phone, language, screenshot
):
    shop = a_tenant_speaking(svc, language)
    mug = product(client, shop, name="Travel mug", points_price=1_000, stock=50)
    now = svc.clock.now()  # months before the phone's own clock: the page counts from ours
    sale = {
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
        "points_price": 300,
        "stock": 5,
    }
    call(client, shop, "POST", f"/products/{mug['id']}/flash-sales", sale, 201)

    phone.goto(f"{live_server}/m/{shop.slug}/shop/{mug['id']}")
    countdown = phone.locator(".countdown")
    expect(countdown).to_have_text(re.compile(LEFT[language]))
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first, timeout=3_000)  # a second later
    screenshot(phone, "flash-sale")
    looks_right(phone)
