"""Every collection answers `{items, next_cursor}`, paged by `limit` and `cursor`: read a
few at a time, a list gives every item exactly once, in the order of a single page; a
cursor the API did not return is `422 invalid_cursor`."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from mall.shop import ADDRESS, help_asked, member, placed, product, reviewed, shipped
from rules.api import call, rule

from jifen.pagination import encode_cursor

LOTTERY = {
    "prizes": [
        {"code": "gold", "name": "500 积分", "weight": 1, "points": 500},
        {"code": "thanks", "name": "谢谢参与 +5", "weight": 9, "points": 5},
    ],
    "consolation": "thanks",
}


def categories(client, tenant, clock) -> str:
    for order, name in enumerate(["杯子", "茶", "Tea", "tea", "咖啡"]):
        call(client, tenant, "POST", "/categories", {"name": name, "sort_order": order % 2}, 201)
    return "/categories"


def partners(client, tenant, clock) -> str:
    for name in ["茶", "Tea", "tea", "咖啡", "Tea"]:
        partner = {"name": name, "currency": "CNY", "budget": 1_000}
        call(client, tenant, "POST", "/partners", partner, 201)
    return "/partners"


def flash_sales(client, tenant, clock) -> str:
    item = product(client, tenant, stock=100)["id"]
    for hours in (5, 1, 3):
        sale = {
            "starts_at": (clock.now() + timedelta(hours=hours)).isoformat(),
            "ends_at": (clock.now() + timedelta(hours=hours + 1)).isoformat(),
            "points_price": 50,
            "stock": 3,
        }
        call(client, tenant, "POST", f"/products/{item}/flash-sales", sale, 201)
    return f"/products/{item}/flash-sales"


def coupons(client, tenant, clock) -> str:
    buyer = member(client, tenant, 1_000)
    terms = {"type": "amount_off", "amount_off": 100, "threshold": 0, "valid_days": 30}
    voucher = product(client, tenant, kind="coupon", points_price=1, coupon=terms)["id"]
    for _ in range(5):
        placed(client, tenant, buyer, voucher)
    return f"/coupons?member_id={buyer}"


def draws(client, tenant, clock) -> str:
    wheel = product(client, tenant, mode="lottery", mode_params=LOTTERY, stock=None)["id"]
    today = call(client, tenant, "GET", f"/products/{wheel}/lottery", None, 200).json
    player = member(client, tenant, 1_000)
    for _ in range(5):
        placed(client, tenant, player, wheel, address=ADDRESS)
    return f"/products/{wheel}/lottery/draws?period={today['periods'][1]['key']}"


def event_kinds(client, tenant, clock) -> str:
    for kind in ("app_review", "a_share", "zz_visit"):
        call(client, tenant, "POST", "/event-kinds", {"kind": kind, "title": kind}, 201)
    return "/event-kinds"


def rules(client, tenant, clock) -> str:
    for n in range(5):
        rule(client, tenant, "spend", name=f"spend {n}")
        clock.advance(seconds=n % 2)
    return "/rules"


def rule_versions(client, tenant, clock) -> str:
    rule_id = rule(client, tenant, "spend", status="draft")["id"]
    for n in range(4):
        call(client, tenant, "PATCH", f"/rules/{rule_id}", {"name": f"v{n}"}, 200)
    return f"/rules/{rule_id}/versions"


def rule_types(client, tenant, clock) -> str:
    return "/rule-types"


def members(client, tenant, clock) -> str:
    for _ in range(5):
        member(client, tenant)
    return "/members"


def products(client, tenant, clock) -> str:
    for _ in range(5):
        product(client, tenant)
    return "/products"


def orders(client, tenant, clock) -> str:
    buyer, item = member(client, tenant, 1_000), product(client, tenant)["id"]
    for _ in range(5):
        placed(client, tenant, buyer, item, address=ADDRESS)
    return "/orders"


def reviews(client, tenant, clock) -> str:
    buyer = member(client, tenant, 1_000)
    terms = {"type": "amount_off", "amount_off": 100, "threshold": 0, "valid_days": 30}
    voucher = product(client, tenant, kind="coupon", points_price=1, coupon=terms)["id"]
    for rating in range(1, 6):
        reviewed(client, tenant, placed(client, tenant, buyer, voucher)["id"], rating)
        clock.advance(seconds=rating % 2)  # some at the same instant: ordered by id then
    return "/reviews"


def after_sales(client, tenant, clock) -> str:
    buyer, item = member(client, tenant, 1_000), product(client, tenant)["id"]
    for _ in range(4):
        help_asked(client, tenant, shipped(client, tenant, buyer, item))
    return "/after-sales"


def history(client, tenant, clock) -> str:
    buyer = member(client, tenant, 1)
    for _ in range(4):
        call(client, tenant, "POST", "/points/earn", {"member_id": buyer, "amount": 1}, 201)
    return f"/members/{buyer}/points/history"


LISTS = [
    categories,
    partners,
    flash_sales,
    coupons,
    draws,
    event_kinds,
    rules,
    rule_versions,
    rule_types,
    members,
    products,
    orders,
    reviews,
    after_sales,
    history,
]


# Not a position; text holding NUL (which PostgreSQL cannot compare); three zero bytes.
FORGED = ["nonsense", encode_cursor("\x00", uuid.UUID(int=1)), "AAAA"]


def with_query(path: str, **query: object) -> str:
    return path + ("&" if "?" in path else "?") + "&".join(f"{k}={v}" for k, v in query.items())


def read(client, tenant, path: str, status: int = 200, **query: object):
    return call(client, tenant, "GET", with_query(path, **query), None, status).json


@pytest.mark.parametrize("setup", LISTS, ids=lambda setup: setup.__name__)
def test_paging_through_a_list_gives_every_item_once_and_no_forged_page(
    client, tenant, clock, setup
):
    path = setup(client, tenant, clock)
    whole = read(client, tenant, path, limit=100)
    assert set(whole) == {"items", "next_cursor"}
    assert whole["next_cursor"] is None
    assert len(whole["items"]) >= 3

    paged, cursor = [], None
    while True:
        page = read(client, tenant, path, limit=2, **({"cursor": cursor} if cursor else {}))
        assert set(page) == {"items", "next_cursor"}
        assert 1 <= len(page["items"]) <= 2
        paged += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(paged) < len(whole["items"])

    assert paged == whole["items"]
    for forged in FORGED:
        assert read(client, tenant, path, 422, cursor=forged)["code"] == "invalid_cursor"


@pytest.mark.parametrize("limit", [0, 101, "x", 1.5])
def test_a_limit_out_of_range_is_refused(client, tenant, limit):
    refused = read(client, tenant, "/partners", 422, limit=limit)
    assert refused["code"] == "validation_error"
    assert "limit" in refused["details"]["query"]


def test_a_cursor_is_refused_by_every_list_but_its_own(client, tenant, clock):
    # Keys of the same layout (a bare id: members, orders, ...) must not make one list's
    # cursor page another list from a foreign position.
    cursors = {}
    for setup in LISTS:
        path = setup(client, tenant, clock)
        cursors[path] = read(client, tenant, path, limit=1)["next_cursor"]
    assert len(cursors) == len(LISTS)
    for path, cursor in cursors.items():
        assert read(client, tenant, path, limit=1, cursor=cursor)["items"]
        for other in cursors.keys() - {path}:
            refused = read(client, tenant, other, 422, limit=1, cursor=cursor)
            assert refused["code"] == "invalid_cursor", (path, other)
