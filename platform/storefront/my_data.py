"""The member's own data, to download (PIPL art. 45, GDPR art. 15 and 20): who the
merchant knows them as, their points and every line of their history, their orders with
addresses and codes, their requests for help with orders and the merchant's replies,
coupons, reviews, check-ins, notice choices and saved addresses, as one JSON file."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, TypeVar

from flask import Response
from sqlalchemy import select

from jifen.ledger import history
from jifen.mall import after_sales, coupons, orders, reviews
from jifen.members import addresses
from jifen.members import service as members
from jifen.members.models import Checkin
from jifen.members.notices import choices_of
from jifen.storefront.mall import bp, mall, member_here
from jifen.web import db_session, services

PAGE = 200  # rows read at a time while the file is made

Row = TypeVar("Row")


@bp.route("/account/data")
def my_data() -> Response:
    """The member's data as a JSON file, made now (never cached)."""
    member = member_here()
    session, svc = db_session(), services()
    everything = {
        "mall": mall().name,
        "exported_at": svc.clock.now(),
        "member": asdict(members.view(member, svc.keyring)),
        "points": asdict(history.summary(session, member.id, clock=svc.clock, upcoming=None)),
        "history": [
            asdict(line)
            for line in _all(
                lambda cursor: history.page(session, member.id, cursor=cursor, limit=PAGE)
            )
        ],
        "orders": [
            _order(orders.order_view(session, order, svc.keyring))
            for order in _all(
                lambda cursor: orders.search_orders(
                    session, member_id=member.id, cursor=cursor, limit=PAGE
                )
            )
        ],
        "after_sales": [
            {
                "order": asked.order_id,
                "kind": asked.kind,
                "description": asked.description,
                "asked_at": asked.created_at,
                "status": asked.status,
                "reply": asked.reply,
                "closed_at": asked.closed_at,
            }
            for asked in _all(
                lambda cursor: after_sales.search(
                    session, member_id=member.id, cursor=cursor, limit=PAGE
                )
            )
        ],
        "coupons": [
            {"code": c.code, "status": c.status, "valid_until": c.valid_until, "order": c.order_id}
            for c in _all(
                lambda cursor: coupons.of_member(session, member.id, cursor=cursor, limit=PAGE)
            )
        ],
        "reviews": [
            {
                "order": r.order_id,
                "product": r.product_id,
                "rating": r.rating,
                "text": r.text,
                "status": r.status,
                "written_at": r.created_at,
                "rejection_reason": r.rejection_reason,
            }
            for r in _all(
                lambda cursor: reviews.search_reviews(
                    session, member_id=member.id, cursor=cursor, limit=PAGE
                )
            )
        ],
        "check_ins": [
            {"day": day, "streak": streak}
            for day, streak in session.execute(
                select(Checkin.day, Checkin.streak)
                .where(Checkin.member_id == member.id)
                .order_by(Checkin.day)
            )
        ],
        "notices": choices_of(session, member.id),
        "addresses": [
            asdict(saved) for saved in addresses.book_of(session, member.id, svc.keyring)
        ],
    }
    body = json.dumps(everything, default=_plain, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    name = f"{mall().slug}-my-data-{svc.clock.now():%Y%m%d}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _order(view: dict[str, Any]) -> dict[str, Any]:
    """An order as its member reads it: its steps by status and time only (who moved it
    at the merchant, and why, are the merchant's staff's and notes, not the member's)."""
    steps = [{"status": step.status, "at": step.created_at} for step in view["history"]]
    internal = ("tenant_id", "hold_id", "entry_id", "refund_entry_id", "history")
    return {key: value for key, value in view.items() if key not in internal} | {"steps": steps}


def _all(page: Callable[[str | None], tuple[list[Row], str | None]]) -> Iterator[Row]:
    """Every row of a paged list, a page at a time."""
    cursor = None
    while True:
        rows, cursor = page(cursor)
        yield from rows
        if cursor is None:
            return


def _plain(value: Any) -> Any:
    """What JSON cannot say itself: ids, instants, days and rates as text."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "__table__"):
        return {
            c.key: getattr(value, c.key) for c in value.__table__.columns if c.key != "tenant_id"
        }
    raise TypeError(f"{type(value).__name__} is not JSON")
