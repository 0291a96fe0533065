"""The cashier: a payment's provider answers, succeeds, fails or times out, and what
waits on it moves in the same transaction: an order's held points and stock, or a
top-up's points."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from jifen.audit import SYSTEM, Actor
from jifen.db import cross_tenant, set_tenant
from jifen.mall import orders, payments, topups
from jifen.mall.errors import NotificationRejected, PaymentNotPending, UnknownPayment
from jifen.mall.models import Payment
from jifen.mall.payments import ProviderAnswer

if TYPE_CHECKING:
    from jifen.services import Services


def settle(
    session: Session, svc: Services, payment_id: uuid.UUID, status: str, *, actor: Actor
) -> Payment:
    """Record a payment's outcome ("succeeded", "failed" or "expired") and act on it; a
    payment already settled is refused (`payment_not_pending`)."""
    payment = payments.get_payment(session, payment_id)
    if not payments.settle(session, payment, status, svc.clock.now()):
        raise PaymentNotPending(details={"status": payment.status})
    succeeded = status == "succeeded"
    if payment.purpose == "order":
        orders.payment_settled(session, svc, payment, succeeded, actor=actor)
    else:
        topups.payment_settled(session, svc, payment, succeeded, actor=actor)
    return payment


def answered(
    session: Session, svc: Services, payment_id: uuid.UUID, answer: ProviderAnswer
) -> Payment:
    """Record the provider's answer to a requested payment (`requested -> pending`, the
    window starting now) and, when it settled at once, settle it. Nothing changes when
    the payment was no longer requested."""
    payment = payments.get_payment(session, payment_id)
    if not payments.started(session, payment, answer, svc.clock.now()):
        return payment
    if answer.status in payments.OUTCOMES:
        settle(session, svc, payment_id, answer.status, actor=SYSTEM)
    return payment


def notified(
    session: Session, svc: Services, provider: str, headers: Mapping[str, str], body: bytes
) -> Payment:
    """A provider's notification: verified by the provider, then the payment it names
    (found across tenants, and scoped to its tenant) is settled. A late or repeated one
    changes nothing; one naming another provider's payment is `unknown_payment`."""
    payment_id, status = svc.payment_providers.parse_notification(provider, headers, body)
    if status not in payments.OUTCOMES:
        raise NotificationRejected(details={"status": status})
    with cross_tenant(session, "a payment provider's notification"):
        found = payments.find(session, payment_id)
    if found is None or found.provider != provider:
        raise UnknownPayment(details={"payment_id": str(payment_id)})
    set_tenant(session, found.tenant_id)
    try:
        return settle(session, svc, payment_id, status, actor=SYSTEM)
    except PaymentNotPending:
        return payments.get_payment(session, payment_id)


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
