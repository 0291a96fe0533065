"""A merchant replaces one of its theme's templates: the mall shows the new one at once
(never another tenant's, never a stale version), in Jinja's sandbox, so a template that
reaches for Python's internals or fails shows the theme's page instead, and one that
does not compile, or names no template of the themes, is refused."""

from __future__ import annotations

import logging

from conftest import sqlite_only
from rules.api import call

from storefront.mall_pages import page, text

pytestmark = sqlite_only

HOME = (
    '{% extends "theme:home.html" %}'
    '{% block content %}<p class="own">Lantern sale</p>{{ super() }}{% endblock %}'
)


def put(client, tenant, name: str, source: str, status: int = 200):
    return call(client, tenant, "PUT", f"/tenant/templates/{name}", {"source": source}, status)


def test_an_override_shows_at_once_for_its_tenant_only(client, tenant, make_tenant):
    other = make_tenant()
    first = put(client, tenant, "home.html", HOME).json
    assert (first["name"], first["version"]) == ("home.html", 1)

    mine = text(page(client, f"/m/{tenant.slug}/"))
    assert "Lantern sale" in mine and "Welcome to the points mall" in mine  # super()
    assert "Lantern sale" not in text(page(client, f"/m/{other.slug}/"))

    second = put(client, tenant, "home.html", HOME.replace("Lantern", "Dragon boat")).json
    assert second["version"] == 2
    now = text(page(client, f"/m/{tenant.slug}/"))
    assert "Dragon boat sale" in now and "Lantern sale" not in now
    listed = call(client, tenant, "GET", "/tenant/templates", None, 200).json
    assert [(t["name"], t["version"]) for t in listed] == [("home.html", 2)]

    call(client, tenant, "DELETE", "/tenant/templates/home.html", None, 204)
    assert "Dragon boat" not in text(page(client, f"/m/{tenant.slug}/"))


def test_an_override_of_the_layout_frames_the_theme_s_pages(client, tenant):
    layout = (
        '{% extends "theme:layout.html" %}'
        "{% block header_extra %}<p>Free shipping</p>{% endblock %}"
    )
    put(client, tenant, "layout.html", layout)

    for path in ("", "shop"):
        assert "Free shipping" in text(page(client, f"/m/{tenant.slug}/{path}"))


def test_the_sandbox_refuses_pythons_internals_and_the_theme_stands_in(client, tenant, caplog):
    put(client, tenant, "home.html", "{{ ''.__class__.__mro__[1].__subclasses__() }}")

    with caplog.at_level(logging.WARNING):
        shown = page(client, f"/m/{tenant.slug}/")

    assert "Welcome to the points mall" in text(shown) and "subclasses" not in shown
    assert "its template home.html failed" in caplog.text


def test_merchant_text_in_an_override_is_still_escaped(client, tenant):
    call(client, tenant, "PATCH", "/tenant", {"name": "<script>alert(1)</script>"}, 200)
    put(client, tenant, "home.html", "<h1>{{ tenant.name }}</h1>")
    html = page(client, f"/m/{tenant.slug}/")
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_a_template_that_does_not_compile_or_is_not_the_themes_is_refused(client, tenant):
    broken = put(client, tenant, "home.html", "{% if %}", 422).json
    assert list(broken["details"]) == ["source"] and broken["details"]["source"][0].startswith(
        "Line 1:"
    )
    unknown = put(client, tenant, "../../etc/passwd", "x", 404)
    assert unknown.status_code == 404  # not a route at all
    nameless = put(client, tenant, "secrets.html", "x", 404).json
    assert nameless["code"] == "not_found"
    call(client, tenant, "DELETE", "/tenant/templates/home.html", None, 404)
