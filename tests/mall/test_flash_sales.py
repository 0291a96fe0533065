"""Flash sales (秒杀): a window with its own price, stock and per-member limit, which
hold under concurrency too."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from rules.api import call

from .shop import ADDRESS, balance, get_product, member, order, placed, product, set_tier


def a_sale(client, tenant, product_id: str, clock, **fields) -> dict:
    body = {
        "starts_at": (clock.now() + timedelta(hours=1)).isoformat(),
        "ends_at": (clock.now() + timedelta(hours=2)).isoformat(),
        "points_price": 99,
        "stock": 3,
        **fields,
    }
    return call(client, tenant, "POST", f"/products/{product_id}/flash-sales", body)


def test_a_flash_sale_sells_its_own_stock_at_its_price(client, tenant, svc, clock):
    call(
        client,
        tenant,
        "PUT",
        "/tiers",
        {
            "tiers": [
                {
                    "code": "gold",
                    "name": "Gold",
                    "rank": 1,
                    "basis": "lifetime_points",
                    "threshold": 10**9,
                    "redemption_discount_percent": 10,
                }
            ]
        },
        200,
    )
    buyer = member(client, tenant, 10_000)
    set_tier(svc, tenant, buyer, "gold")
    item = product(client, tenant, points_price=1_000, stock=100)
    sale = a_sale(client, tenant, item["id"], clock, limit_per_member=2)
    assert sale.status_code == 201
    overlap = a_sale(
        client,
        tenant,
        item["id"],
        clock,
        starts_at=(clock.now() + timedelta(minutes=90)).isoformat(),
        ends_at=(clock.now() + timedelta(hours=3)).isoformat(),
    )
    assert overlap.json["code"] == "flash_sale_overlap"

    before = placed(client, tenant, buyer, item["id"], address=ADDRESS)
    assert (before["points"], before["flash_sale_id"]) == (900, None)  # gold's 10% off
    clock.advance(hours=1)
    quote = call(
        client, tenant, "GET", f"/products/{item['id']}/quote?member_id={buyer}", None, 200
    )
    assert quote.json["points"] == 99
    during = placed(client, tenant, buyer, item["id"], 2, address=ADDRESS)
    assert (during["points"], during["flash_sale_id"]) == (198, sale.json["id"])
    over = order(client, tenant, buyer, item["id"], address=ADDRESS)
    assert over.json["details"] == {"period": "flash_sale", "limit": 2, "taken": 2, "requested": 1}
    other = member(client, tenant, 10_000)
    placed(client, tenant, other, item["id"], address=ADDRESS)
    sold_out = order(client, tenant, other, item["id"], address=ADDRESS)
    assert sold_out.json["code"] == "out_of_stock"
    assert get_product(client, tenant, item["id"])["stock"] == 99  # only the early order
    sales = call(client, tenant, "GET", f"/products/{item['id']}/flash-sales", None, 200).json[
        "items"
    ]
    assert (sales[0]["stock"], sales[0]["sold"]) == (0, 3)

    call(client, tenant, "POST", f"/orders/{during['id']}:cancel", {}, 200)
    sales = call(client, tenant, "GET", f"/products/{item['id']}/flash-sales", None, 200).json[
        "items"
    ]
    assert (sales[0]["stock"], sales[0]["sold"]) == (2, 1)
    assert balance(client, tenant, buyer) == 10_000 - 900
    clock.advance(hours=1)
    after = placed(client, tenant, other, item["id"], address=ADDRESS)
    assert (after["points"], after["flash_sale_id"]) == (1_000, None)


def test_one_member_clicking_many_times_gets_no_more_than_the_limit(app, client, tenant, clock):
    buyer = member(client, tenant, 10_000)
    item = product(client, tenant, points_price=1_000, stock=100)
    a_sale(client, tenant, item["id"], clock, stock=10, limit_per_member=2)
    clock.advance(hours=1)

    def click(_):
        return (
            app.test_client()
            .post(
                "/api/v1/orders",
                json={"member_id": buyer, "product_id": item["id"], "address": ADDRESS},
                headers=tenant.headers,
            )
            .status_code
        )

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(click, range(24)))

    assert statuses.count(201) == 2
    assert set(statuses) == {201, 409}
    assert balance(client, tenant, buyer) == 10_000 - 2 * 99
    sales = call(client, tenant, "GET", f"/products/{item['id']}/flash-sales", None, 200).json[
        "items"
    ]
    assert (sales[0]["stock"], sales[0]["sold"]) == (8, 2)


def test_a_per_member_limit_as_large_as_the_api_allows_is_kept(client, tenant, clock):
    largest = 2**53 - 1
    item = product(client, tenant, stock=100)
    sale = a_sale(client, tenant, item["id"], clock, limit_per_member=largest)

    assert sale.status_code == 201, sale.json
    assert sale.json["limit_per_member"] == largest
