"""A merchant's banners on its mall's home page: set through `PATCH /tenant`, shown in
order with their text for members who cannot see them, each leading where it says; a
script for a link, too many banners, one without its text: refused, nothing changed."""

from __future__ import annotations

import re

import pytest
from conftest import sqlite_only
from rules.api import call

from storefront.mall_pages import page

pytestmark = sqlite_only

SALE = {"image_url": "/themes/base/static/samples/banner-double.svg", "alt": "Double points"}
TEA = {
    "image_url": "https://cdn.example.com/tea.png",
    "alt": "New teas <b>in</b>",
    "link": "/m/acme/shop?q=tea",
}


def test_the_home_page_shows_the_merchants_banners_in_order(client, tenant):
    set_to = call(client, tenant, "PATCH", "/tenant", {"banners": [SALE, TEA]}, 200).json

    html = page(client, f"/m/{tenant.slug}/")

    assert set_to["banners"] == [SALE | {"link": None}, TEA]
    images = re.findall(r'<img src="([^"]+)" alt="([^"]*)"[^>]*>', html.split('"banners"')[1])
    assert images[:2] == [
        (SALE["image_url"], "Double points"),
        (TEA["image_url"], "New teas &lt;b&gt;in&lt;/b&gt;"),  # text, never markup
    ]
    assert '<a href="/m/acme/shop?q=tea"><img src="https://cdn.example.com/tea.png"' in html
    assert 'loading="lazy"' not in html.split(TEA["image_url"])[0].split('"banners"')[1]

    call(client, tenant, "PATCH", "/tenant", {"banners": []}, 200)
    assert 'class="banners"' not in page(client, f"/m/{tenant.slug}/")


@pytest.mark.parametrize(
    "banners",
    [
        [SALE | {"link": "javascript:alert(1)"}],
        [SALE | {"link": "//evil.example/x"}],
        [SALE | {"image_url": "data:image/svg+xml,<svg/>"}],
        [{"image_url": SALE["image_url"]}],
        [SALE | {"alt": ""}],
        [SALE] * 6,
        "not a list",
    ],
)
def test_a_banner_that_cannot_be_is_refused_and_changes_nothing(client, tenant, banners):
    call(client, tenant, "PATCH", "/tenant", {"banners": [SALE]}, 200)

    refused = call(client, tenant, "PATCH", "/tenant", {"banners": banners}, 422).json

    assert refused["code"] == "validation_error" and "banners" in refused["details"]
    assert call(client, tenant, "GET", "/tenant", None, 200).json["banners"] == [
        SALE | {"link": None}
    ]
