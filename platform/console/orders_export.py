"""The orders as a CSV file, as the list's filters choose them, streamed a page at a
time (each page read in a short session of its own, so that a large export holds no
transaction open and no table in memory).

The columns are named for machines (`order_id`, `carrier`, `tracking_number`...), so
that the same file, its tracking numbers filled in, ships the orders
(`orders_shipping`). Staff who handle orders get their shipping addresses too; such an
export is audited, as personal data leaving the platform. Text is written UTF-8 with a
byte order mark, which Excel needs to read Chinese, and a cell that a spreadsheet would
take for a formula (`=`, `+`, `-`, `@`) is quoted with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_precision
from flask import Response, request, stream_with_context
from werkzeug import Response as Answer

from jifen.console.access import current, staff_page
from jifen.console.orders import show_list
from jifen.console.orders_filters import read_filters
from jifen.console.orders_forms import actor
from jifen.console.pages import bp
from jifen.db import Database
from jifen.keyring import Keyring
from jifen.mall import order_sheets
from jifen.mall import orders as mall_orders
from jifen.tenants import roles
from jifen.web import db_session, services

COLUMNS = (
    "order_id",
    "placed_at",
    "status",
    "product",
    "quantity",
    "points",
    "cash",
    "currency",
    "member",
    "carrier",
    "tracking_number",
)
ADDRESS_COLUMNS = ("recipient", "phone", "region", "address", "postal_code")
# Orders read per page of the export.
EXPORT_PAGE = 500
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@bp.route("/orders/export", methods=["POST"])
@staff_page(roles.VIEW)
def export_orders() -> tuple[str, int] | Answer:
    """The orders the filters in the form choose, as a CSV file."""
    staff, svc, session = current(), services(), db_session()
    assert staff.tenant is not None
    filters = read_filters(request.form, session, svc.keyring)
    if filters.problems:
        return show_list(request.form)
    personal = staff.can(roles.OPERATE)
    # The member as our id, not as typed (a phone number is personal data too).
    chosen = filters.values | (
        {"member": str(filters.search["member_id"])} if "member_id" in filters.search else {}
    )
    order_sheets.record_export(
        session, filters=chosen, personal=personal, actor=actor(), clock=svc.clock
    )
    zone = ZoneInfo(staff.tenant.timezone)
    stamp = svc.clock.now().astimezone(zone).strftime("%Y%m%d-%H%M")
    pages = _pages(svc.db, staff.tenant.id, filters.search, svc.keyring if personal else None, zone)
    return Response(
        stream_with_context(pages),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="orders-{stamp}.csv"'},
    )


def _pages(
    db: Database,
    tenant_id: uuid.UUID,
    search: dict[str, Any],
    keyring: Keyring | None,
    zone: ZoneInfo,
) -> Iterator[str]:
    """The file: its header, then each page of orders, read in a session of its own."""
    yield "\ufeff" + _csv([*COLUMNS, *(ADDRESS_COLUMNS if keyring else ())])
    cursor = None
    while True:
        with db.session(tenant_id=tenant_id) as session:
            found, cursor = mall_orders.search_orders(
                session, **search, cursor=cursor, limit=EXPORT_PAGE
            )
            lines = order_sheets.lines_of(session, found, keyring)
            rows = "".join(_csv(_cells(line, zone, keyring is not None)) for line in lines)
        yield rows
        if cursor is None:
            return


def _cells(line: order_sheets.OrderLine, zone: ZoneInfo, personal: bool) -> list[str]:
    order = line.order
    delivery = order.delivery or {}
    cells = [
        str(order.id),
        _local(order.created_at, zone),
        order.status,
        line.product_name,
        str(order.quantity),
        str(order.points),
        _major(order.cash, order.currency) if order.cash else "",
        order.currency or "",
        line.member_ref or str(order.member_id),
        str(delivery.get("carrier", "")),
        str(delivery.get("tracking_number", "")),
    ]
    if personal:
        address = line.address or {}
        cells += [str(address.get(name) or "") for name in ("name", "phone", "region", "line")]
        cells.append(str(address.get("postal_code") or ""))
    return cells


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _major(minor: int, currency: str | None) -> str:
    """Minor units in major ones as a spreadsheet reads a number (30000 CNY: 300.00)."""
    digits = get_currency_precision(currency or "CNY")
    return str(Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)))


def _csv(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(["'" + c if c.startswith(_FORMULA) else c for c in cells])
    return out.getvalue()
