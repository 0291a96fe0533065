"""Ending a flash sale from the console: a running one stops selling now, one that has
not started is called off, and an ended one cannot end again."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from rules.api import call

from jifen.audit import SYSTEM
from jifen.mall import catalog
from jifen.mall.errors import FlashSaleEnded
from jifen.mall.models import FlashSale

from .shop import ADDRESS, member, placed, product


def a_sale(client, tenant, product_id: str, clock, start: timedelta, end: timedelta) -> uuid.UUID:
    body = {
        "starts_at": (clock.now() + start).isoformat(),
        "ends_at": (clock.now() + end).isoformat(),
        "points_price": 50,
        "stock": 5,
    }
    made = call(client, tenant, "POST", f"/products/{product_id}/flash-sales", body, 201)
    return uuid.UUID(made.json["id"])


def end(svc, tenant, sale_id: uuid.UUID) -> str:
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        return catalog.end_flash_sale(session, sale_id, actor=SYSTEM, clock=svc.clock)


def test_a_running_sale_ends_now_and_its_price_is_gone(client, tenant, svc, clock):
    item = product(client, tenant, points_price=100)
    sale = a_sale(client, tenant, item["id"], clock, timedelta(0), timedelta(hours=1))
    buyer = member(client, tenant, 1_000)
    assert placed(client, tenant, buyer, item["id"], address=ADDRESS)["points"] == 50
    clock.advance(minutes=5)

    assert end(svc, tenant, sale) == "ended"

    assert placed(client, tenant, buyer, item["id"], address=ADDRESS)["points"] == 100
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        kept = session.get(FlashSale, (tenant.tenant_id, sale))
        assert (kept.ends_at, kept.sold) == (clock.now(), 1)
    with pytest.raises(FlashSaleEnded):
        end(svc, tenant, sale)


def test_a_sale_still_to_come_is_called_off(client, tenant, svc, clock):
    item = product(client, tenant)
    sale = a_sale(client, tenant, item["id"], clock, timedelta(days=1), timedelta(days=2))

    assert end(svc, tenant, sale) == "called_off"

    listed = call(client, tenant, "GET", f"/products/{item['id']}/flash-sales", None, 200).json
    assert listed["items"] == []


def test_sales_are_listed_by_state_across_products(client, tenant, svc, clock):
    tea, mug = product(client, tenant, name="Tea"), product(client, tenant, name="Mug")
    running = a_sale(client, tenant, tea["id"], clock, timedelta(0), timedelta(hours=1))
    coming = a_sale(client, tenant, mug["id"], clock, timedelta(days=1), timedelta(days=2))
    clock.advance(minutes=1)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        now = clock.now()
        everything, _ = catalog.list_flash_sales(session, now=now, limit=10)
        live, _ = catalog.list_flash_sales(session, now=now, state="running", limit=10)
        later, _ = catalog.list_flash_sales(session, now=now, state="upcoming", limit=10)
        names = catalog.product_names(session, [s.product_id for s in everything])
    assert [s.id for s in everything] == [coming, running]
    assert [s.id for s in live] == [running] and [s.id for s in later] == [coming]
    assert sorted(names.values()) == ["Mug", "Tea"]
