"""After-sales: a member asks for help with an order whose goods have shipped, the
merchant finds it through the API and answers it (resolved or declined, with a reply),
each step audited and announced; one request open per order, held by the database too;
a refund resolves the open request; another tenant's request is a missing one."""

from __future__ import annotations

import uuid

import pytest
from conftest import sqlite_only
from rules.api import call
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from test_domain_events import logged

from jifen.audit import Actor, AuditEvent
from jifen.errors import NotFound
from jifen.mall import after_sales
from jifen.mall.errors import AfterSalesOpen, NotShipped
from jifen.mall.models import AfterSalesRequest
from mall.shop import ADDRESS, help_asked, member, placed, product, shipped


def listed(client, tenant, query: str = "") -> list[dict]:
    return call(client, tenant, "GET", f"/after-sales{query}", None, 200).json["items"]


def answer(client, tenant, asked: dict, how: str, reply: str, status: int = 200):
    return call(
        client, tenant, "POST", f"/after-sales/{asked['id']}:{how}", {"reply": reply}, status
    )


def test_the_merchant_finds_a_request_for_help_and_resolves_it(client, tenant, svc, clock):
    alice = member(client, tenant, 1_000)
    order = shipped(client, tenant, alice)

    asked = help_asked(client, tenant, order, "damaged", "The lid is cracked.")

    assert asked["status"] == "open" and asked["reply"] is None
    assert (asked["order_id"], asked["member_id"]) == (order["id"], alice)
    assert (asked["kind"], asked["description"]) == ("damaged", "The lid is cracked.")
    assert [r["id"] for r in listed(client, tenant, "?status=open")] == [asked["id"]]
    clock.advance(hours=2)
    done = answer(client, tenant, asked, "resolve", "  A new one is on its way.  ").json
    assert (done["status"], done["reply"]) == ("resolved", "A new one is on its way.")
    assert done["closed_at"] == clock.now().isoformat() and done["closed_by_kind"] == "api_key"
    assert listed(client, tenant, "?status=open") == []
    assert [r["id"] for r in listed(client, tenant, f"?order_id={order['id']}")] == [asked["id"]]
    announced = [(e.type, e.payload) for e in logged(svc, "after_sales.opened")]
    announced += [(e.type, e.payload) for e in logged(svc, "after_sales.closed")]
    ids = {"after_sales_id": asked["id"], "order_id": order["id"], "member_id": alice}
    assert announced == [
        ("after_sales.opened", ids | {"kind": "damaged"}),
        ("after_sales.closed", ids | {"status": "resolved"}),
    ]
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        audited = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_id == asked["id"])
            .order_by(AuditEvent.created_at)
        ).all()
    assert audited == ["after_sales.open", "after_sales.resolve"]


@sqlite_only
def test_a_declined_request_says_why_and_the_member_may_ask_again(client, tenant):
    order = shipped(client, tenant, member(client, tenant, 1_000))
    first = help_asked(client, tenant, order, "not_received", None)

    with pytest.raises(AfterSalesOpen):
        help_asked(client, tenant, order, "other", "Still nothing.")
    declined = answer(client, tenant, first, "decline", "It was delivered on Monday.").json
    second = help_asked(client, tenant, order, "other", "Still nothing.")

    assert (declined["status"], declined["reply"]) == ("declined", "It was delivered on Monday.")
    assert [r["id"] for r in listed(client, tenant)] == [second["id"], first["id"]]
    refused = answer(client, tenant, first, "resolve", "Sorry.", 409).json
    assert (refused["code"], refused["details"]) == (
        "after_sales_state_conflict",
        {"status": "declined"},
    )


