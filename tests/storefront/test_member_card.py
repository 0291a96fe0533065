"""A member shows their card at a store's till: a code as a QR code, a barcode and digits,
which the point of sale redeems through the API to learn the member. A code is good once
and for a minute; a replay, an expired code, another merchant's or a made-up one is the
same refusal."""

from __future__ import annotations

import re
from html import unescape

import pytest
import segno
from conftest import sqlite_only
from rules.api import call

from jifen import schedules
from jifen.members.models import CardCode
from storefront.mall_pages import CHINESE, page, shopper, text

pytestmark = sqlite_only

REFUSED = {
    "code": "member_card_refused",
    "message": "This member card code is not valid: it is unknown, expired or used.",
    "details": {},
}


def card_code(client, tenant, headers=None) -> tuple[str, str]:
    html = page(client, f"/m/{tenant.slug}/account/card", *([headers] if headers else []))
    digits = re.search(r'<p class="card-digits">.*?</span>([\d ]+)</p>', html)[1]
    return digits.replace(" ", ""), html


def redeem(client, tenant, code: str, status: int):
    return call(client, tenant, "POST", "/members/card-codes:redeem", {"code": code}, status).json


def test_a_point_of_sale_learns_the_member_from_the_card_once(client, tenant):
    alice = shopper(client, tenant)
    code, html = card_code(client, tenant)

    assert len(code) == 18
    qr = re.search(r'<img class="card-qr" src="([^"]+)"', html)[1]
    assert unescape(qr) == segno.make(code, error="m").svg_data_uri(scale=6, border=2)
    assert re.search(r'<img class="card-bars" src="data:image/svg\+xml;base64,', html)
    scanned = redeem(client, tenant, " ".join(code[i : i + 4] for i in range(0, 18, 4)), 200)
    assert (scanned["id"], scanned["external_id"]) == (alice, "wx-alice")
    assert redeem(client, tenant, code, 422) == REFUSED  # a replay


def test_a_code_lives_a_minute_and_only_at_its_merchant(client, tenant, make_tenant, clock):
    shopper(client, tenant)
    late, _ = card_code(client, tenant)
    clock.advance(seconds=61)

    assert redeem(client, tenant, late, 422) == REFUSED
    other = make_tenant()
    fresh, _ = card_code(client, tenant)
    assert redeem(client, other, fresh, 422) == REFUSED
    assert redeem(client, tenant, fresh, 200)["external_id"] == "wx-alice"
    for made_up in ("123", "12345678901234567X", "0" * 18):
        assert redeem(client, tenant, made_up, 422) == REFUSED


def test_expired_codes_are_forgotten(client, tenant, svc, clock):
    shopper(client, tenant)
    card_code(client, tenant)
    clock.advance(seconds=61)
    schedules.purge_sign_ins(svc)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.query(CardCode).count() == 0


@pytest.mark.parametrize(
    "headers, says",
    [
        (None, "Show this at the till. The code works once, for 60 seconds."),
        (CHINESE, "请在收银台出示"),
    ],
)
def test_the_card_page_in_both_languages(client, tenant, headers, says):
    shopper(client, tenant)
    _, html = card_code(client, tenant, headers)
    assert says in text(html)


def test_a_browser_signed_in_to_no_member_gets_no_card(client, tenant):
    assert "card-digits" not in page(client, f"/m/{tenant.slug}/account/card", status=403)
