"""A member who opens the mall directly signs in with a one-time code sent to their
phone or email, where the merchant allows it: the code arrives through the notifier in
the language the page was in, works once within its life and a few tries, asking for
codes is throttled, and the pages tell a stranger nothing about who is a member."""

from __future__ import annotations

import re

import pytest
from conftest import sqlite_only
from notify.test_member_notices import FakeSms, SmsPlugin
from rules.api import call

from storefront.mall_pages import CHINESE, ENGLISH, form_fields, page, text
from storefront.test_sign_in_links import link, new_key

pytestmark = sqlite_only

PHONE = "13912345678"


@pytest.fixture
def sms(svc):
    gateway = FakeSms()
    svc.plugins.register(SmsPlugin(gateway), name="fake-sms")
    return gateway


@pytest.fixture
def codes_allowed(client, tenant):
    call(client, tenant, "PATCH", "/tenant", {"sign_in_methods": ["code", "link"]}, 200)
    body = {"external_id": "wx-alice", "name": "Alice", "phone": PHONE}
    return call(client, tenant, "POST", "/members", body, 201).json["id"]


def ask(client, tenant, address: str, headers=ENGLISH):
    form = form_fields(page(client, f"/m/{tenant.slug}/sign-in/code", headers))
    return client.post(
        f"/m/{tenant.slug}/sign-in/code", data=form | {"address": address}, headers=headers
    )


def enter(client, url: str, code: str, headers=ENGLISH):
    form = form_fields(page(client, url, headers))
    return client.post(url, data=form | {"code": code}, headers=headers)


def sent_code(svc, sms) -> str:
    svc.jobs.wait_idle()
    return re.search(r"\b(\d{6})\b", sms.sent[-1].body)[1]


def test_a_member_signs_in_with_the_code_sent_to_their_phone(
    client, tenant, svc, sms, codes_allowed
):
    asked = ask(client, tenant, "139 1234 5678", CHINESE)
    assert asked.status_code == 303
    code = sent_code(svc, sms)
    (message,) = sms.sent
    assert (message.to, message.locale) == (PHONE, "zh_CN")
    assert f"验证码是 {code}" in message.body

    signed_in = enter(client, asked.headers["Location"], code, CHINESE)

    assert signed_in.status_code == 303 and signed_in.headers["Location"] == f"/m/{tenant.slug}/"
    assert "Alice，您好" in text(page(client, f"/m/{tenant.slug}/", CHINESE))
    again = enter(client, asked.headers["Location"], code)  # a code works once
    assert again.status_code == 422 and "Ask for a new one." in text(again.get_data(as_text=True))


def test_a_wrong_code_counts_and_five_spend_it(client, tenant, svc, sms, codes_allowed):
    url = ask(client, tenant, PHONE).headers["Location"]
    code = sent_code(svc, sms)
    wrong = "000000" if code != "000000" else "111111"

    first = enter(client, url, wrong)
    assert first.status_code == 422
    assert "That code is not right." in text(first.get_data(as_text=True))
    for _ in range(4):
        enter(client, url, wrong)
    spent = enter(client, url, code)
    assert spent.status_code == 422 and "tried too often" in text(spent.get_data(as_text=True))
    assert "Hello, Alice" not in text(page(client, f"/m/{tenant.slug}/"))


def test_a_stranger_learns_nothing_and_gets_no_member(client, tenant, svc, sms, codes_allowed):
    member_page = page(client, ask(client, tenant, PHONE).headers["Location"])
    stranger = ask(client, tenant, "13700000000")
    stranger_page = page(client, stranger.headers["Location"])

    def same(html: str) -> str:
        return re.sub(r"/sign-in/code/[0-9a-f-]{36}|value=\"[^\"]+\"", "", html)

    assert same(member_page) == same(stranger_page)
    code = sent_code(svc, sms)  # the stranger's phone got a code too
    refused = enter(client, stranger.headers["Location"], code)
    assert refused.status_code == 403
    assert "No member of this mall has this phone number or email." in text(
        refused.get_data(as_text=True)
    )


def test_asking_for_codes_is_throttled_per_address(client, tenant, svc, sms, codes_allowed):
    for _ in range(5):
        assert ask(client, tenant, PHONE).status_code == 303
    refused = ask(client, tenant, PHONE)
    assert refused.status_code == 429
    assert "Try again in 15 minutes." in text(refused.get_data(as_text=True))
    assert ask(client, tenant, "alice@example.com").status_code == 303  # another address


def test_an_expired_code_is_refused(client, tenant, svc, sms, codes_allowed, clock):
    url = ask(client, tenant, PHONE).headers["Location"]
    code = sent_code(svc, sms)
    clock.advance(minutes=11)
    assert enter(client, url, code).status_code == 422


def test_what_is_not_an_address_is_said(client, tenant, codes_allowed):
    too_long = ask(client, tenant, "a" * 250 + "@example.com")
    assert too_long.status_code == 422  # refused, not cut short
    refused = ask(client, tenant, "not a phone")
    assert refused.status_code == 422
    assert "Give a mobile phone number or an email address." in text(refused.get_data(as_text=True))


def test_methods_the_merchant_does_not_allow_are_closed(client, tenant):
    assert client.get(f"/m/{tenant.slug}/sign-in/code").status_code == 404
    call(client, tenant, "PATCH", "/tenant", {"sign_in_methods": ["code"]}, 200)
    call(client, tenant, "POST", "/members", {"external_id": "wx-bob"}, 201)
    assert client.get(link(tenant, new_key(client, tenant), "wx-bob")).status_code == 403
    bad = call(client, tenant, "PATCH", "/tenant", {"sign_in_methods": []}, 422).json
    assert list(bad["details"]) == ["sign_in_methods"]


def test_the_dev_mailbox_shows_what_the_log_notifier_sent(client, tenant, svc, codes_allowed):
    ask(client, tenant, PHONE)
    svc.jobs.wait_idle()
    mailbox = text(page(client, "/dev/mailbox"))
    assert PHONE in mailbox and re.search(r"your sign-in code is \d{6}", mailbox)
    from_afar = client.get("/dev/mailbox", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert from_afar.status_code == 404
