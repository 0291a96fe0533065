"""The console's team and security area in a browser, in Chinese and in English: an owner
invites a member of staff on a laptop, who accepts on a phone, sets up two-factor
sign-in from the QR code's key and signs in again with a code; the owner's API keys and
audit log, on a laptop and on a phone. Every page fits its screen and axe-core finds
nothing serious on it."""

from __future__ import annotations

import re

import pyotp
from conftest import sqlite_only
from console.console_pages import PASSWORD, staff_member
from playwright.sync_api import Page, expect

from browser.test_phone_pages import a_tenant_speaking
from jifen.testing.browser import accessibility_violations, overflow

pytestmark = sqlite_only

NEWCOMER = "nina@team.example"


def looks_right(page: Page) -> None:
    assert overflow(page) == 0
    assert accessibility_violations(page) == []


def press(page: Page, action: str) -> None:
    """Submit the page's form that posts to a path ending with `action`."""
    page.locator(f"main form[action$='{action}'] button[type=submit]").first.click()
    page.wait_for_load_state()


def sign_in(page: Page, live_server: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server}/console/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    press(page, "/console/login")


def link_sent_to(svc, email: str) -> str:
    svc.jobs.wait_idle()
    svc.relay.drain()
    message = next(m for m in svc.notifiers.registry.get("log").recent if m.to == email)
    return re.search(r"https?://[^/]+(/console/join/\S+)", message.body)[1]


def test_a_member_of_staff_is_invited_joins_and_signs_in_with_a_second_factor(
    svc, clock, live_server, desk, phone, language, screenshot
):
    shop = a_tenant_speaking(svc, language)
    owner = staff_member(svc, shop, "owner", "boss@team.example")
    sign_in(desk, live_server, owner.email)
    desk.goto(f"{live_server}/console/team")
    desk.locator("#email").fill(NEWCOMER)
    desk.locator("#role").select_option("admin")
    press(desk, "/team/invite")
    expect(desk.locator("[data-testid=invitation-row]")).to_have_count(1)
    screenshot(desk, "console-team-invited")
    looks_right(desk)

    phone.goto(live_server + link_sent_to(svc, NEWCOMER))
    expect(phone.locator("#email")).to_have_value(NEWCOMER)
    screenshot(phone, "console-join", phone=True)
    looks_right(phone)
    phone.locator("#name").fill("Nina")
    phone.locator("#password").fill(PASSWORD)
    press(phone, phone.url.split(live_server)[1])
    expect(phone).to_have_url(re.compile(r"/console/$"))

    phone.goto(f"{live_server}/console/security")
    screenshot(phone, "console-security-off", phone=True)
    looks_right(phone)
    press(phone, "/security/start")
    expect(phone).to_have_url(re.compile(r"/console/security/enrol$"))
    screenshot(phone, "console-security-enrol", phone=True)
    looks_right(phone)
    secret = phone.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    app = pyotp.TOTP(secret)
    phone.locator("#code").fill(app.at(clock.now()))
    press(phone, "/security/enrol")
    expect(phone.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    screenshot(phone, "console-security-codes", phone=True)
    looks_right(phone)

    phone.locator("header form[action$='/logout'] button").click()
    phone.wait_for_load_state()
    clock.advance(seconds=30)
    sign_in(phone, live_server, NEWCOMER)
    expect(phone).to_have_url(re.compile(r"/console/login/code$"))
    screenshot(phone, "console-sign-in-code", phone=True)
    looks_right(phone)
    phone.locator("#code").fill(app.at(clock.now()))
    press(phone, "/console/login/code")
    expect(phone).to_have_url(re.compile(r"/console/$"))

    desk.goto(f"{live_server}/console/team")
    expect(desk.locator("[data-testid=staff-row]")).to_have_count(2)
    newcomer = desk.locator("[data-testid=staff-row]", has_text=NEWCOMER)
    expect(newcomer.locator(".ok")).to_have_count(1)  # two-factor sign-in: on
    screenshot(desk, "console-team")
    looks_right(desk)


def test_the_owners_keys_and_audit_log_fit_a_laptop_and_a_phone(
    svc, live_server, desk, phone, language, screenshot
):
    shop = a_tenant_speaking(svc, language)
    owner = staff_member(svc, shop, "owner", "boss@team.example")
    for page, where in ((desk, "desk"), (phone, "phone")):
        sign_in(page, live_server, owner.email)
        page.goto(f"{live_server}/console/api-keys/new")
        screenshot(page, f"console-api-key-new-{where}", phone=page is phone)
        looks_right(page)
        page.locator("#name").fill(f"Till on the {where}")
        page.locator("input[name=scopes][value='members:read']").check()
        page.locator("#rate_limit").fill("600")
        press(page, "/api-keys/new")
        expect(page.get_by_test_id("api-key")).to_contain_text("jf_")
        screenshot(page, f"console-api-key-made-{where}", phone=page is phone)
        looks_right(page)
        page.goto(f"{live_server}/console/api-keys")
        screenshot(page, f"console-api-keys-{where}", phone=page is phone)
        looks_right(page)
        page.goto(f"{live_server}/console/audit")
        expect(page.locator("[data-testid=audit-row]").first).to_be_visible()
        screenshot(page, f"console-audit-{where}", phone=page is phone)
        looks_right(page)
    expect(desk.locator("[data-testid=audit-row]", has_text="api_key.create")).to_have_count(2)
