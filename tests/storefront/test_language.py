"""A member switches the mall's language: their choice wins over their browser's, stays
with the browser (signed in or not) and with the member (on another phone too), and
takes them back to the page they were on, never to another site."""

from __future__ import annotations

import re

from conftest import sqlite_only

from jifen.members.models import Member
from storefront.mall_pages import CHINESE, form_fields, page, shopper, text
from storefront.test_sign_in_links import link, new_key

pytestmark = sqlite_only


def switch(client, tenant, locale: str, html: str, headers=CHINESE, **fields):
    form = {"csrf_token": form_fields(html)["csrf_token"], "locale": locale, "next": "/"} | fields
    return client.post(f"/m/{tenant.slug}/language", data=form, headers=headers)


def test_a_visitor_chooses_english_over_their_browsers_chinese(client, tenant):
    home = page(client, f"/m/{tenant.slug}/shop", CHINESE)
    assert "搜索" in text(home)

    done = switch(client, tenant, "en", home, next=f"/m/{tenant.slug}/shop?q=tea")

    assert done.status_code == 303 and done.headers["Location"] == f"/m/{tenant.slug}/shop?q=tea"
    assert "Search" in text(page(client, f"/m/{tenant.slug}/shop", CHINESE))
    assert '<html lang="en">' in page(client, f"/m/{tenant.slug}/", CHINESE)


def test_a_members_choice_follows_them_to_another_phone(client, app, svc, tenant):
    alice = shopper(client, tenant)
    switch(client, tenant, "en", page(client, f"/m/{tenant.slug}/", CHINESE))
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.query(Member).filter(Member.id == alice).one().locale == "en"

    other_phone = app.test_client()
    other_phone.get(link(tenant, new_key(client, tenant), "wx-alice"))  # signed in anew
    assert "Hello, Alice" in text(page(other_phone, f"/m/{tenant.slug}/", CHINESE))


def test_a_language_or_a_page_it_does_not_know_is_refused_or_ignored(client, tenant):
    home = page(client, f"/m/{tenant.slug}/", CHINESE)

    assert switch(client, tenant, "fr", home).status_code == 400
    elsewhere_paths = (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        f"/m/{tenant.slug}/\n/x",
        "/m/other-mall/",
    )
    for elsewhere in elsewhere_paths:
        done = switch(client, tenant, "en", home, next=elsewhere)
        assert done.headers["Location"] == f"/m/{tenant.slug}/"
    no_token = client.post(f"/m/{tenant.slug}/language", data={"locale": "en"})
    assert no_token.status_code == 400


def test_every_page_offers_both_languages(client, tenant):
    html = page(client, f"/m/{tenant.slug}/", CHINESE)
    assert re.search(
        r'<button type="submit" name="locale" value="zh_CN" lang="zh-CN"[^>]*>中文', html
    )
    assert 'value="en" lang="en">English</button>' in html
