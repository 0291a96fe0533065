"""A member who opens the mall directly signs in with a code sent to their phone, then
reads their orders and coupons; a visitor whose phone is no member's becomes one with a
code, where the merchant chooses so, and finds the welcome gift: on a phone in both
languages, every page fits it and axe-core finds nothing serious on it."""

from __future__ import annotations

from conftest import sqlite_only
from mall.shop import ADDRESS, give, placed, product
from notify.test_member_notices import FakeSms, SmsPlugin
from playwright.sync_api import expect
from rules.api import call, rule
from storefront.mall_pages import coffee_card
from storefront.test_code_sign_in import sent_code

from browser.test_phone_pages import a_tenant_speaking
from browser.test_shopping import looks_right

pytestmark = sqlite_only

PHONE = "13912345678"
WORDS = {
    "zh-CN": {
        "sign_in": "用验证码登录",
        "address": "手机号或邮箱",
        "send": "发送验证码",
        "code": "验证码",
        "enter": "登录",
        "me": "我的",
        "orders": "我的订单",
        "coupons": "我的优惠券",
        "history": "积分明细",
        "welcome": "欢迎礼",
    },
    "en-US": {
        "sign_in": "Sign in with a code",
        "address": "Mobile phone number or email",
        "send": "Send me a code",
        "code": "Sign-in code",
        "enter": "Sign in",
        "me": "Me",
        "orders": "My orders",
        "coupons": "My coupons",
        "history": "Points history",
        "welcome": "Welcome gift",
    },
}


def test_a_member_signs_in_with_a_code_and_reads_orders_and_coupons(
    svc, client, live_server, phone, language, screenshot
):
    words = WORDS[language]
    sms = FakeSms()
    svc.plugins.register(SmsPlugin(sms), name="fake-sms")
    shop = a_tenant_speaking(svc, language)
    call(client, shop, "PATCH", "/tenant", {"sign_in_methods": ["code", "link"]}, 200)
    body = {"external_id": "wx-alice", "name": "Alice", "phone": PHONE}
    alice = call(client, shop, "POST", "/members", body, 201).json["id"]
    give(client, shop, alice, 1_000)
    mug = product(client, shop, name="Travel mug", points_price=300)
    placed(client, shop, alice, mug["id"], address=ADDRESS)
    placed(client, shop, alice, coffee_card(client, shop)["id"])

    phone.goto(f"{live_server}/m/{shop.slug}/")
    phone.get_by_role("link", name=words["sign_in"]).click()
    phone.get_by_label(words["address"]).fill(PHONE)
    screenshot(phone, "code-ask")
    looks_right(phone)
    phone.get_by_role("button", name=words["send"]).click()
    phone.get_by_label(words["code"]).fill(sent_code(svc, sms))
    screenshot(phone, "code-enter")
    looks_right(phone)
    phone.get_by_role("button", name=words["enter"], exact=True).click()

    phone.get_by_role("link", name=words["me"], exact=True).click()
    phone.get_by_role("link", name=words["orders"]).click()
    expect(phone.locator(".order-list li")).to_have_count(2)
    screenshot(phone, "my-orders")
    looks_right(phone)
    phone.go_back()
    phone.get_by_role("link", name=words["coupons"]).click()
    expect(phone.locator(".coupon-code")).to_have_count(1)
    screenshot(phone, "my-coupons")
    looks_right(phone)


def test_a_new_visitor_becomes_a_member_with_a_code_and_finds_the_welcome_gift(
    svc, client, live_server, phone, language, screenshot
):
    words = WORDS[language]
    sms = FakeSms()
    svc.plugins.register(SmsPlugin(sms), name="fake-sms")
    shop = a_tenant_speaking(svc, language)
    body = {"sign_in_methods": ["code", "link"], "code_sign_in_creates_members": True}
    call(client, shop, "PATCH", "/tenant", body, 200)
    welcome = {"event": "registered", "points": 100, "title": words["welcome"]}
    rule(client, shop, "task", welcome)

    phone.goto(f"{live_server}/m/{shop.slug}/")
    phone.get_by_role("link", name=words["sign_in"]).click()
    phone.get_by_label(words["address"]).fill("13800001111")
    phone.get_by_role("button", name=words["send"]).click()
    phone.get_by_label(words["code"]).fill(sent_code(svc, sms))
    phone.get_by_role("button", name=words["enter"], exact=True).click()

    expect(phone.locator(".balance-amount")).to_have_text("100")
    screenshot(phone, "code-new-member-home")
    looks_right(phone)
    phone.get_by_role("link", name=words["me"], exact=True).click()
    phone.get_by_role("link", name=words["history"]).click()
    expect(phone.get_by_text(words["welcome"])).to_have_count(1)
    screenshot(phone, "code-new-member-history")
    looks_right(phone)
