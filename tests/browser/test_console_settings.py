"""The console's settings in a browser, as a merchant's owner uses them, in Chinese and in
English: the theme changed with the live preview following the choice before it is
saved, and a ladder of tiers set up with a tier added on the page. Each page fits a
phone and axe-core finds nothing serious or critical on it; each is saved as a
screenshot, on a laptop and on a phone."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from conftest import sqlite_only
from console.console_pages import staff_member
from fake_network import installed
from playwright.sync_api import Page, expect

from jifen.audit import SYSTEM
from jifen.members import sign_in_links, tiers
from jifen.tenants import domains, ownership
from jifen.tenants.models import Tenant
from jifen.testing.browser import accessibility_violations, overflow

pytestmark = sqlite_only

LADDER = [
    {
        "code": "silver",
        "name": "银卡 Silver",
        "rank": 0,
        "basis": "lifetime_points",
        "threshold": 1000,
    },
    {
        "code": "gold",
        "name": "金卡 Gold",
        "rank": 1,
        "basis": "spend_in_window",
        "threshold": 500000,
        "window_days": 365,
        "grace_days": 30,
        "earn_multiplier": Decimal("1.5"),
        "redemption_discount_percent": 5,
    },
]
PAGES = (
    ("overview", "/console/settings"),
    ("look", "/console/settings/look"),
    ("banners", "/console/settings/banners"),
    ("tiers", "/console/settings/tiers"),
    ("points", "/console/settings/points"),
    ("checkout", "/console/settings/checkout"),
    ("members", "/console/settings/members"),
    ("keys", "/console/settings/sign-in-keys"),
    ("domains", "/console/settings/domains"),
)


def sign_in(page: Page, live_server: str, svc, tenant) -> None:
    """The tenant's owner, signed in to the console through its form."""
    owner = staff_member(svc, tenant, "owner")
    page.goto(f"{live_server}/console/login")
    page.locator("#email").fill(owner.email)
    page.locator("#password").fill(owner.password)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/console/$"))


def looks_right(page: Page) -> None:
    assert accessibility_violations(page) == []


@pytest.fixture
def set_up(svc, tenant) -> None:
    """A tenant whose settings pages have something to show: a sign-in key, a domain
    proved and one not, tiers and a banner."""
    network = installed(svc)
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        sign_in_links.create_key(
            session, tenant.tenant_id, actor=SYSTEM, clock=svc.clock, keyring=svc.keyring
        )
        proved = domains.claim(
            session, tenant.tenant_id, "points.acme-shop.com", actor=SYSTEM, clock=svc.clock
        )
        network.records[ownership.txt_name(proved.host)] = [proved.token]
        for host in (
            proved.host,
            domains.claim(
                session, tenant.tenant_id, "shop.acme-shop.com", actor=SYSTEM, clock=svc.clock
            ).host,
        ):
            domains.request_check(session, tenant.tenant_id, host, actor=SYSTEM, clock=svc.clock)
        tiers.set_ladder(session, tenant.tenant_id, LADDER, actor=SYSTEM, clock=svc.clock)
        session.get(Tenant, tenant.tenant_id).banners = [
            {"image_url": "/m/acme/no-such.png", "alt": "春季促销 Spring sale", "link": None}
        ]
    assert svc.jobs.wait_idle()


def test_the_theme_changes_with_a_live_preview(
    svc, tenant, live_server, desk, language, screenshot
):
    sign_in(desk, live_server, svc, tenant)
    desk.goto(f"{live_server}/console/settings/look")
    preview = desk.frame_locator("#preview iframe")
    expect(preview.locator("body")).to_have_class("theme-base")
    screenshot(desk, "console-settings-look")
    looks_right(desk)

    desk.locator("input[name=theme][value=night]").check()
    # The preview follows before anything is saved.
    expect(preview.locator("body")).to_have_class("theme-night")
    with svc.db.session() as session:
        assert session.get(Tenant, tenant.tenant_id).theme == "base"
    screenshot(desk, "console-settings-look-preview")

    desk.locator("form.card button[type=submit]").click()
    expect(desk.locator(".flash")).to_be_visible()
    with svc.db.session() as session:
        assert session.get(Tenant, tenant.tenant_id).theme == "night"
    expect(preview.locator("body")).to_have_class("theme-night")
    screenshot(desk, "console-settings-look-saved")
    looks_right(desk)


def test_tiers_are_set_up_on_the_page(svc, tenant, live_server, desk, language, screenshot):
    sign_in(desk, live_server, svc, tenant)
    desk.goto(f"{live_server}/console/settings/tiers")
    desk.locator("#tiers-0-name").fill("银卡 Silver")
    desk.locator("#tiers-0-threshold").fill("1000")
    desk.locator("button[name=action][value=add]").click()
    desk.locator("#tiers-1-name").fill("金卡 Gold")
    desk.locator("#tiers-1-basis").select_option("spend_in_window")
    desk.locator("#tiers-1-threshold").fill("5000.00")
    desk.locator("#tiers-1-earn_multiplier").fill("1.5")
    # A windowed basis needs its window: refused beside the input, nothing saved.
    desk.locator(".actions button[name=action][value=save]").click()
    expect(desk.locator("#tiers-1-window_days-problem")).to_be_visible()
    screenshot(desk, "console-settings-tiers-refused")
    looks_right(desk)

    desk.locator("#tiers-1-window_days").fill("365")
    desk.locator(".actions button[name=action][value=save]").click()
    expect(desk.locator(".flash")).to_be_visible()
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        ladder = tiers.tiers_of(session, tenant.tenant_id)
    assert [(t.name, t.basis, t.threshold, t.window_days) for t in ladder] == [
        ("银卡 Silver", "lifetime_points", 1000, None),
        ("金卡 Gold", "spend_in_window", 500000, 365),
    ]
    screenshot(desk, "console-settings-tiers")
    looks_right(desk)


def test_every_settings_page_fits_a_phone(
    svc, tenant, set_up, live_server, phone, language, screenshot
):
    sign_in(phone, live_server, svc, tenant)
    for name, path in PAGES:
        phone.goto(f"{live_server}{path}")
        assert overflow(phone) == 0, name
        screenshot(phone, f"console-settings-{name}-phone")
        looks_right(phone)


def test_every_settings_page_on_a_laptop(
    svc, tenant, set_up, live_server, desk, language, screenshot
):
    sign_in(desk, live_server, svc, tenant)
    for name, path in PAGES:
        desk.goto(f"{live_server}{path}")
        screenshot(desk, f"console-settings-{name}")
        looks_right(desk)
