"""Points at the merchant's own checkout (积分抵扣现金), in two phases like a card
payment: `quote` says how many points an order may use, `authorize` holds them,
`capture` spends them (all or part) when the order is paid, `void` releases them when
it is abandoned, and `refund` returns captured points (in parts) to the lots they came
from when goods come back.

The tenant's settings price points (`checkout_rate` points per currency unit; a point's
value is rounded down to the minor unit), cap them at a share of the order and use them
in steps. An authorization is unique per checkout order: authorizing the same order
again with the same terms answers with the first one.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jifen import audit, ledger
from jifen.audit import Actor
from jifen.db import get_owned
from jifen.i18n import N_, Message
from jifen.ledger import HoldNotOpen, open_journal
from jifen.mall import settings as mall_settings
from jifen.mall.errors import (
    AuthorizationStateConflict,
    NotInSteps,
    OrderRefTaken,
    OverCheckoutLimit,
)
from jifen.mall.models import CheckoutAuthorization
from jifen.types import minor_units, new_id

if TYPE_CHECKING:
    from jifen.mall.collaborators import MallCollaborators


def value_of(points: int, rate: int, currency: str) -> int:
    """What `points` take off an order, in minor units (rounded down)."""
    return points * minor_units(currency) // rate


def quote(
    session: Session,
    svc: MallCollaborators,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID,
    order_amount: int,
    currency: str,
) -> dict[str, Any]:
    """The most points the member may use on an order of `order_amount`, and their
    value: the cap's share of the order, the balance, in whole steps. Points past their
    expiry are not in the balance, even before the sweep has expired them."""
    settings = mall_settings.settings_of(session, tenant_id)
    journal = open_journal(session, svc.clock)
    (wallet,) = journal.wallets_of([member_id])
    balance = journal.spendable(wallet)
    by_cap = (
        order_amount
        * settings.checkout_cap_percent
        // 100
        * settings.checkout_rate
        // minor_units(currency)
    )
    usable = min(by_cap, balance)
    usable -= usable % settings.checkout_step
    return {
        "member_id": member_id,
        "order_amount": order_amount,
        "currency": currency,
        "max_points": usable,
        "value": value_of(usable, settings.checkout_rate, currency),
        "balance": balance,
        "rate": settings.checkout_rate,
        "step": settings.checkout_step,
        "cap_percent": settings.checkout_cap_percent,
    }


def get_authorization(session: Session, authorization_id: uuid.UUID) -> CheckoutAuthorization:
    return get_owned(session, CheckoutAuthorization, authorization_id, "authorization")


def authorize(
    session: Session,
    svc: MallCollaborators,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID,
    points: int,
    *,
    order_ref: str,
    order_amount: int,
    currency: str,
    actor: Actor,
) -> CheckoutAuthorization:
    """Hold `points` for the checkout order `order_ref` (see the module's docstring)."""
    existing = session.scalar(
        select(CheckoutAuthorization).where(CheckoutAuthorization.order_ref == order_ref)
    )
    if existing is not None:
        same = (existing.member_id, existing.points, existing.order_amount, existing.currency)
        if same != (member_id, points, order_amount, currency):
            raise OrderRefTaken(details={"order_ref": order_ref})
        return existing
    offer = quote(session, svc, tenant_id, member_id, order_amount, currency)
    if points % offer["step"]:
        raise NotInSteps(details={"step": offer["step"], "points": points})
    if points > offer["max_points"]:
        raise OverCheckoutLimit(details={"max_points": offer["max_points"], "points": points})
    hold = ledger.reserve(
        session,
        member_id,
        points,
        actor=actor,
        clock=svc.clock,
        reference=f"checkout:{order_ref}"[:128],
        memo=Message(N_("checkout order %(order)s"), {"order": order_ref}),
    )
    now = svc.clock.now()
    authorization = CheckoutAuthorization(
        tenant_id=tenant_id,
        id=new_id(),
        member_id=member_id,
        order_ref=order_ref,
        order_amount=order_amount,
        currency=currency,
        points=points,
        value=value_of(points, offer["rate"], currency),
        captured=0,
        refunded=0,
        status="authorized",
        hold_id=hold.id,
        entry_id=None,
        created_at=now,
        updated_at=now,
    )
    session.add(authorization)
    session.flush()
    _audit(session, authorization, actor, "checkout.authorize")
    return authorization


def view(session: Session, authorization: CheckoutAuthorization) -> dict[str, Any]:
    """An authorization as the API shows it: one whose hold timed out reads "expired"."""
    shown = {c.key: getattr(authorization, c.key) for c in CheckoutAuthorization.__table__.c}
    hold = ledger.get_hold(session, authorization.hold_id)
    if authorization.status == "authorized" and hold.status != "open":
        shown["status"] = "expired"
    return shown


def _locked(
    session: Session, svc: MallCollaborators, authorization_id: uuid.UUID
) -> CheckoutAuthorization:
    """The authorization, read again after its member's wallet is locked (so that two
    tills acting on it queue)."""
    authorization = get_authorization(session, authorization_id)
    open_journal(session, svc.clock).wallets_of([authorization.member_id], active=False)
    session.refresh(authorization)
    return authorization


def _require(authorization: CheckoutAuthorization, *statuses: str) -> None:
    if authorization.status not in statuses:
        raise AuthorizationStateConflict(
            details={"status": authorization.status, "allowed_from": list(statuses)}
        )


def capture(
    session: Session,
    svc: MallCollaborators,
    authorization_id: uuid.UUID,
    points: int | None,
    *,
    actor: Actor,
) -> CheckoutAuthorization:
    """Spend the held points (or `points` of them; the rest go back) as the order is
    paid. An authorization whose hold timed out cannot be captured."""
    authorization = _locked(session, svc, authorization_id)
    _require(authorization, "authorized")
    amount = authorization.points if points is None else points
    if amount > authorization.points:
        raise OverCheckoutLimit(details={"max_points": authorization.points, "points": amount})
    try:
        entry = ledger.capture(
            session, authorization.hold_id, actor=actor, clock=svc.clock, amount=amount
        )
    except HoldNotOpen:
        raise AuthorizationStateConflict(
            N_("The points' hold timed out; authorize again."), details={"status": "expired"}
        ) from None
    authorization.status = "captured"
    authorization.captured = amount
    authorization.entry_id = entry.id
    authorization.updated_at = svc.clock.now()
    session.flush()
    _audit(session, authorization, actor, "checkout.capture")
    return authorization


def void(
    session: Session, svc: MallCollaborators, authorization_id: uuid.UUID, *, actor: Actor
) -> CheckoutAuthorization:
    """Release the held points: the checkout order was abandoned."""
    authorization = _locked(session, svc, authorization_id)
    _require(authorization, "authorized")
    # A hold released by its timeout already: the points are back either way.
    with contextlib.suppress(HoldNotOpen):
        ledger.release(session, authorization.hold_id, actor=actor, clock=svc.clock)
    authorization.status = "voided"
    authorization.updated_at = svc.clock.now()
    session.flush()
    _audit(session, authorization, actor, "checkout.void")
    return authorization


def refund(
    session: Session,
    svc: MallCollaborators,
    authorization_id: uuid.UUID,
    points: int | None,
    *,
    actor: Actor,
) -> CheckoutAuthorization:
    """Return captured points (all that are left, or `points` of them) to the lots they
    came from, with their original expiry."""
    authorization = _locked(session, svc, authorization_id)
    _require(authorization, "captured")
    left = authorization.captured - authorization.refunded
    amount = left if points is None else points
    if amount > left:
        raise OverCheckoutLimit(details={"max_points": left, "points": amount})
    assert authorization.entry_id is not None
    ledger.reverse(
        session,
        authorization.entry_id,
        actor=actor,
        clock=svc.clock,
        amount=amount,
        reference=f"checkout:{authorization.order_ref}"[:128],
        memo=Message(N_("checkout refund")),
    )
    authorization.refunded += amount
    if authorization.refunded == authorization.captured:
        authorization.status = "refunded"
    authorization.updated_at = svc.clock.now()
    session.flush()
    _audit(session, authorization, actor, "checkout.refund")
    return authorization


def _audit(
    session: Session, authorization: CheckoutAuthorization, actor: Actor, action: str
) -> None:
    audit.record(
        session,
        tenant_id=authorization.tenant_id,
        actor=actor,
        action=action,
        object_type="checkout_authorization",
        object_id=authorization.id,
        after={
            "order_ref": authorization.order_ref,
            "points": authorization.points,
            "captured": authorization.captured,
            "refunded": authorization.refunded,
            "status": authorization.status,
        },
        now=authorization.updated_at,
    )
