"""Every shipped theme on a phone, in Chinese and in English, on the demo's malls: each
mall's home page (signed in by the link the demo prints), a shelf and a product fit the
phone and axe-core finds nothing serious or critical on them. Each page is saved as a
screenshot to be looked at; the home pages are the README's pictures (`make
screenshots`)."""

from __future__ import annotations

from conftest import TenantKey, sqlite_only
from rules.api import call

from browser.test_shopping import looks_right
from jifen.audit import Actor
from jifen.demo import seeding

pytestmark = sqlite_only


def test_every_theme_on_a_phone(svc, client, live_server, phone, language, screenshot):
    demo = seeding.seed(svc, actor=Actor(kind="system", id="test"))
    themes = []
    for mall in demo.malls:
        phone.goto(f"{live_server}{mall.member_link}")
        themes.append(mall.theme)
        pages(phone, live_server, mall.slug, mall.theme, screenshot)
    # The base theme, on the first mall.
    first = demo.malls[0]
    call(
        client,
        TenantKey(None, first.slug, first.api_key),
        "PATCH",
        "/tenant",
        {"theme": "base"},
        200,
    )
    pages(phone, live_server, first.slug, "base", screenshot)
    assert sorted([*themes, "base"]) == ["base", "classic", "fresh", "night"]


def pages(phone, live_server, slug: str, theme: str, screenshot) -> None:
    phone.goto(f"{live_server}/m/{slug}/")
    product = phone.locator(".card a").first.get_attribute("href")
    for name, path in [("home", f"/m/{slug}/"), ("shelf", f"/m/{slug}/shop"), ("product", product)]:
        phone.goto(f"{live_server}{path}")
        assert phone.locator("body").get_attribute("class") == f"theme-{theme}"
        screenshot(phone, f"theme-{theme}-{name}", phone=name == "home")
        looks_right(phone)
