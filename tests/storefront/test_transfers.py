"""A member gives points to a friend where the merchant allows it: the friend named by
phone number or email, shown half hidden to confirm, the points moved once (a double
submit gives once) and the history showing them gone, in both languages. Over the
merchant's limits, more than the member has, themselves, a stranger, a mall that
allows no transfers: a clear word on the page, and nothing moves."""

from __future__ import annotations

import re

import pytest
from conftest import sqlite_only
from rules.api import call, member

from storefront.mall_pages import CHINESE, ENGLISH, form_fields, page, shopper, text
from storefront.test_check_in import balance

pytestmark = sqlite_only


def allow(client, tenant, **limits) -> None:
    body = {"transfers_enabled": True, **limits}
    call(client, tenant, "PATCH", "/points/policy", body, 200)


def a_friend(client, tenant) -> str:
    return member(client, tenant, "wx-bob", name="王小明", phone="13800138000")


def check(client, tenant, to: str, amount: str, headers=ENGLISH):
    html = page(client, f"/m/{tenant.slug}/account/transfer", headers)
    form = form_fields(html) | {"to": to, "amount": amount}
    return client.post(f"/m/{tenant.slug}/account/transfer", data=form, headers=headers)


def confirm(client, tenant, checked, headers=ENGLISH) -> object:
    html = checked.get_data(as_text=True)
    url = f"/m/{tenant.slug}/account/transfer/confirm"
    return client.post(url, data=form_fields(html), headers=headers)


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (
            ENGLISH,
            [
                "Give to 王**",
                "Points 300 积分",
                "Left after this 700 积分",
                "Sent 300 积分 to 王**.",
            ],
        ),
        (
            CHINESE,
            ["转给 王**", "积分 300 积分", "转赠后剩余 700 积分", "已将 300 积分转给 王**。"],
        ),
    ],
)
def test_a_member_gives_points_to_a_friend_once(client, tenant, headers, says):
    allow(client, tenant)
    alice = shopper(client, tenant, points=1_000)
    bob = a_friend(client, tenant)

    checked = check(client, tenant, "138 0013 8000", "300", headers)
    shown = text(checked.get_data(as_text=True))
    done = confirm(client, tenant, checked, headers)
    again = confirm(client, tenant, checked, headers)  # the same form, sent twice

    assert checked.status_code == 200
    for words in says[:3]:
        assert words in shown
    assert done.status_code == again.status_code == 303
    assert done.headers["Location"] == f"/m/{tenant.slug}/account/history"
    assert says[3] in text(page(client, done.headers["Location"], headers))
    assert balance(client, tenant, alice) == 700 and balance(client, tenant, bob) == 300


@pytest.mark.parametrize(
    ("to", "amount", "field", "says"),
    [
        ("13900139000", "100", "to", "No member of this mall has this phone number or email."),
        ("not a phone", "100", "to", "Give a mobile phone number or an email address."),
        ("13700137000", "100", "to", "That is you: name a friend."),
        ("13800138000", "0", "amount", "Give a whole number of points, 1 or more."),
        ("13800138000", "1.5", "amount", "Give a whole number of points, 1 or more."),
        ("13800138000", "9" * 300, "amount", "Give a whole number of points, 1 or more."),
        ("13800138000", "²", "amount", "Give a whole number of points, 1 or more."),
        ("13800138000", "1001", "amount", "You have 1,000 to give."),
    ],
)
def test_what_cannot_be_given_is_said_by_its_field(client, tenant, to, amount, field, says):
    allow(client, tenant)
    alice = shopper(client, tenant, points=1_000)
    call(client, tenant, "PATCH", f"/members/{alice}", {"phone": "13700137000"}, 200)
    a_friend(client, tenant)

    refused = check(client, tenant, to, amount)

    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(rf'id="transfer-{field}-problem">{re.escape(says)}<', html), html
    assert balance(client, tenant, alice) == 1_000


