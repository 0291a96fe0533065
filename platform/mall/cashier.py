"""The cashier: a payment's provider answers, succeeds, fails or times out, and what
waits on it moves in the same transaction: an order's held points and stock, or a
top-up's points.

Locks are taken in one order everywhere: the member's wallet first, then the order and
the payment (as placing, cancelling and refunding an order take them), so a
notification settling a payment and a cancel of its order queue on the wallet instead
of deadlocking.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import SYSTEM, Actor
from jifen.db import cross_tenant, set_tenant
from jifen.errors import NotFound
from jifen.ledger import open_journal
from jifen.mall import orders, payments, topups
from jifen.mall.errors import PaymentNotPending
from jifen.mall.models import Payment
from jifen.mall.payments import ProviderAnswer

if TYPE_CHECKING:
    from jifen.mall.collaborators import MallCollaborators


def _locked(session: Session, svc: MallCollaborators, payment_id: uuid.UUID) -> Payment:
    """The payment, its member's wallet locked first (see the module's docstring)."""
    payment = payments.get_payment(session, payment_id)
    open_journal(session, svc.clock).wallets_of([payment.member_id], active=False)
    return payment


def settle(
    session: Session,
    svc: MallCollaborators,
    payment_id: uuid.UUID,
    status: str,
    *,
    actor: Actor,
    reference: str | None = None,
) -> Payment:
    """Record a payment's outcome ("succeeded", "failed" or "expired"; the provider's
    `reference` where it had none) and act on it; a payment already settled is refused
    (`payment_not_pending`)."""
    payment = _locked(session, svc, payment_id)
    if not payments.settle(session, payment, status, svc.clock.now(), reference):
        raise PaymentNotPending(details={"status": payment.status})
    succeeded = status == "succeeded"
    if payment.purpose == "order":
        orders.payment_settled(session, svc, payment, succeeded, actor=actor)
    else:
        topups.payment_settled(session, svc, payment, succeeded, actor=actor)
    return payment


def _money_arrived_late(
    session: Session, svc: MallCollaborators, payment: Payment, actor: Actor
) -> None:
    """Money arrived for a payment that had ended without it (cancelled, expired or
    failed): it goes back through the provider (`-> refunding`), recorded in the audit
    log. Nothing happens for one that succeeded or is being refunded already."""
    before = payment.status
    now = svc.clock.now()
    if payments.refund_late(session, payment, now):
        audit.record(
            session,
            tenant_id=payment.tenant_id,
            actor=actor,
            action="payment.refund_late",
            object_type="payment",
            object_id=payment.id,
            before={"status": before},
            after={"status": payment.status, "received": "succeeded"},
            now=now,
        )


def answered(
    session: Session, svc: MallCollaborators, payment_id: uuid.UUID, answer: ProviderAnswer
) -> Payment:
    """Record the provider's answer to a requested payment (`requested -> pending`, the
    window starting now) and, when it settled at once, settle it. When the payment was
    no longer requested (a notification overtook the answer, or it expired or was
    cancelled), the answer only fills the reference and instructions still missing;
    money it says was collected for a payment that ended unpaid is given back."""
    payment = _locked(session, svc, payment_id)
    if not payments.started(session, payment, answer, svc.clock.now()):
        if answer.status == "succeeded":
            _money_arrived_late(session, svc, payment, SYSTEM)
        return payment
    if answer.status in payments.OUTCOMES:
        settle(session, svc, payment_id, answer.status, actor=SYSTEM)
    return payment


def notified(
    session: Session, svc: MallCollaborators, provider: str, headers: Mapping[str, str], body: bytes
) -> Payment:
    """A provider's notification: verified and read by the provider
    (`payments.Notification`), then the payment it names (found across tenants, and
    scoped to its tenant) is settled, with the provider's reference. A late or repeated
    one changes nothing, except that money arriving for a payment that ended unpaid is
    given back; one naming another provider's payment is `unknown_payment`."""
    notice = svc.payment_providers.parse_notification(provider, headers, body)
    # Found in a short session of the operator's (cross-tenant), before the request's own
    # transaction is scoped to the payment's tenant.
    with svc.db.session() as lookup, cross_tenant(lookup, "a payment provider's notification"):
        found = payments.find(lookup, notice.payment_id)
    if found is None or found.provider != provider:
        raise NotFound("payment", notice.payment_id)
    set_tenant(session, found.tenant_id)
    try:
        return settle(
            session, svc, found.id, notice.outcome, actor=SYSTEM, reference=notice.reference
        )
    except PaymentNotPending:
        payment = payments.get_payment(session, found.id)
    payments.fill(session, payment, svc.clock.now(), reference=notice.reference)
    if notice.outcome == "succeeded":
        _money_arrived_late(session, svc, payment, SYSTEM)
    return payment


def expire_due(svc: MallCollaborators, batch: int = 500) -> int:
    """Periodic job: payments whose window closed unpaid expire, and so do requested
    ones the provider never answered for within `payments.REQUEST_GRACE`; their orders
    are cancelled ("payment expired"), releasing points and stock. Each in its own
    transaction; safe to repeat."""
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
