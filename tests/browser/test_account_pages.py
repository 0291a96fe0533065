"""A member reads their account on a phone, in Chinese and in English: every upcoming
expiry by date, their tier and the way to the next, the history of their points with
the reason for each line, their check-in calendar and their invite link, each page
fitting the phone with nothing serious for axe."""

from __future__ import annotations

import re

from conftest import sqlite_only
from mall.shop import give, member
from playwright.sync_api import expect
from rules.api import call, rule

from browser.test_phone_pages import CHECK_IN, GATEWAY, a_tenant_speaking, open_mall_as
from browser.test_shopping import looks_right
from jifen.testing import browser as browsers

pytestmark = sqlite_only

CARD = {"zh-CN": "会员码", "en-US": "Member card"}
WORDS = {
    "zh-CN": {
        "me": "我的",
        "history": "积分明细",
        "expiry": "将于",
        "reason": "签到",
        "calendar": "签到日历",
        "invite": "邀请好友",
        "invite_link": "您的邀请链接",
        "invited": "邀请您加入",
        "notices": "消息通知",
        "reminders": "积分过期前提醒我",
        "save": "保存",
    },
    "en-US": {
        "me": "Me",
        "history": "Points history",
        "expiry": "expire after",
        "reason": "check-in",
        "calendar": "Check-in calendar",
        "invite": "Invite friends",
        "invite_link": "Your invite link",
        "invited": "invited you to",
        "notices": "Notices",
        "reminders": "Reminders before my points expire",
        "save": "Save",
    },
}


def test_a_member_reads_their_points_and_history(
    svc, client, live_server, phone, language, screenshot, browser, playwright
):
    words = WORDS[language]
    shop = a_tenant_speaking(svc, language)
    rule(client, shop, "checkin", {"points": 5})
    alice = member(client, shop)
    for points, day in [(120, "2026-12-31"), (300, "2027-03-31")]:
        give(client, shop, alice, points, expires_at=f"{day}T16:00:00Z", memo="Welcome gift")
    open_mall_as(svc, client, live_server, phone, shop, alice)
    with phone.expect_navigation():
        phone.get_by_role("button", name=CHECK_IN[language]).click()

    phone.get_by_role("link", name=words["me"], exact=True).click()
    expect(phone.locator(".expiries li")).to_have_count(2)
    expiries = phone.locator(".expiries li").all_inner_texts()
    assert len(expiries) == 2 and all(words["expiry"] in line for line in expiries)
    screenshot(phone, "account")
    looks_right(phone)

    phone.get_by_role("link", name=words["history"]).click()
    expect(phone.locator(".line-reason")).to_have_count(3)
    reasons = phone.locator(".line-reason").all_inner_texts()
    assert words["reason"] in reasons[0].lower() and reasons[1:] == ["Welcome gift"] * 2
    assert phone.locator(".line-total").first.inner_text().endswith("425")
    screenshot(phone, "history")
    looks_right(phone)

    phone.go_back()
    phone.get_by_role("link", name=words["calendar"]).click()
    expect(phone.locator(".calendar .checked")).to_have_count(1)  # today's check-in
    screenshot(phone, "check-ins")
    looks_right(phone)

    phone.go_back()
    phone.get_by_role("link", name=words["invite"]).click()
    assert phone.locator(".card-qr").evaluate("img => img.naturalWidth") > 0
    link = phone.get_by_role("textbox", name=words["invite_link"]).input_value()
    assert "/invite/" in link
    screenshot(phone, "invite")
    looks_right(phone)

    phone.go_back()
    phone.get_by_role("link", name=words["notices"]).click()
    phone.get_by_label(words["reminders"]).uncheck()
    screenshot(phone, "notices")
    looks_right(phone)
    phone.get_by_role("button", name=words["save"]).click()
    expect(phone.get_by_label(words["reminders"])).not_to_be_checked()

    friend = browsers.phone_page(browser, playwright, language)  # another phone
    friend.goto(link)
    expect(friend.get_by_role("heading", level=1)).to_contain_text(words["invited"])
    screenshot(friend, "invited")
    looks_right(friend)
    friend.context.close()


def test_a_member_shows_the_card_and_a_till_redeems_it(
    svc, client, live_server, phone, language, screenshot
):
    shop = a_tenant_speaking(svc, language)
    alice = member(client, shop)
    open_mall_as(svc, client, live_server, phone, shop, alice)

    phone.get_by_role("link", name=WORDS[language]["me"], exact=True).click()
    phone.get_by_role("link", name=CARD[language]).click()
    assert phone.locator(".card-qr").evaluate("img => img.naturalWidth") > 0
    assert phone.locator(".card-bars").evaluate("img => img.naturalWidth") > 0
    screenshot(phone, "member-card")
    looks_right(phone)
    code = phone.locator(".card-digits").inner_text().split()[-5:]

    till = call(client, shop, "POST", "/members/card-codes:redeem", {"code": "".join(code)}, 200)
    assert till.json["id"] == alice
    call(client, shop, "POST", "/members/card-codes:redeem", {"code": "".join(code)}, 422)


GIVE = {
    "zh-CN": {
        "give": "转赠积分给好友",
        "to": "好友的手机号或邮箱",
        "amount": "转赠数量",
        "next": "下一步",
        "confirm": "确认转赠",
        "sent": "已将 300 积分转给 王**。",
    },
    "en-US": {
        "give": "Give points to a friend",
        "to": "Your friend's phone number or email",
        "amount": "Points to give",
        "next": "Next",
        "confirm": "Give them",
        "sent": "Sent 300 积分 to 王**.",
    },
}


