"""Shipping in a batch: every order of it ships, or none does, each refused shipment
named by its place in the batch with the reason."""

from __future__ import annotations

import uuid

import pytest
from rules.api import call

from jifen.audit import Actor
from jifen.errors import ValidationFailed
from jifen.mall import shipments
from jifen.mall.errors import ShipmentsRefused
from jifen.mall.shipments import Shipment

from .shop import ADDRESS, member, placed, product, shipped

STAFF = Actor("user", "staff-1")


def a_paid_order(client, tenant, **fields) -> str:
    buyer = member(client, tenant, 1_000)
    return placed(client, tenant, buyer, product(client, tenant, **fields)["id"], address=ADDRESS)[
        "id"
    ]


def status_of(client, tenant, order_id: str) -> dict:
    return call(client, tenant, "GET", f"/orders/{order_id}", None, 200).json


def ship_all(svc, tenant, batch: list[Shipment]):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        return [o.id for o in shipments.ship_all(session, batch, actor=STAFF, clock=svc.clock)]


def test_a_batch_ships_every_order_in_it(client, tenant, svc):
    first, second = a_paid_order(client, tenant), a_paid_order(client, tenant)

    done = ship_all(
        svc,
        tenant,
        [
            Shipment(uuid.UUID(first), "SF", "SF1"),
            Shipment(uuid.UUID(second), "EMS", "E2"),
        ],
    )

    assert [str(order_id) for order_id in done] == [first, second]
    shown = [status_of(client, tenant, order_id) for order_id in (first, second)]
    assert [(o["status"], o["delivery"]["tracking_number"]) for o in shown] == [
        ("fulfilled", "SF1"),
        ("fulfilled", "E2"),
    ]
    assert shown[0]["history"][-1]["actor_kind"] == "user"


def test_a_batch_with_any_refused_shipment_ships_nothing_and_says_why(client, tenant, svc):
    good = a_paid_order(client, tenant)
    done = shipped(client, tenant, member(client, tenant, 1_000))["id"]
    code = product(
        client,
        tenant,
        kind="coupon",
        coupon={"type": "amount_off", "amount_off": 1, "valid_days": 30},
    )
    coupon_order = placed(client, tenant, member(client, tenant, 1_000), code["id"])["id"]
    batch = [
        Shipment(uuid.UUID(good), "SF", "1"),
        Shipment(uuid.UUID(done), "SF", "2"),
        Shipment(uuid.uuid4(), "SF", "3"),
        Shipment(uuid.UUID(good), "SF", "4"),
        Shipment(uuid.UUID(coupon_order), "SF", "5"),
    ]

    with pytest.raises(ShipmentsRefused) as refused:
        ship_all(svc, tenant, batch)

    reasons = {index: [m.id for m in said] for index, said in refused.value.details.items()}
    assert reasons == {
        1: ["This order has shipped already."],
        2: ["No order has this id."],
        3: ["This order is on an earlier row too."],
        4: ["Only physical orders are shipped."],
    }
    assert status_of(client, tenant, good)["status"] == "paid"


def test_another_merchants_order_is_no_order_to_a_batch(client, tenant, make_tenant, svc):
    other = make_tenant("elsewhere")
    theirs = a_paid_order(client, other)

    with pytest.raises(ShipmentsRefused) as refused:
        ship_all(svc, tenant, [Shipment(uuid.UUID(theirs), "SF", "1")])

    assert [m.id for m in refused.value.details[0]] == ["No order has this id."]
    assert status_of(client, other, theirs)["status"] == "paid"


def test_a_batch_too_large_is_refused_whole(svc, tenant, monkeypatch):
    monkeypatch.setattr(shipments, "MAX_BATCH", 2)
    batch = [Shipment(uuid.uuid4(), "SF", str(n)) for n in range(3)]

    with pytest.raises(ValidationFailed) as refused:
        ship_all(svc, tenant, batch)

    assert refused.value.params == {"most": 2}
