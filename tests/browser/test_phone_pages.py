"""The storefront's pages, opened in Chromium as on a phone, in Chinese and in English:
each fits the phone's width, axe-core finds nothing serious or critical on it, and what
a member does there works (paying a points + cash order on the test gateway's page)."""

from __future__ import annotations

from conftest import create_tenant_with_key, sqlite_only
from mall.shop import ADDRESS, a_phone, awaiting_payment, member, points
from playwright.sync_api import expect
from rules.api import call, rule

from browser.conftest import LANGUAGES
from jifen.members.sign_in_links import link_query
from jifen.testing.browser import accessibility_violations, overflow

pytestmark = sqlite_only

# The merchant's locale that matches the phone's language, and what the pages say in it.
LOCALES = {"zh-CN": "zh_CN", "en-US": "en"}
WELCOME = {"zh-CN": "欢迎来到积分商城", "en-US": "Welcome to the points mall"}
GREETING = {"zh-CN": "%s，您好", "en-US": "Hello, %s"}
NOT_SIGNED_IN = {"zh-CN": "您尚未登录", "en-US": "You are not signed in"}
CHECK_IN = {"zh-CN": "签到", "en-US": "Check in"}
CHECKED_IN = {"zh-CN": "签到成功：+5 积分。", "en-US": "Checked in: +5 积分."}
GATEWAY = {"zh-CN": ("测试支付网关（不会扣款）", "支付"), "en-US": ("Offline test gateway", "Pay")}


def a_tenant_speaking(svc, language: str):
    return create_tenant_with_key(svc, f"shop-{LANGUAGES[language]}", locale=LOCALES[language])


def open_mall_as(svc, client, live_server, phone, shop, member_id: str) -> None:
    """The phone opens the shop's mall by a sign-in link for the member, from its app."""
    user_id = call(client, shop, "GET", f"/members/{member_id}", None, 200).json["external_id"]
    key = call(client, shop, "POST", "/tenant/sign-in-keys", None, 201).json
    query = link_query(key["id"], key["secret"], shop.slug, user_id, now=svc.clock.now())
    phone.goto(f"{live_server}/m/{shop.slug}/sign-in?{query}")


def test_the_mall_opens_on_a_phone(svc, live_server, phone, language, screenshot):
    shop = a_tenant_speaking(svc, language)

    answer = phone.goto(f"{live_server}/m/{shop.slug}/")

    assert answer is not None and answer.status == 200
    assert phone.get_by_role("heading", level=1).inner_text() == WELCOME[language]
    screenshot(phone, "mall-home")
    assert overflow(phone) == 0
    assert accessibility_violations(phone) == []


def test_a_member_signs_in_by_a_link_from_the_app(
    svc, client, live_server, phone, language, screenshot
):
    shop = a_tenant_speaking(svc, language)
    alice = member(client, shop, 12_345)
    user_id = call(client, shop, "GET", f"/members/{alice}", None, 200).json["external_id"]
    key = call(client, shop, "POST", "/tenant/sign-in-keys", None, 201).json
    query = link_query(key["id"], key["secret"], shop.slug, user_id, now=svc.clock.now())

    phone.goto(f"{live_server}/m/{shop.slug}/sign-in?{query}")

    assert phone.url == f"{live_server}/m/{shop.slug}/"  # the link left the address bar
    assert phone.get_by_role("heading", level=1).inner_text() == GREETING[language] % user_id
    assert phone.locator(".balance-amount").inner_text() == "12,345"
    screenshot(phone, "mall-home-signed-in")
    assert overflow(phone) == 0
    assert accessibility_violations(phone) == []
    phone.goto(f"{live_server}/m/{shop.slug}/sign-in?{query}")  # the same link again
    assert phone.get_by_role("heading", level=1).inner_text() == NOT_SIGNED_IN[language]
    screenshot(phone, "sign-in-refused")
    assert accessibility_violations(phone) == []


def test_a_member_pays_a_points_and_cash_order_on_the_gateways_page(
    svc, client, live_server, phone, language, screenshot
):
    shop = a_tenant_speaking(svc, language)
    call(client, shop, "PATCH", "/mall/settings", {"payment_provider": "offline_test"}, 200)
    buyer = member(client, shop, 5_000)
    held = awaiting_payment(client, shop, buyer, a_phone(client, shop)["id"], address=ADDRESS)
    assert svc.jobs.wait_idle()  # the relay has asked the gateway
    title, pay = GATEWAY[language]

    phone.goto(f"{live_server}/pay/offline-test/{held['details']['payment_id']}")

    assert phone.get_by_role("heading", level=1).inner_text().startswith(title)
    screenshot(phone, "pay-page")
    assert overflow(phone) == 0
    assert accessibility_violations(phone) == []
    phone.get_by_role("button", name=pay, exact=True).click()
    # Back at the order in the mall (the buyer is not signed in to it here: the page
    # asks them to open the mall from the app).
    phone.wait_for_url(f"{live_server}/m/{shop.slug}/orders/{held['id']}")
    order = call(client, shop, "GET", f"/orders/{held['id']}", None, 200).json
    assert order["status"] == "paid"
    assert points(client, shop, buyer)["held"] == 0


def test_a_member_checks_in_on_the_home_page(svc, client, live_server, phone, language, screenshot):
    shop = a_tenant_speaking(svc, language)
    rule(client, shop, "checkin", {"points": 5})
    alice = member(client, shop)
    user_id = call(client, shop, "GET", f"/members/{alice}", None, 200).json["external_id"]
    key = call(client, shop, "POST", "/tenant/sign-in-keys", None, 201).json
    query = link_query(key["id"], key["secret"], shop.slug, user_id, now=svc.clock.now())
    phone.goto(f"{live_server}/m/{shop.slug}/sign-in?{query}")

    with phone.expect_navigation():
        phone.get_by_role("button", name=CHECK_IN[language], exact=True).click()

    assert phone.get_by_role("status").inner_text() == CHECKED_IN[language]
    expect(phone.get_by_role("button", name=CHECK_IN[language], exact=True)).to_have_count(0)
    screenshot(phone, "checked-in")
    assert overflow(phone) == 0
    assert accessibility_violations(phone) == []


def test_a_member_switches_the_language(svc, live_server, phone, language, screenshot):
    shop = a_tenant_speaking(svc, language)
    other = "en-US" if language == "zh-CN" else "zh-CN"
    phone.goto(f"{live_server}/m/{shop.slug}/")

    phone.get_by_role("button", name="English" if other == "en-US" else "中文").click()

    assert phone.get_by_role("heading", level=1).inner_text() == WELCOME[other]
    assert phone.url == f"{live_server}/m/{shop.slug}/"
    screenshot(phone, "language-switched")
    assert accessibility_violations(phone) == []
