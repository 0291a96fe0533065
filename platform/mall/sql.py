"""Core statements of the mall; every one takes its tenant explicitly.

Stock moves only through the two conditional UPDATEs here: taking units succeeds only
while enough are left, in the same statement that takes them, so concurrent orders (a
flash sale's crowd) can never take more than there is.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    bindparam,
    case,
    func,
    or_,
    select,
    true,
    update,
)

from jifen.mall.models import FlashSale, Order, Partner, Product, ProductCode
from jifen.types import MAX_SAFE_INTEGER

_PRODUCTS = Product.__table__
_ORDERS = Order.__table__
_PARTNERS = Partner.__table__
_SALES = FlashSale.__table__
_CODES = ProductCode.__table__
# Orders that no longer hold their units: they count towards no limit.
UNDONE = ("cancelled", "refunded")


_LIVE_SALE = (
    select(_SALES)
    .where(
        _SALES.c.tenant_id == bindparam("tenant_id"),
        _SALES.c.product_id == bindparam("product_id"),
        _SALES.c.starts_at <= bindparam("now"),
        _SALES.c.ends_at > bindparam("now"),
    )
    .limit(1)
    .subquery()
)
# Built once: a statement this shape costs more to build and key than to run.
_SHELF = (
    select(
        _PRODUCTS.c.status,
        _PRODUCTS.c.mode,
        _PRODUCTS.c.listed_from,
        _PRODUCTS.c.listed_until,
        _PRODUCTS.c.stock,
        _LIVE_SALE.c.id.label("sale_id"),
        _LIVE_SALE.c.points_price.label("sale_price"),
        _LIVE_SALE.c.stock.label("sale_stock"),
        _LIVE_SALE.c.limit_per_member.label("sale_limit"),
    )
    .select_from(_PRODUCTS)
    .outerjoin(_LIVE_SALE, true())
    .where(
        _PRODUCTS.c.tenant_id == bindparam("tenant_id"),
        _PRODUCTS.c.id == bindparam("product_id"),
    )
)


def shelf(
    connection: Connection, tenant_id: uuid.UUID, product_id: uuid.UUID, now: datetime
) -> Any:
    """What decides at once whether a product can be ordered (None when there is no such
    product): its status, mode, listing window and stock, and the flash sale running now, if
    any (`sale_id`, `sale_price`, `sale_stock`, `sale_limit`)."""
    values = {"tenant_id": tenant_id, "product_id": product_id, "now": now}
    return connection.execute(_SHELF, values).one_or_none()


def _taking(table: Any, sign: int) -> Any:
    """UPDATE taking (sign 1) or returning (-1) `quantity` units of a row's stock; taking
    only while that many are left, or the stock is unlimited (NULL)."""
    # Named unlike any column: an UPDATE reserves column names for its SET values.
    quantity: BindParameter[int] = bindparam("quantity")
    statement = update(table).where(
        table.c.tenant_id == bindparam("for_tenant"), table.c.id == bindparam("holder_id")
    )
    if sign > 0:
        statement = statement.where(or_(table.c.stock.is_(None), table.c.stock >= quantity))
    return statement.values(
        stock=table.c.stock - sign * quantity, sold=table.c.sold + sign * quantity
    )


# Built once, for a product's own stock and a flash sale's.
_TAKE = {"product": _taking(_PRODUCTS, 1), "flash_sale": _taking(_SALES, 1)}
_RETURN = {"product": _taking(_PRODUCTS, -1), "flash_sale": _taking(_SALES, -1)}


def take_stock(
    connection: Connection,
    tenant_id: uuid.UUID,
    holder: str,
    holder_id: uuid.UUID,
    quantity: int,
) -> bool:
    """Take `quantity` units of a product's or a flash sale's (`holder`) stock if that
    many are left (always, when the stock is unlimited)."""
    values = {"for_tenant": tenant_id, "holder_id": holder_id, "quantity": quantity}
    return connection.execute(_TAKE[holder], values).rowcount == 1


def return_stock(
    connection: Connection,
    tenant_id: uuid.UUID,
    holder: str,
    holder_id: uuid.UUID,
    quantity: int,
) -> None:
    """Put units an order took back on the shelf (or the flash sale's)."""
    values = {"for_tenant": tenant_id, "holder_id": holder_id, "quantity": quantity}
    connection.execute(_RETURN[holder], values)


def restock(
    connection: Connection, tenant_id: uuid.UUID, product_id: uuid.UUID, change: int
) -> bool:
    """Add (or, negative, remove) units of a product with limited stock; False when that
    would leave less than none or more than 2^53 - 1, or the product's stock is
    unlimited. (Stock and change both within 2^53 - 1, their sum cannot overflow.)"""
    result = connection.execute(
        update(_PRODUCTS)
        .where(
            _PRODUCTS.c.tenant_id == tenant_id,
            _PRODUCTS.c.id == product_id,
            _PRODUCTS.c.stock.is_not(None),
            _PRODUCTS.c.stock + change >= 0,
            _PRODUCTS.c.stock + change <= MAX_SAFE_INTEGER,
        )
        .values(stock=_PRODUCTS.c.stock + change)
    )
    return result.rowcount == 1


def units_taken(
    connection: Connection,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID,
    product_id: uuid.UUID,
    *,
    today: date,
    week_start: date,
) -> tuple[int, int, int]:
    """Units of a product the member's live orders hold: placed today, this week, ever."""

    def since(day: date) -> ColumnElement[int]:
        return func.coalesce(
            func.sum(case((_ORDERS.c.local_day >= day, _ORDERS.c.quantity), else_=0)), 0
        )

    row = connection.execute(
        select(
            since(today), since(week_start), func.coalesce(func.sum(_ORDERS.c.quantity), 0)
        ).where(
            _ORDERS.c.tenant_id == tenant_id,
            _ORDERS.c.member_id == member_id,
            _ORDERS.c.product_id == product_id,
            _ORDERS.c.status.not_in(UNDONE),
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def move_order(
    connection: Connection,
    tenant_id: uuid.UUID,
    order_id: uuid.UUID,
    allowed: tuple[str, ...],
    status: str,
    **values: object,
) -> bool:
    """Move an order to `status` if it is in one of the `allowed` ones: the check and
    the move are one statement, so two staff members cannot both refund an order."""
    result = connection.execute(
        update(_ORDERS)
        .where(
            _ORDERS.c.tenant_id == tenant_id,
            _ORDERS.c.id == order_id,
            _ORDERS.c.status.in_(allowed),
        )
        .values(status=status, **values)
    )
    return result.rowcount == 1


def fund(connection: Connection, tenant_id: uuid.UUID, partner_id: uuid.UUID, amount: int) -> bool:
    """Use `amount` of a partner's budget if that much is left (one conditional update,
    like stock)."""
    result = connection.execute(
        update(_PARTNERS)
        .where(
            _PARTNERS.c.tenant_id == tenant_id,
            _PARTNERS.c.id == partner_id,
            _PARTNERS.c.used + amount <= _PARTNERS.c.budget,
        )
        .values(used=_PARTNERS.c.used + amount)
    )
    return result.rowcount == 1


def unfund(
    connection: Connection, tenant_id: uuid.UUID, partner_id: uuid.UUID, amount: int
) -> None:
    """Give a refunded redemption's share back to the partner's budget."""
    connection.execute(
        update(_PARTNERS)
        .where(_PARTNERS.c.tenant_id == tenant_id, _PARTNERS.c.id == partner_id)
        .values(used=_PARTNERS.c.used - amount)
    )


def change_budget(
    connection: Connection, tenant_id: uuid.UUID, partner_id: uuid.UUID, change: int
) -> bool:
    """Raise (or lower, never below what is used nor above 2^53 - 1) a partner's budget."""
    result = connection.execute(
        update(_PARTNERS)
        .where(
            _PARTNERS.c.tenant_id == tenant_id,
            _PARTNERS.c.id == partner_id,
            _PARTNERS.c.budget + change >= _PARTNERS.c.used,
            _PARTNERS.c.budget + change <= MAX_SAFE_INTEGER,
        )
        .values(budget=_PARTNERS.c.budget + change)
    )
    return result.rowcount == 1


def sale_units_taken(
    connection: Connection, tenant_id: uuid.UUID, member_id: uuid.UUID, sale_id: uuid.UUID
) -> int:
    """Units of a flash sale the member's live orders hold."""
    return int(
        connection.execute(
            select(func.coalesce(func.sum(_ORDERS.c.quantity), 0)).where(
                _ORDERS.c.tenant_id == tenant_id,
                _ORDERS.c.member_id == member_id,
                _ORDERS.c.flash_sale_id == sale_id,
                _ORDERS.c.status.not_in(UNDONE),
            )
        ).scalar_one()
    )


def overlapping_sale(
    connection: Connection,
    tenant_id: uuid.UUID,
    product_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
) -> Any:
    return connection.execute(
        select(_SALES.c.id, _SALES.c.starts_at, _SALES.c.ends_at).where(
            _SALES.c.tenant_id == tenant_id,
            _SALES.c.product_id == product_id,
            _SALES.c.starts_at < ends_at,
            _SALES.c.ends_at > starts_at,
        )
    ).first()


def claim_codes(
    connection: Connection,
    tenant_id: uuid.UUID,
    product_id: uuid.UUID,
    order_id: uuid.UUID,
    quantity: int,
    now: datetime,
) -> int:
    """Give `quantity` free codes of a product's pool to an order; how many it got.
    Concurrent orders skip each other's codes (SKIP LOCKED; SQLite has one writer). The
    codes are picked once, in a materialized CTE: PostgreSQL may run a LIMIT subquery
    under IN once per row, and give an order more codes than it asked for."""
    picked = (
        select(_CODES.c.id)
        .where(
            _CODES.c.tenant_id == tenant_id,
            _CODES.c.product_id == product_id,
            _CODES.c.order_id.is_(None),
        )
        .order_by(_CODES.c.id)
        .limit(quantity)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    connection.execute(
        update(_CODES)
        .where(_CODES.c.tenant_id == tenant_id, _CODES.c.id.in_(select(picked.c.id)))
        .values(order_id=order_id, issued_at=now)
    )
    # Counted, not taken from rowcount: sqlite3 reports none for a statement that
    # starts with WITH.
    return int(
        connection.execute(
            select(func.count()).where(
                _CODES.c.tenant_id == tenant_id, _CODES.c.order_id == order_id
            )
        ).scalar_one()
    )


_RECENTLY_REDEEMED = (
    select(_ORDERS.c.product_id)
    .where(
        _ORDERS.c.tenant_id == bindparam("tenant_id"),
        _ORDERS.c.member_id == bindparam("member_id"),
        _ORDERS.c.status.not_in(UNDONE),
    )
    .order_by(_ORDERS.c.created_at.desc())
    .limit(bindparam("limit"))
)


def recently_redeemed(
    connection: Connection, tenant_id: uuid.UUID, member_id: uuid.UUID, limit: int
) -> list[uuid.UUID]:
    """What the member redeemed lately (an order not cancelled or refunded), latest
    first: a product once per order."""
    rows = connection.execute(
        _RECENTLY_REDEEMED, {"tenant_id": tenant_id, "member_id": member_id, "limit": limit}
    )
    return list(rows.scalars())
