"""A merchant's admin works on the earn rules in the console, in Chinese and in English:
on a laptop they give the draft check-in rule a streak bonus (a row added to its
generated form), simulate a member's check-in under it and backtest it against the rule
in force, its result drawn as a chart; on a phone the same pages fit the screen. Every
page passes axe-core."""

from __future__ import annotations

from conftest import sqlite_only
from console.console_pages import staff_member
from playwright.sync_api import Page, expect
from rules.api import event, member, rule

from jifen.testing.browser import accessibility_violations, overflow

pytestmark = sqlite_only

WORDS = {
    "zh-CN": {
        "email": "邮箱",
        "password": "密码",
        "sign_in": "登录",
        "rules": "积分规则",
        "add_row": "添加一行",
        "save": "保存",
        "saved": "“签到送积分”已保存。",
        "simulate": "模拟事件",
        "run_simulation": "模拟",
        "earned": "将获得 25 积分",
        "bonus": "连续签到 3 天奖励",
        "backtest": "回测",
        "run_backtest": "开始回测",
        "would_give": "草案组合将发放",
        "draft": "草稿",
    },
    "en-US": {
        "email": "Email",
        "password": "Password",
        "sign_in": "Sign in",
        "rules": "Earn rules",
        "add_row": "Add a row",
        "save": "Save",
        "saved": "“签到送积分” is saved.",
        "simulate": "Simulate an event",
        "run_simulation": "Simulate",
        "earned": "It would earn 25 积分",
        "bonus": "3-day check-in streak",
        "backtest": "Backtest",
        "run_backtest": "Run the backtest",
        "would_give": "The draft set would give",
        "draft": "Draft",
    },
}


def looks_right(page: Page) -> None:
    assert accessibility_violations(page) == []
    assert overflow(page) == 0


def signed_in(page: Page, live_server: str, staff, words: dict[str, str]) -> None:
    page.goto(f"{live_server}/console/login?next=/console/rules")
    page.get_by_label(words["email"]).fill(staff.email)
    page.get_by_label(words["password"]).fill(staff.password)
    page.get_by_role("button", name=words["sign_in"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["rules"])


def a_week_of_check_ins(client, tenant, clock) -> dict:
    """Alice checks in on 1 and 2 March, Bob on the 2nd, under the check-in rule in force
    (1 point); a draft check-in rule waits (5 points). It is now 3 March."""
    rule(client, tenant, "checkin", {"points": 1}, name="One a day")
    draft = rule(client, tenant, "checkin", {"points": 5}, name="签到送积分", status="draft")
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")
    event(client, tenant, "checkin", alice)
    clock.advance(days=1)
    event(client, tenant, "checkin", alice)
    event(client, tenant, "checkin", bob)
    clock.advance(days=1)
    return draft


def test_a_check_in_rule_gets_a_streak_bonus_is_simulated_and_backtested(
    svc, client, make_tenant, clock, live_server, desk, phone, language, screenshot
):
    words = WORDS[language]
    shop = make_tenant(f"rules-{language.lower()}")
    draft = a_week_of_check_ins(client, shop, clock)
    staff = staff_member(svc, shop, "admin")

    signed_in(desk, live_server, staff, words)
    screenshot(desk, "console-rules-list")
    looks_right(desk)

    desk.get_by_role("link", name="签到送积分").click()
    desk.get_by_role("button", name=words["add_row"]).click()
    desk.locator("#field-params-streak_bonuses-0-day").fill("3")
    desk.locator("#field-params-streak_bonuses-0-points").fill("20")
    screenshot(desk, "console-rule-form")
    looks_right(desk)
    desk.get_by_role("button", name=words["save"], exact=True).last.click()
    expect(desk.locator(".flash")).to_have_text(words["saved"])
    screenshot(desk, "console-rules-saved")

    desk.goto(f"{live_server}/console/rules/{draft['id']}")
    desk.get_by_role("link", name=words["simulate"]).click()
    desk.locator("#kind").select_option("checkin")
    desk.locator("#member").fill("alice")
    desk.locator('input[name="rules"][value="set"]').check()
    # The draft, without the check-in rule in force: what alice's third day would earn.
    desk.locator(".rule-set label", has_text="One a day").locator("input").uncheck()
    desk.get_by_role("button", name=words["run_simulation"], exact=True).click()
    expect(desk.locator("#result-heading")).to_have_text(words["earned"])
    expect(desk.locator("#result")).to_contain_text(words["bonus"])
    screenshot(desk, "console-rules-simulated")
    looks_right(desk)

    desk.goto(f"{live_server}/console/rules/{draft['id']}")
    desk.get_by_role("link", name=words["backtest"]).click()
    desk.locator(".rule-set label", has_text="One a day").locator("input").uncheck()
    desk.get_by_role("button", name=words["run_backtest"]).click()
    expect(desk.locator(".rules-figures")).to_contain_text(words["would_give"])
    expect(desk.locator(".chart-area svg")).to_be_visible()
    # Alice's two days and Bob's one, 5 points each (no one reached a third day): 15
    # points against the 3 the rule in force gave.
    expect(desk.locator(".rules-figures dd").nth(1)).to_have_text("15")
    expect(desk.locator(".rules-figures dd").nth(2)).to_have_text("3")
    desk.locator(".chart details summary").click()
    expect(desk.locator(".chart table")).to_contain_text("2026-03-02")
    screenshot(desk, "console-rules-backtest")
    looks_right(desk)

    signed_in(phone, live_server, staff, words)
    screenshot(phone, "console-rules-list-phone")
    looks_right(phone)
    for path, name in (
        (f"/console/rules/{draft['id']}", "console-rule-form-phone"),
        (
            f"/console/rules/simulate?run=1&rules=set&rule={draft['id']}&kind=checkin"
            "&who=member&member=alice",
            "console-rules-simulated-phone",
        ),
        (f"/console/rules/backtest?run=1&start=2026-03-01&end=2026-03-03&rule={draft['id']}", None),
    ):
        phone.goto(f"{live_server}{path}")
        if name is None:
            expect(phone.locator(".chart-area svg")).to_be_visible()
            name = "console-rules-backtest-phone"
        screenshot(phone, name)
        looks_right(phone)
