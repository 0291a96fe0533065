"""The storefront's pages, opened in Chromium as on a phone, in Chinese and in English:
each fits the phone's width, axe-core finds nothing serious or critical on it, and what
a member does there works (paying a points + cash order on the test gateway's page)."""

from __future__ import annotations

from conftest import create_tenant_with_key, sqlite_only
from mall.shop import ADDRESS, a_phone, awaiting_payment, member, points
from rules.api import call

from browser.conftest import LANGUAGES
from jifen.testing.browser import accessibility_violations, overflow

pytestmark = sqlite_only

# The merchant's locale that matches the phone's language, and what the pages say in it.
LOCALES = {"zh-CN": "zh_CN", "en-US": "en"}
GATEWAY = {"zh-CN": ("测试支付网关（不会扣款）", "支付"), "en-US": ("Offline test gateway", "Pay")}


def a_tenant_speaking(svc, language: str):
    return create_tenant_with_key(svc, f"shop-{LANGUAGES[language]}", locale=LOCALES[language])


def test_the_mall_opens_on_a_phone(svc, live_server, phone, language, screenshot):
    shop = a_tenant_speaking(svc, language)

    answer = phone.goto(f"{live_server}/m/{shop.slug}/")

    assert answer is not None and answer.status == 200
    assert phone.get_by_role("heading", level=1).inner_text() == shop.slug.title()
    screenshot(phone, "mall-home")
    assert overflow(phone) == 0
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
    with phone.expect_navigation() as paid:
        phone.get_by_role("button", name=pay, exact=True).click()
    assert paid.value is not None and paid.value.status == 200
    order = call(client, shop, "GET", f"/orders/{held['id']}", None, 200).json
    assert order["status"] == "paid"
    assert points(client, shop, buyer)["held"] == 0
