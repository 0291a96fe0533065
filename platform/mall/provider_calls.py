"""The relay's `payments` subscriber: the only place payment providers are asked to
move money, after the change that needs it has committed, with no transaction open.

`PaymentRequested`: when the payment is still `requested`, the provider's `start` is
called (the payment id is its idempotency key), then one transaction records the answer
through the cashier (`requested -> pending`, settled there too when the provider settled
at once). A payment no longer `requested` when its event arrives (cancelled with its
order, or expired while the relay was down) is skipped, and so is one older than
`payments.REQUEST_GRACE` (the expiry sweep's): the provider never hears of it.
An answer that comes back after a notification settled the payment, or after it was
cancelled or expired, changes no status (see `cashier.answered`).

`RefundRequested`: when the payment is still `refunding`, the provider's `refund` is
called (its key is `PaymentRequest.refund_key`), then `refunding -> refunded`.

A provider that raises (a timeout included: a provider bounds its own calls) fails the
delivery, and the relay retries it with backoff, with the same payment id; until then the
payment stays as it was, recorded. A repeated delivery finds the payment moved on and
calls nothing; a crash between the call and its record calls again, with the same key.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from jifen.mall import cashier, payments
from jifen.mall.domain_events import PaymentRequested, RefundRequested
from jifen.mall.payments import PaymentRequest
from jifen.outbox.relay import Delivered

if TYPE_CHECKING:
    from jifen.mall.collaborators import MallCollaborators

SUBSCRIBER = "payments"
EVENTS = (PaymentRequested, RefundRequested)


def deliver(services: MallCollaborators, delivered: Delivered) -> None:
    """Take the event's call to the payment's provider (see the module's docstring)."""
    event = delivered.event
    assert delivered.tenant_id is not None
    if isinstance(event, PaymentRequested):
        _start(services, delivered.tenant_id, event)
    elif isinstance(event, RefundRequested):
        _refund(services, delivered.tenant_id, event.payment_id)


def _waiting(
    services: MallCollaborators,
    tenant_id: uuid.UUID,
    payment_id: uuid.UUID,
    status: str,
    description: str,
) -> tuple[str, PaymentRequest] | None:
    """The payment's provider and request, when the payment is still in `status` (and,
    when `requested`, younger than `REQUEST_GRACE`: an older one is the expiry sweep's);
    the request's expiry is where the window ends if it starts now."""
    now = services.clock.now()
    with services.db.session(tenant_id=tenant_id) as session:
        payment = payments.get_payment(session, payment_id)
        if payment.status != status:
            return None
        expires_at = payment.expires_at
        if status == "requested":
            if payment.created_at <= now - payments.REQUEST_GRACE:
                return None
            expires_at = now + payments.window(payment)
        return payment.provider, payments.request_of(payment, description, expires_at)


def _start(services: MallCollaborators, tenant_id: uuid.UUID, event: PaymentRequested) -> None:
    found = _waiting(services, tenant_id, event.payment_id, "requested", event.description)
    if found is None:
        return
    provider, request = found
    answer = services.payment_providers.start(provider, request)
    with services.db.transaction(tenant_id=tenant_id) as session:
        cashier.answered(session, services, event.payment_id, answer)


def _refund(services: MallCollaborators, tenant_id: uuid.UUID, payment_id: uuid.UUID) -> None:
    found = _waiting(services, tenant_id, payment_id, "refunding", "")
    if found is None:
        return
    provider, request = found
    services.payment_providers.call(provider, "refund", request)
    with services.db.transaction(tenant_id=tenant_id) as session:
        payments.refunded(session, payments.get_payment(session, payment_id), services.clock.now())
