"""A member asks, from the mall, to be erased: the page says what that means in their
language, the request is kept once with its time, listed for the merchant and announced
(no personal data in the event); the merchant erases them, and the list is empty."""

from __future__ import annotations

import pytest
from conftest import sqlite_only
from rules.api import call
from sqlalchemy import select

from jifen.outbox.models import OutboxEvent
from storefront.mall_pages import CHINESE, ENGLISH, form_fields, page, shopper, text

pytestmark = sqlite_only


def asked(client, tenant) -> list[dict]:
    return call(client, tenant, "GET", "/members?erasure_requested=true", None, 200).json["items"]


@pytest.mark.parametrize(
    ("headers", "before", "after"),
    [
        (ENGLISH, "Acme will erase your name, phone number", "You asked on Mar 1, 2026."),
        (CHINESE, "Acme 将删除您的姓名、手机号", "您已于 2026年3月1日 提出申请。"),
    ],
)
def test_a_member_asks_to_be_erased_and_the_merchant_erases_them(
    client, tenant, svc, clock, headers, before, after
):
    alice = shopper(client, tenant)
    url = f"/m/{tenant.slug}/account/erasure"
    html = page(client, url, headers)
    assert before in text(html)

    for _ in range(2):  # asking twice is asking once
        assert client.post(url, data=form_fields(html)).status_code == 303

    assert after in text(page(client, url, headers))
    (listed,) = asked(client, tenant)
    assert listed["id"] == alice and listed["erasure_requested_at"] == clock.now().isoformat()
    with svc.relay.reading() as connection:
        events = connection.execute(
            select(OutboxEvent.payload).where(OutboxEvent.type == "member.erasure_requested")
        ).all()
    assert [payload for (payload,) in events] == [{"member_id": alice}]

    call(client, tenant, "POST", f"/members/{alice}/erasure", None, 200)
    assert asked(client, tenant) == []


def test_a_form_without_its_token_or_a_signed_out_browser_asks_nothing(client, tenant):
    url = f"/m/{tenant.slug}/account/erasure"
    page(client, url, status=403)
    shopper(client, tenant)

    assert client.post(url, data={}).status_code == 400
    assert asked(client, tenant) == []
