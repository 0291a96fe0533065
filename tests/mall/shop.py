"""Small factories for the mall's API tests."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from rules.api import call

from jifen.audit import Actor
from jifen.mall import after_sales, get_order, reviews
from jifen.members.models import Member

_numbers = itertools.count(1)

ADDRESS = {
    "name": "张伟",
    "phone": "13800138000",
    "region": "上海市 浦东新区",
    "line": "世纪大道 100 号",
}


def member(client, tenant, points: int = 0, **earn: Any) -> str:
    member_id = call(
        client, tenant, "POST", "/members", {"external_id": f"m{next(_numbers)}"}, 201
    ).json["id"]
    if points:
        give(client, tenant, member_id, points, **earn)
    return member_id


def give(client, tenant, member_id: str, points: int, **earn: Any) -> dict:
    body = {"member_id": member_id, "amount": points, **earn}
    return call(client, tenant, "POST", "/points/earn", body, 201).json


def balance(client, tenant, member_id: str) -> int:
    return call(client, tenant, "GET", f"/members/{member_id}/points", None, 200).json["balance"]


def product(client, tenant, **fields: Any) -> dict:
    body = {
        "kind": "physical",
        "name": f"Item {next(_numbers)}",
        "points_price": 100,
        "stock": 10,
        "status": "active",
        **fields,
    }
    return call(client, tenant, "POST", "/products", body, 201).json


def get_product(client, tenant, product_id: str) -> dict:
    return call(client, tenant, "GET", f"/products/{product_id}", None, 200).json


def order(client, tenant, member_id: str, product_id: str, quantity: int = 1, **fields: Any):
    body = {"member_id": member_id, "product_id": product_id, "quantity": quantity}
    body |= fields
    headers = dict(tenant.headers) | fields.pop("headers", {})
    body.pop("headers", None)
    return client.post("/api/v1/orders", json=body, headers=headers)


def placed(client, tenant, member_id: str, product_id: str, quantity: int = 1, **fields: Any):
    response = order(client, tenant, member_id, product_id, quantity, **fields)
    assert response.status_code == 201, response.json
    return response.json


def points(client, tenant, member_id: str) -> dict:
    """The member's wallet: balance, held points."""
    return call(client, tenant, "GET", f"/members/{member_id}/points", None, 200).json


def a_phone(client, tenant) -> dict:
    """A points-plus-cash product: 2,000 points + 300.00 yuan, five in stock."""
    return product(
        client,
        tenant,
        mode="points_cash",
        name="手机 Phone",
        points_price=2_000,
        cash_price=30_000,
        currency="CNY",
        stock=5,
    )


def use_gateway(client, tenant, svc, gateway) -> None:
    """Install a fake payment provider (the external boundary) and make it the
    tenant's."""
    svc.plugins.register(gateway)
    svc.__dict__.pop("payment_providers", None)  # built on first use: rebuild with it
    call(client, tenant, "PATCH", "/mall/settings", {"payment_provider": gateway.name}, 200)


def awaiting_payment(
    client, tenant, member_id: str, product_id: str, quantity: int = 1, **fields: Any
):
    """Place an order with a cash part: 202, its payment requested from the provider."""
    response = order(client, tenant, member_id, product_id, quantity, **fields)
    assert response.status_code == 202, response.json
    assert response.json["status"] == "awaiting_payment"
    return response.json


def set_tier(svc, tenant, member_id: str, code: str | None) -> None:
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        session.execute(
            Member.__table__.update()
            .where(Member.__table__.c.id == uuid.UUID(member_id))
            .values(tier=code)
        )


def reviewed(client, tenant, order_id: str, rating: int = 5, text: str | None = None) -> dict:
    """The order's member reviews it, as the mall's form does (members review in the
    mall only); the review as the API shows it."""
    svc = client.application.extensions["jifen.services"]
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        order = get_order(session, uuid.UUID(order_id))
        author = Actor("member", str(order.member_id))
        review = reviews.submit(
            session, order.id, order.member_id, rating, text, actor=author, clock=svc.clock
        )
        review_id = str(review.id)
    return call(client, tenant, "GET", f"/reviews/{review_id}", None, 200).json


def shipped(client, tenant, member_id: str, product_id: str | None = None) -> dict:
    """A physical order of the member's, placed with an address and shipped."""
    item = product_id or product(client, tenant)["id"]
    placed_order = placed(client, tenant, member_id, item, address=ADDRESS)
    body = {"carrier": "SF", "tracking_number": "SF1"}
    return call(client, tenant, "POST", f"/orders/{placed_order['id']}:ship", body, 200).json


def help_asked(
    client, tenant, order: dict, kind: str = "damaged", description: str | None = "Cracked."
) -> dict:
    """The order's member asks for help with it, as the mall's form does: the request as
    the API shows it."""
    svc = client.application.extensions["jifen.services"]
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        asked = after_sales.open_request(
            session,
            uuid.UUID(order["id"]),
            uuid.UUID(order["member_id"]),
            kind,
            description,
            actor=Actor("member", order["member_id"]),
            clock=svc.clock,
        )
        asked_id = asked.id
    return call(client, tenant, "GET", f"/after-sales/{asked_id}", None, 200).json
