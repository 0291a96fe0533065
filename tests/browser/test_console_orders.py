"""The console's orders, after-sales and reviews in Chromium, in Chinese and in English:
an operator signs in on a laptop, ships an order from its page and resolves a member's
request for help from its order's page; then each page is looked at on a phone too. On
every page axe-core finds nothing serious or critical, and nothing is wider than the
screen.

The pages are found by their addresses and their forms' fields, not their words, so
the test reads the same in both languages."""

from __future__ import annotations

from conftest import sqlite_only
from console.console_pages import staff_member
from console.orders_world import helped_order, paid_order
from playwright.sync_api import Page, expect
from rules.api import call

from browser.test_phone_pages import a_tenant_speaking
from browser.test_shopping import looks_right

pytestmark = sqlite_only


def sign_in(page: Page, live_server: str, staff) -> None:
    page.goto(f"{live_server}/console/login")
    page.locator("#email").fill(staff.email)
    page.locator("#password").fill(staff.password)
    page.locator("form.card button[type=submit]").click()
    expect(page.locator("nav.menu")).to_be_visible()


def test_an_operator_ships_an_order_and_resolves_a_request_for_help(
    svc, client, live_server, desk, phone, language, screenshot
):
    shop = a_tenant_speaking(svc, language)
    helped = helped_order(client, shop, name="Travel mug 旅行杯")
    order = paid_order(client, shop, name="Jasmine tea 茉莉花茶")
    staff = staff_member(svc, shop, "operator")
    sign_in(desk, live_server, staff)

    desk.locator("nav.menu a[href$='/console/orders']").click()
    expect(desk.locator("table.orders tbody tr")).to_have_count(2)
    screenshot(desk, "console-orders")
    looks_right(desk)
    desk.locator(f"a[href$='/console/orders/{order['id']}']").click()
    desk.locator("#carrier").fill("顺丰速运 SF Express")
    desk.locator("#tracking_number").fill("SF1234567890")
    screenshot(desk, "console-order-to-ship")
    looks_right(desk)
    desk.locator("form.ship-form button[type=submit]").click()

    expect(desk.locator(".flash")).to_be_visible()
    expect(desk.locator(".title-row .status-fulfilled")).to_be_visible()
    expect(desk.locator("main")).to_contain_text("SF1234567890")
    screenshot(desk, "console-order-shipped")
    looks_right(desk)

    desk.locator("nav.menu a[href$='/console/after-sales']").click()
    screenshot(desk, "console-after-sales")
    looks_right(desk)
    desk.locator(f"a[href*='/console/orders/{helped['order_id']}']").click()
    desk.locator("#reply").fill(
        "很抱歉！新的杯子已寄出，单号 SF2。 Sorry! A new mug left today: SF2."
    )
    screenshot(desk, "console-after-sales-answer")
    looks_right(desk)
    desk.locator("button[name=answer][value=resolve]").click()

    expect(desk.locator(".flash")).to_be_visible()
    expect(desk.locator("#after-sales .status-resolved")).to_be_visible()
    screenshot(desk, "console-after-sales-resolved")
    looks_right(desk)
    asked = call(client, shop, "GET", f"/after-sales/{helped['after_sales_id']}", None, 200).json
    assert (asked["status"], asked["reply"]) == (
        "resolved",
        "很抱歉！新的杯子已寄出，单号 SF2。 Sorry! A new mug left today: SF2.",
    )
    shipped = call(client, shop, "GET", f"/orders/{order['id']}", None, 200).json
    assert shipped["delivery"] == {
        "carrier": "顺丰速运 SF Express",
        "tracking_number": "SF1234567890",
    }

    sign_in(phone, live_server, staff)
    for path, name in (
        ("/console/orders", "console-orders-phone"),
        (f"/console/orders/{order['id']}", "console-order-phone"),
        (f"/console/orders/{helped['order_id']}", "console-order-helped-phone"),
        ("/console/after-sales?status=all", "console-after-sales-phone"),
        ("/console/orders/shipping", "console-shipping-phone"),
        ("/console/reviews", "console-reviews-phone"),
    ):
        phone.goto(f"{live_server}{path}")
        screenshot(phone, name)
        looks_right(phone)


def test_the_review_queue_and_shipping_from_a_file_on_a_laptop(
    svc, client, live_server, desk, language, screenshot, tmp_path
):
    shop = a_tenant_speaking(svc, language)
    kept = helped_order(client, shop, name="Oolong 乌龙茶")
    spam = helped_order(client, shop, name="Travel mug 旅行杯")
    waiting = paid_order(client, shop)
    staff = staff_member(svc, shop, "operator")
    sign_in(desk, live_server, staff)

    desk.locator("nav.menu a[href$='/console/reviews']").click()
    expect(desk.locator("article.review")).to_have_count(2)
    screenshot(desk, "console-reviews")
    looks_right(desk)
    desk.locator(f"#reason-{spam['review_id']}").fill("广告 An advert.")
    desk.locator(f"form[action$='/{spam['review_id']}/reject'] button").click()
    expect(desk.locator(".flash")).to_be_visible()
    desk.locator(f"form[action$='/{kept['review_id']}/publish'] button").click()
    expect(desk.locator(".flash")).to_be_visible()
    desk.goto(f"{live_server}/console/reviews?status=rejected")
    expect(desk.locator("main")).to_contain_text("广告 An advert.")
    screenshot(desk, "console-reviews-rejected")
    looks_right(desk)
    moderated = [
        call(client, shop, "GET", f"/reviews/{ids['review_id']}", None, 200).json["status"]
        for ids in (kept, spam)
    ]
    assert moderated == ["published", "rejected"]

    file = tmp_path / "shipments.csv"
    file.write_text(f"order_id,carrier,tracking_number\n{waiting['id']},SF,\nnot-an-id,SF,SF2\n")
    desk.goto(f"{live_server}/console/orders/shipping")
    desk.locator("#file").set_input_files(file)
    desk.locator("form.card button[type=submit]").click()
    expect(desk.locator(".problems li")).to_have_count(2)
    screenshot(desk, "console-shipping-problems")
    looks_right(desk)
    file.write_text(f"order_id,carrier,tracking_number\n{waiting['id']},SF,SF1\n")
    desk.locator("#file").set_input_files(file)
    desk.locator("form.card button[type=submit]").click()
    expect(desk.locator(".flash")).to_be_visible()
    screenshot(desk, "console-shipping-done")
    looks_right(desk)
