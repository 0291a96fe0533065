"""A member asks for help with an order that shipped, on a phone, in Chinese and in
English: from "My orders" to the order, what went wrong and in their words (a
description missing for "something else" is asked for by its field); the
merchant replies through the API, and the member reads the reply on the order's page.
Each page fits the phone, and axe-core finds nothing serious or critical on it."""

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
        "ask": "订单有问题？申请售后",
        "damaged": "商品到货时已损坏",
        "other": "其他问题",
        "describe": "请描述您遇到的问题。",
        "more": "问题描述",
        "send": "提交售后申请",
        "sent": "售后申请已提交",
        "waiting": "等待处理",
        "asked": "售后处理中",
        "resolved": "已解决",
    },
    "en-US": {
        "me": "Me",
        "orders": "My orders",
        "ask": "Need help with this order?",
        "damaged": "It arrived damaged",
        "other": "Something else",
        "describe": "Tell us what went wrong.",
        "more": "Tell us more",
        "send": "Send my request",
        "sent": "Your request is sent.",
        "waiting": "Waiting for an answer",
        "asked": "Help requested",
        "resolved": "Resolved",
    },
}
REPLY = "很抱歉！新的杯子已于今天寄出，单号 SF2。 Sorry! A new mug left today, tracking number SF2."


def test_a_member_asks_for_help_and_reads_the_reply(
    svc, client, live_server, phone, language, screenshot
):
    words = WORDS[language]
    shop = a_tenant_speaking(svc, language)
    alice = member(client, shop, 1_000)
    shipped(client, shop, alice, product(client, shop, name="Travel mug")["id"])
    open_mall_as(svc, client, live_server, phone, shop, alice)

    phone.get_by_role("link", name=words["me"], exact=True).click()
    phone.get_by_role("link", name=words["orders"]).click()
    phone.get_by_role("link", name="Travel mug").click()
    phone.get_by_text(words["ask"]).click()
    phone.get_by_label(words["other"]).check()
    phone.get_by_role("button", name=words["send"]).click()  # without saying what
    expect(phone.locator(".field-problem")).to_have_text(words["describe"])
    screenshot(phone, "after-sales-problem")
    looks_right(phone)
    phone.get_by_label(words["damaged"]).check()
    phone.get_by_label(words["more"]).fill("杯盖裂了 The lid is cracked.")
    screenshot(phone, "after-sales-ask")
    looks_right(phone)
    phone.get_by_role("button", name=words["send"]).click()

    expect(phone.get_by_role("status")).to_contain_text(words["sent"])
    expect(phone.locator(".after-sales-request .status")).to_have_text(words["waiting"])
    screenshot(phone, "after-sales-asked")
    looks_right(phone)
    phone.get_by_role("link", name=words["me"], exact=True).click()
    phone.get_by_role("link", name=words["orders"]).click()
    expect(phone.locator(".order-asked")).to_have_text(words["asked"])
    screenshot(phone, "after-sales-orders")
    looks_right(phone)

    (asked,) = call(client, shop, "GET", "/after-sales?status=open", None, 200).json["items"]
    call(client, shop, "POST", f"/after-sales/{asked['id']}:resolve", {"reply": REPLY}, 200)
    phone.get_by_role("link", name="Travel mug").click()

    expect(phone.locator(".after-sales-request .status")).to_have_text(words["resolved"])
    expect(phone.locator(".after-sales-reply")).to_contain_text(REPLY)
    screenshot(phone, "after-sales-reply")
    looks_right(phone)
