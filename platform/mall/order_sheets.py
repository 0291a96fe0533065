"""Orders as the merchant's console reads them: a page of orders with the names beside
each (its product's, its member's), and one order whole (what it holds, where it goes,
its payments, its history, the member's requests for help and review).

A shipping address is personal data: it is decrypted only for a caller that passes the
keyring (the console does for staff whose role handles orders, who ship them), and an
export of orders that holds addresses is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import tenant_of
from jifen.keyring import Keyring
from jifen.mall import after_sales, reviews
from jifen.mall.models import AfterSalesRequest, Order, OrderEvent, Payment, Product, Review
from jifen.mall.orders import get_order
from jifen.members import Member, unseal


@dataclass(frozen=True)
class Names:
    """Products' names and members' references (the merchant's own user id; None for a
    member the mall made, who has none), by id."""

    products: dict[uuid.UUID, str]
    members: dict[uuid.UUID, str | None]


def names_of(
    session: Session, *, products: Iterable[uuid.UUID], members: Iterable[uuid.UUID]
) -> Names:
    """The names of these products and the references of these members (two reads)."""
    product_ids, member_ids = set(products), set(members)
    named = session.execute(
        select(Product.id, Product.name).where(Product.id.in_(product_ids))
    ).all()
    known = session.execute(
        select(Member.id, Member.external_id).where(Member.id.in_(member_ids))
    ).all()
    return Names({row.id: row.name for row in named}, {row.id: row.external_id for row in known})


@dataclass(frozen=True)
class OrderLine:
    """An order in a list: its product's name, its member's reference, and its address
    when it was asked for (None otherwise, and for an order with none)."""

    order: Order
    product_name: str
    member_ref: str | None
    address: dict[str, Any] | None


def lines_of(
    session: Session, orders: Sequence[Order], keyring: Keyring | None = None
) -> list[OrderLine]:
    """The orders as a list shows them; their addresses decrypted with `keyring`, when
    given."""
    names = names_of(
        session,
        products=(order.product_id for order in orders),
        members=(order.member_id for order in orders),
    )
    return [
        OrderLine(
            order,
            names.products.get(order.product_id, ""),
            names.members.get(order.member_id),
            _address(order, keyring),
        )
        for order in orders
    ]


def _address(order: Order, keyring: Keyring | None) -> dict[str, Any] | None:
    if keyring is None or order.address is None:
        return None
    return unseal(order.address, keyring)


@dataclass(frozen=True)
class RequestLine:
    """A request for help in a list: its order's product's name, its member's
    reference."""

    request: AfterSalesRequest
    product_name: str
    member_ref: str | None


def requests_listed(session: Session, requests: Sequence[AfterSalesRequest]) -> list[RequestLine]:
    """The requests as a list shows them (two reads for the names, one for the orders)."""
    rows = session.execute(
        select(Order.id, Order.product_id).where(Order.id.in_({r.order_id for r in requests}))
    )
    product_of = {row.id: row.product_id for row in rows}
    names = names_of(session, products=product_of.values(), members=(r.member_id for r in requests))
    return [
        RequestLine(
            r,
            names.products.get(product_of.get(r.order_id, r.order_id), ""),
            names.members.get(r.member_id),
        )
        for r in requests
    ]


@dataclass(frozen=True)
class Part:
    """One product of a bundle, and how many of it each unit of the bundle holds."""

    name: str
    quantity: int


@dataclass(frozen=True)
class OrderSheet:
    """One order whole, as its page shows it."""

    line: OrderLine
    parts: list[Part]
    history: list[OrderEvent]
    payments: list[Payment]
    requests: list[AfterSalesRequest]
    may_ask: bool
    review: Review | None


def sheet_of(session: Session, order_id: uuid.UUID, keyring: Keyring | None = None) -> OrderSheet:
    """The order with everything its page shows (NotFound for another tenant's); its
    address decrypted with `keyring`, when given."""
    order = get_order(session, order_id)
    (line,) = lines_of(session, [order], keyring)
    bundle = session.scalar(select(Product.bundle).where(Product.id == order.product_id)) or []
    part_names = names_of(
        session, products=(uuid.UUID(str(p["product_id"])) for p in bundle), members=()
    ).products
    parts = [
        Part(part_names.get(uuid.UUID(str(p["product_id"])), ""), int(p["quantity"]))
        for p in bundle
    ]
    history = session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.seq)
    ).all()
    payments = session.scalars(
        select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)
    ).all()
    asked = after_sales.on_order(session, order)
    return OrderSheet(
        line,
        parts,
        list(history),
        list(payments),
        asked.requests,
        asked.may_ask,
        reviews.of_order(session, order.id),
    )


def record_export(
    session: Session,
    *,
    filters: Mapping[str, str],
    personal: bool,
    actor: Actor,
    clock: Clock,
) -> None:
    """Audit an export of orders: which (`filters`, as given), and whether it held
    their shipping addresses (personal data leaving the platform)."""
    audit.record(
        session,
        tenant_id=tenant_of(session),
        actor=actor,
        action="order.export",
        object_type="order",
        object_id=None,
        after={"filters": dict(filters), "addresses": personal},
        now=clock.now(),
    )
