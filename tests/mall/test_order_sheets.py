"""Orders as the console reads them: searched by the words of their product's name and
the days they were placed on, listed with their product's name and member's reference,
their address decrypted only for a caller that holds the keyring; an order whole; and
an export audited."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from jifen.audit import Actor, AuditEvent
from jifen.mall import order_sheets, orders

from .shop import ADDRESS, help_asked, member, placed, product, reviewed, shipped


def found(svc, tenant, **filters) -> list[str]:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        rows, _ = orders.search_orders(session, **filters)
        return [str(order.id) for order in rows]


def test_orders_are_found_by_the_words_of_their_products_name(client, tenant, svc):
    buyer = member(client, tenant, 5_000)
    tea_id = product(client, tenant, name="Jasmine Green Tea")["id"]
    mug_id = product(client, tenant, name="Travel mug 100%")["id"]
    tea = placed(client, tenant, buyer, tea_id, address=ADDRESS)
    mug = placed(client, tenant, buyer, mug_id, address=ADDRESS)

    assert found(svc, tenant, product_named="green jasmine") == [tea["id"]]
    assert found(svc, tenant, product_named="100%") == [mug["id"]]
    assert found(svc, tenant, product_named="_") == []
    assert found(svc, tenant, product_named="tea mug") == []


def test_orders_are_found_by_the_days_they_were_placed_on(client, tenant, svc, clock):
    buyer = member(client, tenant, 5_000)
    item = product(client, tenant)["id"]
    first = placed(client, tenant, buyer, item, address=ADDRESS)
    clock.advance(days=1)
    second = placed(client, tenant, buyer, item, address=ADDRESS)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        days = [orders.get_order(session, uuid.UUID(o["id"])).local_day for o in (first, second)]
    yesterday, today = days
    assert today == yesterday + timedelta(days=1)

    assert found(svc, tenant, placed_from=today) == [second["id"]]
    assert found(svc, tenant, placed_until=yesterday) == [first["id"]]
    assert found(svc, tenant, placed_from=yesterday, placed_until=today) == [
        second["id"],
        first["id"],
    ]


def test_a_list_decrypts_addresses_only_with_the_keyring(client, tenant, svc):
    order = placed(
        client,
        tenant,
        member(client, tenant, 1_000),
        product(client, tenant)["id"],
        address=ADDRESS,
    )
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        row = orders.get_order(session, uuid.UUID(order["id"]))
        (hidden,) = order_sheets.lines_of(session, [row])
        (shown,) = order_sheets.lines_of(session, [row], svc.keyring)

    assert hidden.address is None and hidden.product_name.startswith("Item")
    assert shown.address == ADDRESS | {"postal_code": None}
    assert hidden.member_ref is not None and hidden.member_ref.startswith("m")


def test_an_orders_sheet_holds_its_history_request_and_review(client, tenant, svc):
    buyer = member(client, tenant, 1_000)
    order = shipped(client, tenant, buyer)
    asked = help_asked(client, tenant, order)
    client.post(f"/api/v1/orders/{order['id']}:complete", headers=tenant.headers)
    review = reviewed(client, tenant, order["id"], 3)

    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        sheet = order_sheets.sheet_of(session, uuid.UUID(order["id"]))
        steps = [step.status for step in sheet.history]
        asked_ids = [str(r.id) for r in sheet.requests]
        assert sheet.review is not None and str(sheet.review.id) == review["id"]

    assert steps == ["created", "paid", "fulfilled", "completed"]
    assert asked_ids == [asked["id"]] and not sheet.may_ask
    assert sheet.line.address is None and sheet.payments == [] and sheet.parts == []


def test_a_bundles_sheet_names_its_parts(client, tenant, svc):
    cup = product(client, tenant, name="Cup")["id"]
    saucer = product(client, tenant, name="Saucer")["id"]
    bundle = product(
        client,
        tenant,
        name="Tea set",
        bundle=[{"product_id": cup, "quantity": 2}, {"product_id": saucer, "quantity": 1}],
    )
    order = placed(client, tenant, member(client, tenant, 1_000), bundle["id"], address=ADDRESS)

    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        sheet = order_sheets.sheet_of(session, uuid.UUID(order["id"]))

    assert [(p.name, p.quantity) for p in sheet.parts] == [("Cup", 2), ("Saucer", 1)]


def test_an_export_is_audited_with_its_filters(tenant, svc):
    staff = Actor("user", "staff-1")
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        order_sheets.record_export(
            session, filters={"status": "paid"}, personal=True, actor=staff, clock=svc.clock
        )
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.export")).one()

    assert (event.actor_id, event.after) == (
        "staff-1",
        {"filters": {"status": "paid"}, "addresses": True},
    )