def test_a_member_trying_phone_numbers_is_stopped_after_a_few_misses(client, tenant, clock):
    allow(client, tenant)
    shopper(client, tenant, points=1_000)
    a_friend(client, tenant)
    for n in range(5):  # five numbers no member has
        assert check(client, tenant, f"1390000000{n}", "1").status_code == 422

    stopped = check(client, tenant, "13800138000", "1")  # a member's, found no more

    assert stopped.status_code == 429
    assert "Too many look-ups. Try again in 15 min." in text(stopped.get_data(as_text=True))
    assert "王**" not in text(stopped.get_data(as_text=True))
    zh = check(client, tenant, "13800138000", "1", CHINESE)
    assert "查询次数过多，请 15 分钟后再试。" in text(zh.get_data(as_text=True))
    clock.advance(minutes=15)
    assert check(client, tenant, "13800138000", "1").status_code == 200


def test_the_merchants_limits_are_kept_and_said(client, tenant):
    allow(client, tenant, transfer_max=500, transfer_daily_max=600)
    alice = shopper(client, tenant, points=1_000)
    bob = a_friend(client, tenant)
    assert "At most 500 at a time. At most 600 a day." in text(
        page(client, f"/m/{tenant.slug}/account/transfer")
    )

    too_much = check(client, tenant, "13800138000", "501")
    first = confirm(client, tenant, check(client, tenant, "13800138000", "400"))
    over_the_day = confirm(client, tenant, check(client, tenant, "13800138000", "300"))

    assert too_much.status_code == 422  # said at once, by its field
    assert 'id="transfer-amount-problem">At most 500 at a time.<' in too_much.get_data(as_text=True)
    assert over_the_day.status_code == 409
    assert "600 points a day" in text(over_the_day.get_data(as_text=True))
    assert first.status_code == 303
    assert balance(client, tenant, alice) == 600 and balance(client, tenant, bob) == 400


def test_a_mall_that_allows_no_transfers_has_no_such_page(client, tenant):
    shopper(client, tenant, points=1_000)
    a_friend(client, tenant)

    assert "Give points to a friend" not in page(client, f"/m/{tenant.slug}/account")
    page(client, f"/m/{tenant.slug}/account/transfer", status=404)
    assert client.post(f"/m/{tenant.slug}/account/transfer", data={}).status_code == 404


def test_a_signed_out_browser_or_a_form_without_its_token_gives_nothing(client, tenant):
    allow(client, tenant)
    page(client, f"/m/{tenant.slug}/account/transfer", status=403)
    alice = shopper(client, tenant, points=1_000)
    a_friend(client, tenant)
    checked = check(client, tenant, "13800138000", "300")
    fields = form_fields(checked.get_data(as_text=True))
    del fields["csrf_token"]

    url = f"/m/{tenant.slug}/account/transfer/confirm"
    assert client.post(url, data=fields).status_code == 400
    assert balance(client, tenant, alice) == 1_000


def test_a_phone_two_members_share_names_no_one_and_a_form_gives_to_its_friend_only(client, tenant):
    allow(client, tenant)
    alice = shopper(client, tenant, points=1_000)
    bob = a_friend(client, tenant)
    member(client, tenant, "wx-carol", phone="13900139000")
    member(client, tenant, "wx-dave", phone="13900139000")  # Carol's family's phone
    erin = member(client, tenant, "wx-erin", phone="13600136000")

    shared = check(client, tenant, "13900139000", "100")
    checked = check(client, tenant, "13800138000", "100")
    fields = form_fields(checked.get_data(as_text=True))
    url = f"/m/{tenant.slug}/account/transfer/confirm"
    to_carol = client.post(url, data=fields | {"to": "13900139000"})
    to_erin = client.post(url, data=fields | {"to": "13600136000"})  # not whom it showed
    tampered = client.post(url, data=fields | {"key": "k" * 200})

    assert shared.status_code == 422
    assert "More than one member has this" in text(shared.get_data(as_text=True))
    assert to_carol.status_code == 422 and tampered.status_code == 400
    assert to_erin.status_code == 409
    assert "Check who this is again." in text(to_erin.get_data(as_text=True))
    assert balance(client, tenant, alice) == 1_000
    assert balance(client, tenant, bob) == balance(client, tenant, erin) == 0
