"""Buying points in the mall where the merchant sells them: the member picks an amount
(or types one), sees its price at the merchant's rate, pays on the provider's page and
the points arrive, once however often the form is sent; a declined payment adds none.
A mall that sells no points has no such page; bad amounts are told plainly; another
member's top-up is the same 404 as a missing one."""

from __future__ import annotations

import re

from conftest import sqlite_only
from mall.test_payment_notices import buttons
from rules.api import balance, call
from sqlalchemy import func, select

from jifen.db import cross_tenant
from jifen.mall.models import Payment
from storefront.mall_pages import CHINESE, ENGLISH, form_fields, page, shopper, text

pytestmark = sqlite_only


def selling(client, tenant, rate: int = 100) -> None:
    settings = {"payment_provider": "offline_test", "topup_enabled": True, "topup_rate": rate}
    call(client, tenant, "PATCH", "/mall/settings", settings, 200)


def payments(svc, tenant) -> int:
    """How many payments the tenant has."""
    with svc.db.session() as session, cross_tenant(session, "a test counts payments"):
        query = select(func.count()).where(Payment.tenant_id == tenant.tenant_id)
        return int(session.scalar(query) or 0)


def top_up_page(client, tenant, headers=ENGLISH, status: int = 200) -> str:
    return page(client, f"/m/{tenant.slug}/account/top-up", headers, status)


def buy(client, tenant, points: str, fields: dict[str, str] | None = None):
    fields = fields or form_fields(top_up_page(client, tenant))
    return client.post(f"/m/{tenant.slug}/account/top-up", data=fields | {"points": points})


def pay(client, svc, payment_page: str, outcome: str = "succeeded") -> str:
    """Pay (or decline) on the provider's page the top-up's page links to; where the
    provider sends the member back."""
    assert svc.jobs.wait_idle()  # the provider has the payment
    (pay_url,) = re.findall(r'href="(/pay/offline-test/[^"]+)"', payment_page)
    action, fields = buttons(client.get(pay_url).get_data(as_text=True))[outcome]
    paid = client.post(action, data=fields)
    assert paid.status_code == 303
    return paid.headers["Location"]


def test_a_member_buys_points_and_they_arrive_once_paid(client, tenant, svc):
    selling(client, tenant, rate=100)
    member_id = shopper(client, tenant)
    offered = text(top_up_page(client, tenant))
    assert "100 积分 for CN¥1.00" in offered
    assert "1,000 积分 CN¥10.00" in offered and "10,000 积分 CN¥100.00" in offered
    assert "充值" in text(top_up_page(client, tenant, CHINESE))

    started = buy(client, tenant, "2000")
    assert started.status_code == 303
    payment_url = started.headers["Location"]
    waiting = page(client, payment_url)
    assert "2,000 积分 for CN¥20.00" in text(waiting) and "Pay now" in waiting
    assert balance(client, tenant, member_id) == 0

    back = pay(client, svc, waiting)

    assert back == payment_url
    assert "Paid: the 积分 are yours." in text(page(client, back))
    assert "已支付" in text(page(client, back, CHINESE))
    assert balance(client, tenant, member_id) == 2_000
    history = text(page(client, f"/m/{tenant.slug}/account/history"))
    assert "top-up" in history and "+2,000" in history


def test_a_double_submit_starts_one_payment(client, tenant, svc):
    selling(client, tenant)
    shopper(client, tenant)
    fields = form_fields(top_up_page(client, tenant))

    first, second = buy(client, tenant, "500", fields), buy(client, tenant, "500", fields)

    assert first.headers["Location"] == second.headers["Location"]
    assert payments(svc, tenant) == 1
    # Back on the same page, another amount: a payment of its own.
    other = buy(client, tenant, "1000", fields)
    assert other.status_code == 303 and other.headers["Location"] != first.headers["Location"]
    assert payments(svc, tenant) == 2


def test_a_declined_payment_adds_nothing(client, tenant, svc):
    selling(client, tenant)
    member_id = shopper(client, tenant)
    waiting = page(client, buy(client, tenant, "300").headers["Location"])

    back = pay(client, svc, waiting, "failed")

    shown = text(page(client, back))
    assert "Not paid: nothing was charged and no points were added." in shown
    assert "Pay now" not in shown and "Try again" in shown
    assert balance(client, tenant, member_id) == 0


def test_bad_amounts_are_told_plainly_and_start_nothing(client, tenant, svc):
    selling(client, tenant)
    shopper(client, tenant)
    for given in ("", "0", "-5", "1.5", "ten", "1000000001", "9" * 40, "²", "١٢٣", "5 000"):
        refused = buy(client, tenant, given)
        assert refused.status_code == 422, given
        assert "Enter a whole number of points from 1 to 1,000,000,000." in text(
            refused.get_data(as_text=True)
        )
    zh = client.post(
        f"/m/{tenant.slug}/account/top-up",
        data=form_fields(top_up_page(client, tenant)) | {"points": "x"},
        headers=CHINESE,
    )
    assert "请输入 1 到 1,000,000,000 之间的整数积分" in text(zh.get_data(as_text=True))
    assert payments(svc, tenant) == 0


def test_forms_without_their_token_or_key_are_refused(client, tenant):
    selling(client, tenant)
    shopper(client, tenant)
    fields = form_fields(top_up_page(client, tenant))
    for missing in ("csrf_token", "key"):
        kept = {name: value for name, value in fields.items() if name != missing}
        assert buy(client, tenant, "100", kept).status_code == 400


def test_a_mall_selling_no_points_has_no_top_up(client, tenant):
    call(client, tenant, "PATCH", "/mall/settings", {"topup_enabled": False}, 200)
    shopper(client, tenant)
    top_up_page(client, tenant, status=404)
    assert client.post(f"/m/{tenant.slug}/account/top-up", data={}).status_code == 404
    assert "Top up" not in text(page(client, f"/m/{tenant.slug}/account"))
    selling(client, tenant)
    assert "Top up" in text(page(client, f"/m/{tenant.slug}/account"))


def test_another_members_top_up_is_not_found(app, client, tenant):
    selling(client, tenant)
    shopper(client, tenant)
    payment_url = buy(client, tenant, "100").headers["Location"]
    bob = app.test_client()
    shopper(bob, tenant, user_id="wx-bob")
    assert "Pay now" not in page(bob, payment_url, status=404)
    page(bob, f"/m/{tenant.slug}/account/top-up/{'0' * 8}-0000-0000-0000-{'0' * 12}", status=404)