@sqlite_only
def test_help_is_asked_for_goods_that_shipped_or_arrived_only(client, tenant):
    alice = member(client, tenant, 1_000)
    mug = product(client, tenant, points_price=100)["id"]
    preparing = placed(client, tenant, alice, mug, address=ADDRESS)
    terms = {"type": "amount_off", "amount_off": 100, "valid_days": 30}
    coupon = product(client, tenant, kind="coupon", points_price=1, coupon=terms)["id"]
    arrived = shipped(client, tenant, alice, mug)
    call(client, tenant, "POST", f"/orders/{arrived['id']}:complete", None, 200)

    for order, status in [
        (preparing, "paid"),
        (placed(client, tenant, alice, coupon), "completed"),
    ]:
        with pytest.raises(NotShipped) as refused:
            help_asked(client, tenant, order)
        assert refused.value.details["status"] == status
    assert help_asked(client, tenant, arrived)["status"] == "open"


@sqlite_only
def test_another_members_order_is_a_missing_one(client, tenant, svc):
    order = shipped(client, tenant, member(client, tenant, 1_000))
    bob = member(client, tenant)

    with svc.db.transaction(tenant_id=tenant.tenant_id) as session, pytest.raises(NotFound):
        after_sales.open_request(
            session,
            uuid.UUID(order["id"]),
            uuid.UUID(bob),
            "damaged",
            None,
            actor=Actor("member", bob),
            clock=svc.clock,
        )
    assert listed(client, tenant) == []


def test_the_database_keeps_one_request_open_per_order(client, tenant, svc):
    asked = help_asked(client, tenant, shipped(client, tenant, member(client, tenant, 1_000)))
    twin = {
        "tenant_id": tenant.tenant_id,
        "order_id": uuid.UUID(asked["order_id"]),
        "member_id": uuid.UUID(asked["member_id"]),
        "kind": "other",
        "description": "Past the service's check, as a concurrent request would be.",
        "status": "open",
        "created_at": svc.clock.now(),
    }

    with pytest.raises(IntegrityError), svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        session.add(AfterSalesRequest(id=uuid.uuid4(), **twin))
    answer(client, tenant, asked, "decline", "No.")
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        session.add(AfterSalesRequest(id=uuid.uuid4(), **twin))  # none open now
    assert [r["status"] for r in listed(client, tenant)] == ["open", "declined"]


@sqlite_only
def test_a_refund_resolves_the_orders_open_request(client, tenant, svc):
    alice = member(client, tenant, 1_000)
    order = shipped(client, tenant, alice)
    asked = help_asked(client, tenant, order, "wrong_item", "A teapot, not a mug.")

    call(client, tenant, "POST", f"/orders/{order['id']}:refund", {"reason": "wrong item"}, 200)

    resolved = call(client, tenant, "GET", f"/after-sales/{asked['id']}", None, 200).json
    assert (resolved["status"], resolved["reply"], resolved["closed_by_kind"]) == (
        "resolved",
        None,
        "api_key",
    )
    assert [e.payload["status"] for e in logged(svc, "after_sales.closed")] == ["resolved"]
    assert call(client, tenant, "GET", f"/members/{alice}/points", None, 200).json["balance"] == (
        1_000
    )


@sqlite_only
def test_another_tenants_request_is_answered_as_a_missing_one(client, tenant, make_tenant):
    asked = help_asked(client, tenant, shipped(client, tenant, member(client, tenant, 1_000)))
    rival = make_tenant("rival")

    for path in [f"/after-sales/{asked['id']}", f"/after-sales/{uuid.uuid4()}"]:
        refused = call(client, rival, "GET", path, None, 404).json
        assert (refused["code"], refused["details"]) == ("not_found", {"resource": "after_sales"})
        refused = call(client, rival, "POST", f"{path}:resolve", {"reply": "Mine now."}, 404).json
        assert refused["code"] == "not_found"
    assert listed(client, rival) == []
    assert listed(client, tenant)[0]["status"] == "open"


@sqlite_only
@pytest.mark.parametrize("body", [{}, {"reply": "   "}, {"reply": "x" * 1_001}])
def test_an_answer_without_a_reply_is_refused(client, tenant, body):
    asked = help_asked(client, tenant, shipped(client, tenant, member(client, tenant, 1_000)))

    refused = call(client, tenant, "POST", f"/after-sales/{asked['id']}:resolve", body, 422).json

    assert refused["code"] == "validation_error" and "reply" in refused["details"]
    assert listed(client, tenant, "?status=open")[0]["id"] == asked["id"]
