"""The console's orders: the list (filtered by status, product, member and the days
they were placed, a page at a time), and each order whole: what it holds, its member,
where it goes, its payments, its history, the member's requests for help and review.
What staff may do with an order is in `orders_moves` (ship, cancel, refund),
`orders_shipping` (ship from a file), `orders_export` and `orders_after_sales`.

Who sees what: every role sees the orders, and only the roles that handle them
(operate: the operator, the admin and the owner) see where they go. A shipping address
is personal data (a name, a phone number, a home), and those who ship need it; a
viewer (an accountant, an agency reporting on sales) has the figures without it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from flask import request
from sqlalchemy.orm import Session

from jifen.console.access import current, staff_page
from jifen.console.orders_filters import read_filters
from jifen.console.pages import bp, page_language, render
from jifen.i18n import format_money
from jifen.mall import after_sales, order_sheets
from jifen.mall import orders as mall_orders
from jifen.mall.models import ORDER_STATUSES, Order
from jifen.pagination import MAX_CURSOR, InvalidCursor
from jifen.tenants import roles
from jifen.tenants.models import User
from jifen.web import db_session, services

PAGE = 50


def money(minor: int, currency: str) -> str:
    """An amount of money as the page's language writes it."""
    return format_money(minor, currency, page_language())


def cursor_of(args: Mapping[str, str]) -> str | None:
    """The page a list's query asks for (None: the first)."""
    cursor = args.get("cursor") or None
    if cursor is not None and len(cursor) > MAX_CURSOR:
        raise InvalidCursor()
    return cursor


@bp.route("/orders")
@staff_page(roles.VIEW)
def order_list() -> tuple[str, int]:
    """The orders, newest first, as the filters ask."""
    return show_list(request.args)


def show_list(args: Mapping[str, str]) -> tuple[str, int]:
    """The page of orders the filters and cursor in `args` ask for; the filters'
    problems beside them (422) when they are wrong."""
    session = db_session()
    filters = read_filters(args, session, services().keyring)
    cursor = cursor_of(args)
    lines: list[order_sheets.OrderLine] = []
    next_cursor = None
    waiting: set[uuid.UUID] = set()
    if not filters.problems:
        found, next_cursor = mall_orders.search_orders(
            session, **filters.search, cursor=cursor, limit=PAGE
        )
        lines = order_sheets.lines_of(session, found)
        waiting = after_sales.open_on(session, (order.id for order in found))
    return render(
        "console/orders.html",
        lines=lines,
        filters=filters,
        statuses=ORDER_STATUSES,
        cursor=cursor,
        next_cursor=next_cursor,
        waiting=waiting,
        operate=current().can(roles.OPERATE),
        money=money,
    ), (422 if filters.problems else 200)


@bp.route("/orders/<uuid:order_id>")
@staff_page(roles.VIEW)
def order_page(order_id: uuid.UUID) -> tuple[str, int]:
    """One order whole, with the forms of what the staff may do with it."""
    return show_order(order_id)


def show_order(
    order_id: uuid.UUID,
    *,
    problems: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The order's page; after a refused form, with its problems beside its fields and
    what was typed in them."""
    session = db_session()
    operate = current().can(roles.OPERATE)
    sheet = order_sheets.sheet_of(session, order_id, services().keyring if operate else None)
    order = sheet.line.order
    return render(
        "console/orders_detail.html",
        sheet=sheet,
        order=order,
        operate=operate,
        may=_moves(order),
        staff_names=_staff_names(session, sheet),
        problems=problems or {},
        values=values or {},
        money=money,
    ), status


def _moves(order: Order) -> dict[str, bool]:
    """What may be done with the order now. A paid order not shipped yet is cancelled
    (the service would refund it too, to the same effect); one shipped is refunded."""
    allowed = {move: order.status in mall_orders.MOVES[move][0] for move in mall_orders.MOVES}
    return {
        "ship": allowed["ship"] and order.kind == "physical",
        "cancel": allowed["cancel"],
        "refund": allowed["refund"] and not allowed["cancel"],
    }


def _staff_names(session: Session, sheet: order_sheets.OrderSheet) -> dict[str, str]:
    """The names of the staff who moved the order or answered its member, by user id."""
    ids = {step.actor_id for step in sheet.history if step.actor_kind == "user"}
    ids |= {r.closed_by_id for r in sheet.requests if r.closed_by_kind == "user"}
    names: dict[str, str] = {}
    for user_id in filter(None, ids):
        user = session.get(User, uuid.UUID(user_id))
        if user is not None:
            names[user_id] = user.name
    return names
