"""A lottery in the mall: its prizes and published odds on its page, a draw from the
confirmation step with its result, an address for a prize to ship, and the draw record,
whose recipe, run as printed with the seed revealed after the period, gives the prize
each draw gave."""

from __future__ import annotations

import contextlib
import io
import re
from html import unescape

import pytest
from conftest import sqlite_only
from mall.shop import ADDRESS, product

from storefront.mall_pages import CHINESE, ENGLISH, form_fields, page, shopper, text
from storefront.test_redeem import confirm

pytestmark = sqlite_only

PRIZES = [
    {"code": "gold", "name": "500 积分", "weight": 1, "stock": 1, "points": 500},
    {"code": "scarf", "name": "真丝围巾 Silk scarf", "weight": 2, "stock": 2, "goods": True},
    {"code": "thanks", "name": "谢谢参与 +5", "weight": 7, "points": 5},
]


def a_lottery(client, tenant, prizes=PRIZES) -> dict:
    params = {"prizes": prizes, "consolation": "thanks"}
    return product(
        client,
        tenant,
        name="幸运大转盘 Lucky wheel",
        mode="lottery",
        mode_params=params,
        points_price=50,
        stock=10,
    )


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (ENGLISH, ["Prizes and their odds", "500 积分 10% 0 / 1", "谢谢参与 +5 70% 0", "Draw"]),
        (
            CHINESE,
            ["奖品与中奖概率", "500 积分 10% 0 / 1", "真丝围巾 Silk scarf 20% 0 / 2", "抽奖"],
        ),
    ],
)
def test_a_lotterys_page_publishes_its_odds(client, tenant, headers, says):
    wheel = a_lottery(client, tenant)
    shopper(client, tenant, points=1_000)

    shown = text(page(client, f"/m/{tenant.slug}/shop/{wheel['id']}", headers))

    for words in says:
        assert words in shown


def test_a_prize_to_ship_asks_for_its_address_after_the_draw(client, tenant):
    only_scarves = [
        {"code": "scarf", "name": "真丝围巾 Silk scarf", "weight": 1, "stock": 5, "goods": True},
        {"code": "thanks", "name": "谢谢参与 +5", "weight": 0, "points": 5},
    ]
    wheel = a_lottery(client, tenant, only_scarves)
    shopper(client, tenant, points=1_000)

    drawn = confirm(client, tenant, wheel["id"])  # no address up front

    assert drawn.status_code == 303
    order_page = page(client, drawn.headers["Location"])
    assert "You won: 真丝围巾 Silk scarf" in text(order_page)
    assert "Awaiting your address" in text(order_page)
    form = {"csrf_token": form_fields(order_page)["csrf_token"], **ADDRESS}
    action = re.search(r'action="([^"]+/address)"', order_page)[1]
    assert client.post(action, data=form | {"line": ""}).status_code == 422
    given = client.post(action, data=form)
    assert given.status_code == 303
    assert "Preparing" in text(page(client, given.headers["Location"]))


def test_the_draw_record_recomputes_every_draw_once_the_seed_is_revealed(client, tenant, clock):
    # No prize runs out in three draws, so each is given the prize it drew (a prize out
    # of stock gives the consolation instead: the record says so, the recipe does not).
    wheel = a_lottery(client, tenant, [prize | {"stock": None} for prize in PRIZES])
    shopper(client, tenant, points=1_000)
    given = []
    for _ in range(3):
        order_page = page(client, confirm(client, tenant, wheel["id"]).headers["Location"])
        given.append(re.search(r"You won: ([^<]+)<", order_page)[1])
    record_url = f"/m/{tenant.slug}/shop/{wheel['id']}/draws"
    before = text(page(client, record_url))
    assert "revealed when the period ends" in before
    (period,) = re.findall(r"(\d{4}-\d\d-\d\d) · [^·]+ · 3 draws", before)

    clock.advance(days=1)
    record = page(client, f"{record_url}?period={period}")
    seed_hash, seed = re.search(
        rf"<strong>{period}</strong>.*?<code>(\w+)</code>.*?<code>(\w+)</code>", record, re.S
    ).groups()
    recipe = unescape(
        re.search(r'<pre class="recipe"[^>]*><code>(.*?)</code></pre>', record, re.S)[1]
    )
    names = {prize["code"]: prize["name"] for prize in PRIZES}
    for n in (1, 2, 3):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(recipe, {"SEED": seed, "SEED_HASH": seed_hash, "PERIOD": period, "N": n})
        assert names[printed.getvalue().strip()] == given[n - 1]
    assert f"<td>1</td><td>{given[0]}</td>" in record


def test_another_tenants_or_a_plain_product_has_no_draw_record(client, tenant, make_tenant):
    mug = product(client, tenant, name="Travel mug")
    theirs = a_lottery(client, make_tenant())
    wheel = a_lottery(client, tenant)
    for product_id in (mug["id"], theirs["id"]):
        page(client, f"/m/{tenant.slug}/shop/{product_id}/draws", status=404)
    page(client, f"/m/{tenant.slug}/shop/{wheel['id']}/draws?period=1999-01-01", status=404)
