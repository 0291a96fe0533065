"""What the mall's orders add up to, for the merchant's dashboard."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jifen.db import tenant_of
from jifen.mall.models import Order, Product

# Orders that did not end in a redemption.
UNDONE = ("cancelled", "refunded")


@dataclass(frozen=True)
class TopProduct:
    product_id: uuid.UUID
    name: str
    orders: int
    quantity: int
    points: int


def top_products(session: Session, first: date, last: date, *, limit: int = 10) -> list[TopProduct]:
    """The products members redeemed most from `first` to `last` (the tenant's local
    days), by quantity: orders cancelled or refunded do not count."""
    tenant_id = tenant_of(session)
    quantity = func.sum(Order.quantity)
    rows = session.execute(
        select(
            Order.product_id,
            Product.name,
            func.count(),
            quantity,
            func.sum(Order.points),
        )
        .join(Product, (Product.tenant_id == Order.tenant_id) & (Product.id == Order.product_id))
        .where(
            Order.tenant_id == tenant_id,
            Order.local_day >= first,
            Order.local_day <= last,
            Order.status.not_in(UNDONE),
        )
        .group_by(Order.product_id, Product.name)
        .order_by(quantity.desc(), Product.name)
        .limit(limit)
    )
    return [
        TopProduct(product_id, name, int(orders), int(units), int(points or 0))
        for product_id, name, orders, units, points in rows
    ]
