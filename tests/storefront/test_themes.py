"""A merchant picks one of the shipped themes (each with its manifest) and brands the
mall with its colour, logo, name and points name; whatever colour it picks, the text on
it and the text in it stay readable, and what it writes is shown as text."""

from __future__ import annotations

import re

import pytest
from conftest import sqlite_only
from rules.api import call

from jifen.storefront.branding import BODY_TEXT, contrast, palette
from jifen.theming import Themes
from storefront.mall_pages import page

pytestmark = sqlite_only

SHIPPED = ("base", "classic", "fresh", "night")


def test_every_shipped_theme_has_its_manifest(svc):
    themes = Themes(svc.plugins)
    for name in SHIPPED:
        manifest = themes.get(name).manifest
        assert manifest["name"] == name and manifest["title"] and manifest["description"]
        settings = manifest["settings"]
        assert re.fullmatch(r"#[0-9a-f]{6}", settings["primary_color"])
        if name != "base":
            assert (themes.get(name).static / settings["stylesheet"]).is_file()


@pytest.mark.parametrize("theme", SHIPPED[1:])
def test_a_merchant_picks_a_theme(client, tenant, theme):
    call(client, tenant, "PATCH", "/tenant", {"theme": theme}, 200)

    html = page(client, f"/m/{tenant.slug}/")

    assert f'<body class="theme-{theme}">' in html
    assert f"/themes/{theme}/static/{theme}.css" in html


def test_a_theme_no_plugin_installed_is_refused(client, tenant):
    refused = call(client, tenant, "PATCH", "/tenant", {"theme": "neon"}, 422).json
    assert refused["details"] == {"theme": ["No installed theme has this name."]}


@pytest.mark.parametrize(
    ("brand", "on_it"), [("#ffd400", "#1a1a1a"), ("#0b3d91", "#ffffff"), ("#137a41", "#ffffff")]
)
def test_the_brand_colour_keeps_its_text_readable(client, tenant, brand, on_it):
    call(client, tenant, "PATCH", "/tenant", {"brand_color": brand.upper()}, 200)

    html = page(client, f"/m/{tenant.slug}/")

    colors = palette(brand, "#ffffff")
    assert colors.on_primary == on_it
    assert contrast(colors.primary_text, "#ffffff") >= BODY_TEXT
    assert f"--primary: {brand}; --on-primary: {on_it}; --primary-text: " in html


def test_the_logo_and_names_are_the_merchants_and_shown_as_text(client, tenant):
    branding = {
        "logo_url": "https://cdn.example.com/acme.png",
        "name": '<img src=x onerror="alert(1)">Acme',
        "points_name": "金币",
    }
    call(client, tenant, "PATCH", "/tenant", branding, 200)

    html = page(client, f"/m/{tenant.slug}/")

    assert '<img class="logo" src="https://cdn.example.com/acme.png"' in html
    assert "onerror=" not in html.replace("onerror=&#34;", "")  # escaped, not an attribute
    assert "&lt;img src=x" in html
    assert "Open the mall from" in html and "金币" in html


def test_a_colour_must_be_exactly_rrggbb(client, tenant):
    for given in ("#00aa00\n", "00aa00", "#00aa0", "red"):
        refused = call(client, tenant, "PATCH", "/tenant", {"brand_color": given}, 422).json
        assert refused["details"] == {"brand_color": ["Give a colour as #rrggbb."]}


def test_a_mall_page_is_never_cached(client, tenant):
    assert client.get(f"/m/{tenant.slug}/").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:image/png;base64,AAAA"])
def test_a_logo_that_is_not_an_image_address_is_refused(client, tenant, url):
    refused = call(client, tenant, "PATCH", "/tenant", {"logo_url": url}, 422).json
    assert list(refused["details"]) == ["logo_url"]
