"""A new merchant, on a phone, goes from nothing to a branded mall with a product a
member redeems: signs up, proves their email with the code it was sent, opens a mall,
chooses its look with the live preview, sets how points are earned and expire with a
starter catalog, and makes the keys. Their systems then do what the keys page's
snippets show, as shown (curl registers a member and reports a purchase; Python signs
the link that opens the mall), and the member redeems a product on their phone.

The path is counted as a new user walks it: at most 6 screens and 20 required fields.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from conftest import sqlite_only
from console.console_pages import PASSWORD, emailed_code
from playwright.sync_api import Page, expect

from browser.test_shopping import WORDS as SHOPPING
from jifen.testing.browser import accessibility_violations, overflow

pytestmark = sqlite_only

WORDS = {
    "zh-CN": {"tote": "品牌帆布袋", "locale": "zh_CN"},
    "en-US": {"tote": "Canvas tote bag", "locale": "en"},
}
# A 1x1 PNG, the logo the merchant uploads.
LOGO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a1e8a5a00000000049454e44ae426082"
)


class Walk:
    """The screens the merchant saw and the required fields on each."""

    def __init__(self, page: Page, screenshot) -> None:
        self.page, self.screenshot = page, screenshot
        self.screens: list[str] = []
        self.required = 0

    def arrive(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state()
        path = page.url.split("?")[0]
        if path not in self.screens:
            self.screens.append(path)
            self.required += page.evaluate(
                "new Set([...document.querySelectorAll('main [required]')].map(e => e.name)).size"
            )
        self.screenshot(page, f"console-onboarding-{name}")
        assert overflow(page) == 0, name
        assert accessibility_violations(page) == [], name


@pytest.mark.skipif(shutil.which("curl") is None, reason="the curl snippet needs curl")
def test_a_merchant_opens_a_branded_mall_and_a_member_redeems_in_it(
    svc, clock, live_server, phone, language, screenshot
):
    clock.set(datetime.now(UTC))  # the Python snippet signs with the real time
    words = WORDS[language]
    email = f"owner-{words['locale'].lower()}@tea.example"
    page = phone
    walk = Walk(page, screenshot)

    page.goto(f"{live_server}/console/signup")
    walk.arrive("signup")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()

    walk.arrive("verify")
    page.fill("#code", emailed_code(svc, email))
    page.locator("main form button[type=submit]").first.click()

    walk.arrive("mall")
    page.fill("#name", "Tea House")
    page.fill("#slug", "teahouse")
    expect(page.locator("#slug-status")).to_contain_text("/m/teahouse/")
    page.select_option("#locale", words["locale"])
    page.locator("main button[type=submit]").click()

    walk.arrive("look")
    page.check("input[name=theme][value=fresh]")
    preview = page.frame_locator("#preview iframe")
    expect(preview.locator("body")).to_be_visible()
    page.set_input_files("#logo", {"name": "logo.png", "mimeType": "image/png", "buffer": LOGO})
    page.locator("main button[type=submit]").first.click()

    walk.arrive("points")
    page.fill("#rate", "10")
    page.check("input[name=expiry][value=calendar]")
    page.check("input[name=products][value=starter]")
    page.locator("main button[type=submit]").click()

    walk.arrive("keys")
    page.locator("main form button[type=submit]").click()
    walk.arrive("keys-shown")
    curl = page.get_by_test_id("curl-snippet").inner_text()
    python = page.get_by_test_id("python-snippet").inner_text()

    assert len(walk.screens) <= 6, walk.screens
    assert walk.required <= 20, walk.required

    # The merchant's systems, doing what the snippets say.
    subprocess.run(["bash", "-c", curl], check=True, capture_output=True, timeout=60)
    link = subprocess.run(
        [sys.executable, "-c", python], check=True, capture_output=True, text=True, timeout=60
    ).stdout.strip()
    assert link.startswith(f"{live_server}/m/teahouse/sign-in?")
    clock.set(datetime.now(UTC))  # the mall's clock is the test's: as real as the link's

    # The member, on their phone, in the new mall.
    shopping = SHOPPING[language]
    member = page  # the same phone: the link signs its browser in as the member
    member.goto(link)
    member.get_by_role("link", name=words["tote"]).first.click()
    member.get_by_role("link", name=shopping["redeem"]).click()
    member.get_by_label(shopping["recipient"]).fill("张伟")
    member.get_by_label(shopping["phone"]).fill("13800138000")
    member.get_by_label(shopping["region"]).fill("上海市 浦东新区")
    member.get_by_label(shopping["line"]).fill("世纪大道 100 号")
    member.get_by_role("button", name=shopping["confirm"]).click()
    assert member.locator(".order-status").inner_text() == shopping["preparing"]
    screenshot(member, "console-onboarding-redeemed")
