"""The mall's pages and the themes' files travel compressed to a browser that accepts it;
API answers and clients that do not ask stay as they are."""

from __future__ import annotations

import gzip

import brotli
from conftest import sqlite_only

pytestmark = sqlite_only


def test_pages_and_style_sheets_are_compressed_for_browsers_that_accept_it(client, tenant):
    page = client.get(f"/m/{tenant.slug}/", headers={"Accept-Encoding": "br, gzip"})
    assert page.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in page.headers["Vary"]
    assert "<!doctype html>" in brotli.decompress(page.get_data()).decode()

    css = client.get("/themes/base/static/mall.css", headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"
    assert b"--surface" in gzip.decompress(css.get_data())
    again = client.get(
        "/themes/base/static/mall.css",
        headers={"Accept-Encoding": "gzip", "If-None-Match": css.headers["ETag"]},
    )
    assert again.status_code == 304

    gzipped = client.get(f"/m/{tenant.slug}/shop", headers={"Accept-Encoding": "gzip"})
    assert b"<!doctype html>" in gzip.decompress(gzipped.get_data())


def test_api_answers_and_clients_that_do_not_ask_are_not_compressed(client, tenant):
    plain = client.get(f"/m/{tenant.slug}/")
    assert "Content-Encoding" not in plain.headers and b"<!doctype html>" in plain.get_data()
    api = client.get("/api/v1/tenant", headers=tenant.headers | {"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in api.headers and api.json["slug"] == tenant.slug
