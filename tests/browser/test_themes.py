"""Every shipped theme on a phone, in Chinese and in English: the home page of a signed-in
member, a shelf and a product fit the phone and axe-core finds nothing serious or
critical on them; each page is saved as a screenshot to be looked at."""

from __future__ import annotations

from conftest import sqlite_only
from mall.shop import member, product
from rules.api import call

from browser.test_phone_pages import a_tenant_speaking
from browser.test_shopping import looks_right
from jifen.members.sign_in_links import link_query

pytestmark = sqlite_only

THEMES = ("base", "classic", "fresh", "night")
SAMPLES = "/themes/base/static/samples"


def test_every_theme_on_a_phone(svc, client, live_server, phone, language, screenshot):
    shop = a_tenant_speaking(svc, language)
    tea = call(client, shop, "POST", "/categories", {"name": "茶 Tea"}, 201).json["id"]
    call(client, shop, "POST", "/categories", {"name": "杯具 Cups"}, 201)
    for name, image, price in [
        ("茉莉花茶 Jasmine tea", "tea", 300),
        ("旅行杯 Travel mug", "mug", 1_200),
    ]:
        item = product(
            client, shop, name=name, points_price=price, images=[f"{SAMPLES}/{image}.svg"]
        )
        if image == "tea":
            call(client, shop, "PATCH", f"/products/{item['id']}", {"category_id": tea}, 200)
            first = item
    alice = member(client, shop, 1_000)
    user_id = call(client, shop, "GET", f"/members/{alice}", None, 200).json["external_id"]
    key = call(client, shop, "POST", "/tenant/sign-in-keys", None, 201).json
    phone.goto(
        f"{live_server}/m/{shop.slug}/sign-in?"
        + link_query(key["id"], key["secret"], shop.slug, user_id, now=svc.clock.now())
    )

    for theme in THEMES:
        call(client, shop, "PATCH", "/tenant", {"theme": theme}, 200)
        for name, path in [
            ("home", "/"),
            ("shelf", "/shop"),
            ("product", f"/shop/{first['id']}"),
        ]:
            phone.goto(f"{live_server}/m/{shop.slug}{path}")
            assert phone.locator("body").get_attribute("class") == f"theme-{theme}"
            screenshot(phone, f"theme-{theme}-{name}")
            looks_right(phone)
