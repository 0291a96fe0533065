"""The cashier: a payment that succeeds, fails or times out moves what waits on it, in
the same transaction: an order's held points and stock, or a top-up's points."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from jifen.audit import SYSTEM, Actor
from jifen.db import cross_tenant
from jifen.mall import orders, payments, topups
from jifen.mall.errors import PaymentNotPending
from jifen.mall.models import Payment

if TYPE_CHECKING:
    from jifen.services import Services


def settle(
    session: Session, svc: Services, payment_id: uuid.UUID, status: str, *, actor: Actor
) -> Payment:
    """Record a pending payment's outcome ("succeeded", "failed" or "expired") and act
    on it; a payment already settled is refused (`payment_not_pending`)."""
    payment = payments.get_payment(session, payment_id)
    if not payments.settle(session, payment, status, svc.clock.now()):
        raise PaymentNotPending(details={"status": payment.status})
    succeeded = status == "succeeded"
    if payment.purpose == "order":
        orders.payment_settled(session, svc, payment, succeeded, actor=actor)
    else:
        topups.payment_settled(session, svc, payment, succeeded, actor=actor)
    return payment


def expire_due(svc: Services, batch: int = 500) -> int:
    """Periodic job: payments whose window closed unpaid expire, and their orders are
    cancelled. Each in its own transaction; safe to repeat."""
    now = svc.clock.now()
    with svc.db.session() as session, cross_tenant(session, "expire unpaid payments"):
        due = [(p.tenant_id, p.id) for p in payments.due(session, now, batch)]
    expired = 0
    for tenant_id, payment_id in due:
        with svc.db.transaction(tenant_id=tenant_id) as session:
            try:
                settle(session, svc, payment_id, "expired", actor=SYSTEM)
            except PaymentNotPending:
                continue  # settled meanwhile
        expired += 1
    return expired
