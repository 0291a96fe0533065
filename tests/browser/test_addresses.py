"""A member keeps an address on a phone, in Chinese and in English: saves it to their
address book, redeems a physical item picking it (the default, chosen already), finds
it on the order, and deletes it after the page that asks; each page fits the phone and
axe-core finds nothing serious on it."""

from __future__ import annotations

import re

from conftest import sqlite_only
from mall.shop import ADDRESS, member, product
from playwright.sync_api import expect
from rules.api import call

from browser.test_phone_pages import a_tenant_speaking, open_mall_as
from browser.test_shopping import WORDS as SHOPPING
from browser.test_shopping import looks_right

pytestmark = sqlite_only

WORDS = {
    "zh-CN": {
        "me": "我的",
        "addresses": "我的地址",
        "add": "添加地址",
        "label": "标签，如“家”或“公司”",
        "save": "保存地址",
        "saved": "地址已保存。",
        "new": "使用新地址",
        "delete": "删除",
        "delete_yes": "确认删除",
        "deleted": "地址已删除。",
    },
    "en-US": {
        "me": "Me",
        "addresses": "My addresses",
        "add": "Add an address",
        "label": "Label, such as Home or Office",
        "save": "Save address",
        "saved": "Address saved.",
        "new": "A new address",
        "delete": "Delete",
        "delete_yes": "Yes, delete it",
        "deleted": "Address deleted.",
    },
}


def test_a_member_saves_an_address_and_redeems_to_it(
    svc, client, live_server, phone, language, screenshot
):
    words, shopping = WORDS[language], SHOPPING[language]
    shop = a_tenant_speaking(svc, language)
    mug = product(client, shop, name="Travel mug", points_price=300, stock=5)
    alice = member(client, shop, 1_000)
    open_mall_as(svc, client, live_server, phone, shop, alice)

    phone.get_by_role("link", name=words["me"], exact=True).click()
    phone.get_by_role("link", name=words["addresses"]).click()
    phone.get_by_role("link", name=words["add"]).click()
    phone.get_by_label(shopping["recipient"]).fill(ADDRESS["name"])
    phone.get_by_label(shopping["phone"]).fill(ADDRESS["phone"])
    phone.get_by_label(shopping["region"]).fill(ADDRESS["region"])
    phone.get_by_label(shopping["line"]).fill(ADDRESS["line"])
    phone.get_by_label(words["label"]).fill("Home")
    screenshot(phone, "address-form")
    looks_right(phone)
    phone.get_by_role("button", name=words["save"]).click()
    expect(phone.get_by_role("status")).to_have_text(words["saved"])
    expect(phone.locator(".address-who")).to_contain_text("138****8000")
    screenshot(phone, "addresses")
    looks_right(phone)

    phone.goto(f"{live_server}/m/{shop.slug}/shop/{mug['id']}")
    phone.get_by_role("link", name=shopping["redeem"]).click()
    saved = phone.get_by_role("radio", name=re.compile("Home"))
    expect(saved).to_be_checked()
    expect(phone.get_by_label(shopping["line"])).to_be_hidden()
    screenshot(phone, "redeem-saved-address")
    looks_right(phone)
    phone.get_by_role("radio", name=words["new"]).check()
    expect(phone.get_by_label(shopping["line"])).to_be_visible()
    screenshot(phone, "redeem-new-address")
    looks_right(phone)
    saved.check()
    phone.get_by_role("button", name=shopping["confirm"]).click()

    expect(phone.locator(".order-status")).to_have_text(shopping["preparing"])
    expect(phone.locator(".ship-to")).to_contain_text(ADDRESS["line"])
    screenshot(phone, "order-saved-address")
    looks_right(phone)
    (order,) = call(client, shop, "GET", f"/orders?member_id={alice}", None, 200).json["items"]
    assert order["address"] == ADDRESS | {"postal_code": None}

    phone.goto(f"{live_server}/m/{shop.slug}/account/addresses")
    phone.get_by_role("link", name=f"{words['delete']} Home").click()
    screenshot(phone, "address-delete")
    looks_right(phone)
    phone.get_by_role("button", name=words["delete_yes"]).click()
    expect(phone.get_by_role("status")).to_have_text(words["deleted"])
    assert call(client, shop, "GET", f"/members/{alice}/addresses", None, 200).json["items"] == []
