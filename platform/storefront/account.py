"""The member's own pages: their points (every upcoming expiry, by date), their tier and
the way to the next, their points history (积分明细) with each line's reason in their
language, and their orders."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from jifen.errors import JifenError
from jifen.field_messages import field_messages, rendered
from jifen.i18n import Message
from jifen.ledger import history
from jifen.ledger.schemas import ENTRY_KINDS
from jifen.mall import after_sales, orders
from jifen.mall.models import Coupon, Product
from jifen.members import progress
from jifen.pagination import MAX_CURSOR
from jifen.storefront.mall import bp, mall, member_here, next_page, render, tier_of
from jifen.storefront.top_up import sells_points
from jifen.storefront.transfers import transfers_allowed
from jifen.tenants import service as tenants
from jifen.types import Text
from jifen.web import db_session, services

HISTORY_PAGE = 30
# The days a history filter may name: any a ledger holds, with room either side.
FIRST_DAY, LAST_DAY = date(1970, 1, 2), date(9000, 12, 31)
ORDERS_PAGE = 20


@bp.route("/account")
def account() -> str:
    member = member_here()
    session, svc = db_session(), services()
    points = history.summary(session, member.id, clock=svc.clock, upcoming=None)
    tier = tier_of(member)
    today = tenants.local_day(session.connection(), mall().id, svc.clock.now())
    way = progress(session.connection(), mall().id, member.id, tier, today)
    return render(
        "account.html",
        points=points,
        tier=tier,
        progress=way,
        can_transfer=transfers_allowed(),
        can_top_up=sells_points(),
    )


class HistoryQuery(Schema):
    """The history's filters, as its form sends them: a kind of line, and local days."""

    class Meta:
        unknown = EXCLUDE

    kind = fields.String(validate=validate.OneOf(ENTRY_KINDS))
    since = fields.Date(validate=validate.Range(min=FIRST_DAY, max=LAST_DAY))
    until = fields.Date(validate=validate.Range(min=FIRST_DAY, max=LAST_DAY))
    cursor = Text(max_length=MAX_CURSOR)


@bp.route("/account/history")
def points_history() -> tuple[str, int] | str:
    member = member_here()
    given = {name: value for name, value in request.args.items() if value.strip()}
    context: dict[str, Any] = {"given": given, "kinds": ENTRY_KINDS}
    try:
        query = HistoryQuery().load(given)
    except ValidationError as error:
        problems = rendered(field_messages(error.messages))
        return render("history.html", lines=[], problems=problems, **context), 400
    zone = ZoneInfo(mall().timezone)
    try:
        lines, next_cursor = history.page(
            db_session(),
            member.id,
            kinds=[query["kind"]] if "kind" in query else None,
            since=_start_of(query.get("since"), zone),
            until=_start_of(_day_after(query.get("until")), zone),
            cursor=query.get("cursor"),
            limit=HISTORY_PAGE,
        )
    except JifenError as error:  # a cursor from elsewhere
        return render("history.html", lines=[], problems={"": error.translated()}, **context), 400
    more = next_page(".points_history", given, next_cursor)
    shown = [(line, _reason(line.memo)) for line in lines]
    return render("history.html", lines=shown, more_url=more, **context)


def _reason(memo: str | None) -> str | None:
    """A line's reason in the member's language: the platform's own (an award's
    explanation, a prize) translated, the merchant's as they wrote it."""
    return memo.translated() if isinstance(memo, Message) else memo


def _day_after(day: date | None) -> date | None:
    return day + timedelta(days=1) if day is not None else None


def _start_of(day: date | None, zone: ZoneInfo) -> datetime | None:
    """The instant the tenant's local `day` begins."""
    return datetime.combine(day, time(), tzinfo=zone) if day is not None else None


@bp.route("/account/orders")
def my_orders() -> str:
    member = member_here()
    session = db_session()
    rows, next_cursor = orders.search_orders(
        session, member_id=member.id, cursor=request.args.get("cursor"), limit=ORDERS_PAGE
    )
    named = select(Product.id, Product.name).where(Product.id.in_({o.product_id for o in rows}))
    names = {product_id: name for product_id, name in session.execute(named)}
    asked = after_sales.open_on(session, [o.id for o in rows])  # waiting for the merchant
    more = next_page(".my_orders", {}, next_cursor)
    return render("my_orders.html", orders=rows, names=names, asked=asked, more_url=more)


COUPONS = 100  # the most recent coupons and vouchers the page lists


@bp.route("/account/coupons")
def my_coupons() -> str:
    """The member's coupons and service vouchers, newest first, with their codes (a
    code is shown to its owner only: the page lists the signed-in member's)."""
    member = member_here()
    session = db_session()
    rows = list(
        session.scalars(
            select(Coupon)
            .where(Coupon.member_id == member.id)
            .order_by(Coupon.created_at.desc(), Coupon.id)
            .limit(COUPONS)
        )
    )
    named = select(Product.id, Product.name).where(Product.id.in_({c.product_id for c in rows}))
    names = {product_id: name for product_id, name in session.execute(named)}
    return render("my_coupons.html", coupons=rows, names=names, now=services().clock.now())
