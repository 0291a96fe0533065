"""Coupons and service vouchers after they are issued: the merchant's checkout checks
one and uses it, once.

Using a coupon is one conditional update (issued -> redeemed), so two tills cannot
both use it. Using it again for the same checkout order answers as the first time did:
a retried request is safe.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import rowcount
from jifen.errors import NotFound, ValidationFailed
from jifen.i18n import N_, Message
from jifen.mall.errors import CouponNotUsable, CouponThresholdNotMet
from jifen.mall.models import Coupon
from jifen.pagination import read_page

_COUPONS = Coupon.__table__


def find(session: Session, code: str) -> Coupon:
    """A coupon of the session's tenant by its code (case and spaces forgiven)."""
    normalized = code.strip().upper().replace(" ", "").replace("-", "")
    coupon = session.scalar(select(Coupon).where(Coupon.code == normalized))
    if coupon is None:
        raise NotFound("coupon", code, N_("No such coupon code."))
    return coupon


def discount(coupon: Coupon, order_amount: int | None) -> dict[str, Any]:
    """What the coupon takes off an order of `order_amount` (minor units); refused
    below its threshold."""
    terms = coupon.terms
    if coupon.kind == "voucher":
        return {"discount": 0, "free_shipping": False}
    if order_amount is None:
        raise ValidationFailed(details={"order_amount": [Message(N_("Required for coupons."))]})
    threshold = int(terms.get("threshold", 0))
    if order_amount < threshold:
        raise CouponThresholdNotMet(details={"threshold": threshold, "order_amount": order_amount})
    off = 0
    if terms["type"] == "amount_off":
        off = min(int(terms["amount_off"]), order_amount)
    elif terms["type"] == "percent_off":
        off = order_amount * int(terms["percent_off"]) // 100
    return {"discount": off, "free_shipping": terms["type"] == "free_shipping"}


def check(coupon: Coupon, now: datetime, order_amount: int | None) -> dict[str, Any]:
    """Whether the coupon can be used now; with `order_amount`, whether on such an order
    and what it would take off."""
    usable(coupon, now)
    return discount(coupon, order_amount) if order_amount is not None else {}


def usable(coupon: Coupon, now: datetime) -> None:
    """Refuse a coupon that cannot be used now (used, void or expired)."""
    if coupon.status != "issued":
        raise CouponNotUsable(details={"reason": coupon.status})
    if now >= coupon.valid_until:
        raise CouponNotUsable(
            details={"reason": "expired", "valid_until": coupon.valid_until.isoformat()}
        )


def redeem(
    session: Session,
    code: str,
    order_ref: str,
    order_amount: int | None,
    *,
    actor: Actor,
    clock: Clock,
) -> Coupon:
    """Use a coupon on the merchant's checkout order `order_ref`, once."""
    coupon = find(session, code)
    if coupon.status == "redeemed" and (coupon.redemption or {}).get("order_ref") == order_ref:
        return coupon
    now = clock.now()
    redemption = {"order_ref": order_ref, "order_amount": order_amount}
    usable(coupon, now)
    redemption |= discount(coupon, order_amount)
    used = session.execute(
        update(_COUPONS)
        .where(
            _COUPONS.c.tenant_id == coupon.tenant_id,
            _COUPONS.c.id == coupon.id,
            _COUPONS.c.status == "issued",
        )
        .values(status="redeemed", redeemed_at=now, redemption=redemption)
    )
    session.refresh(coupon)
    if rowcount(used) != 1:
        if (coupon.redemption or {}).get("order_ref") == order_ref:
            return coupon
        raise CouponNotUsable(details={"reason": coupon.status})
    audit.record(
        session,
        tenant_id=coupon.tenant_id,
        actor=actor,
        action="coupon.redeem",
        object_type="coupon",
        object_id=coupon.id,
        after=redemption,
        now=now,
    )
    return coupon


def view(coupon: Coupon, **extra: Any) -> dict[str, Any]:
    """A coupon as the API shows it, with `extra` (what it would take off)."""
    shown = {c.key: getattr(coupon, c.key) for c in _COUPONS.columns if c.key != "tenant_id"}
    return shown | extra


def of_member(
    session: Session, member_id: uuid.UUID, *, limit: int, cursor: str | None = None
) -> tuple[list[Coupon], str | None]:
    """A page of a member's coupons and vouchers, newest first."""
    query = select(Coupon).where(Coupon.member_id == member_id)
    return read_page(
        session.scalars, query, (Coupon.id,), (uuid.UUID,), limit, cursor, descending=True
    )
