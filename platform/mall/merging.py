"""A member merged into another (jifen.members.merging): their orders, and the coupons,
lottery draws, payments, checkout authorizations, reviews and requests for help that
go with them, are the other
member's, in the merge's transaction. Orders still open go on as that member's: a
reservation of points they wait on moved with the points (jifen.ledger.merging)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.db import reassign
from jifen.mall.models import (
    AfterSalesRequest,
    CheckoutAuthorization,
    Coupon,
    LotteryDraw,
    Order,
    Payment,
    Review,
)
from jifen.members import MergedIntoMember

MOVED = (Order, Coupon, LotteryDraw, Payment, CheckoutAuthorization, Review, AfterSalesRequest)


def member_merged(
    _services: object,
    session: Session,
    event: MergedIntoMember,
    *,
    now: datetime,
    actor: Actor | None,
) -> None:
    """In the merge's transaction: the merged member's mall records move."""
    for model in MOVED:
        reassign(session, model.member_id, event.member_id, event.into_id)