def test_a_member_gives_points_to_a_friend(svc, client, live_server, phone, language, screenshot):
    words = GIVE[language]
    shop = a_tenant_speaking(svc, language)
    call(client, shop, "PATCH", "/points/policy", {"transfers_enabled": True}, 200)
    alice = member(client, shop, 1_000)
    body = {"external_id": "wx-bob", "name": "王小明", "phone": "13800138000"}
    bob = call(client, shop, "POST", "/members", body, 201).json["id"]
    open_mall_as(svc, client, live_server, phone, shop, alice)

    phone.get_by_role("link", name=WORDS[language]["me"], exact=True).click()
    phone.get_by_role("link", name=words["give"]).click()
    phone.get_by_label(words["to"]).fill("13800138000")
    phone.get_by_label(words["amount"]).fill("300")
    screenshot(phone, "transfer")
    looks_right(phone)
    phone.get_by_role("button", name=words["next"]).click()
    expect(phone.locator(".transfer-friend")).to_have_text("王**")
    screenshot(phone, "transfer-confirm")
    looks_right(phone)
    phone.get_by_role("button", name=words["confirm"]).click()

    expect(phone.get_by_role("status")).to_contain_text(words["sent"])
    assert call(client, shop, "GET", f"/members/{bob}/points", None, 200).json["balance"] == 300


ERASE = {
    "zh-CN": {"erase": "删除我的数据", "ask": "申请 Shop-Zh 删除我的数据", "asked": "提出申请"},
    "en-US": {
        "erase": "Erase my data",
        "ask": "Ask Shop-En to erase my data",
        "asked": "You asked",
    },
}


def test_a_member_asks_to_be_erased(svc, client, live_server, phone, language, screenshot):
    words = ERASE[language]
    shop = a_tenant_speaking(svc, language)
    alice = member(client, shop)
    open_mall_as(svc, client, live_server, phone, shop, alice)

    phone.get_by_role("link", name=WORDS[language]["me"], exact=True).click()
    phone.get_by_role("link", name=words["erase"]).click()
    screenshot(phone, "erasure")
    looks_right(phone)
    phone.get_by_role("button", name=words["ask"]).click()

    expect(phone.get_by_role("status")).to_contain_text(words["asked"])
    looks_right(phone)


TASKS = {
    "zh-CN": {"tasks": "任务中心", "share": "今日已完成 1/3", "go": r"^去完成\W+每日签到$"},
    "en-US": {"tasks": "Tasks", "share": "1 of 3 today", "go": r"^Go\W+Check in every day$"},
}


def test_a_member_reads_their_tasks_and_goes_to_check_in(
    svc, client, live_server, phone, language, screenshot
):
    words = TASKS[language]
    shop = a_tenant_speaking(svc, language)
    rule(client, shop, "checkin", {"points": 5})
    share = {"task": "share", "points": 10, "limit": 3, "period": "day", "title": "分享商品 Share"}
    rule(client, shop, "task", share)
    alice = member(client, shop)
    body = {"id": "share-1", "kind": "task", "member_id": alice, "data": {"task": "share"}}
    call(client, shop, "POST", "/events", body, 201)
    open_mall_as(svc, client, live_server, phone, shop, alice)

    phone.get_by_role("link", name=WORDS[language]["me"], exact=True).click()
    phone.get_by_role("link", name=words["tasks"], exact=True).click()
    expect(phone.get_by_role("heading", name=words["tasks"])).to_be_visible()
    expect(phone.locator(".task", has_text="Share")).to_contain_text(words["share"])
    screenshot(phone, "tasks")
    looks_right(phone)
    phone.get_by_role("link", name=re.compile(words["go"])).click()
    expect(phone.get_by_role("heading", name=WORDS[language]["calendar"])).to_be_visible()


PAY_NOW = {"zh-CN": "去支付", "en-US": "Pay now"}
TOP_UP = {
    "zh-CN": {"top_up": "积分充值", "choice": "1,000 积分", "paid": "已支付"},
    "en-US": {"top_up": "Top up", "choice": "1,000 积分", "paid": "Paid"},
}


def test_a_member_buys_points_and_pays_on_the_gateways_page(
    svc, client, live_server, phone, language, screenshot
):
    words = TOP_UP[language]
    shop = a_tenant_speaking(svc, language)
    settings = {"payment_provider": "offline_test", "topup_enabled": True, "topup_rate": 100}
    call(client, shop, "PATCH", "/mall/settings", settings, 200)
    alice = member(client, shop)
    open_mall_as(svc, client, live_server, phone, shop, alice)

    phone.get_by_role("link", name=WORDS[language]["me"], exact=True).click()
    phone.get_by_role("link", name=words["top_up"], exact=True).click()
    expect(phone.get_by_role("heading", name=words["top_up"])).to_be_visible()
    screenshot(phone, "top-up")
    looks_right(phone)
    phone.get_by_role("button", name=re.compile(words["choice"])).click()
    expect(phone.get_by_role("link", name=PAY_NOW[language])).to_be_visible()
    screenshot(phone, "top-up-payment")
    looks_right(phone)
    assert svc.jobs.wait_idle()  # the relay has asked the gateway
    phone.get_by_role("link", name=PAY_NOW[language]).click()
    phone.get_by_role("button", name=GATEWAY[language][1], exact=True).click()

    expect(phone.get_by_role("status")).to_contain_text(words["paid"])
    looks_right(phone)
    assert call(client, shop, "GET", f"/members/{alice}/points", None, 200).json["balance"] == 1_000
