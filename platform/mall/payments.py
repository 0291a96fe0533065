"""Payments through the providers plugins give (`register_payment_providers(settings)`).

No provider is called inside a database transaction. A payment is written `requested`
with the change that needs it (an order, a top-up), and a `PaymentRequested` event with
it; after commit the relay's `payments` subscriber (`jifen.mall.provider_calls`) asks
the provider, then records its answer: `requested -> pending`, the member's payment
window starting then, when the provider has it. A payment the provider never answered
for expires `REQUEST_GRACE` after it was requested (the relay was down, or the provider
kept failing). The payment then succeeds, fails, expires or is cancelled (its order was
cancelled) exactly once. Giving the money back is `succeeded -> refunding` with a
`RefundRequested` event, and `refunding -> refunded` once the provider has done it,
after commit too. Money that arrives for a payment that ended without it (cancelled,
expired, failed) goes straight to `refunding`. Every change of status is one
conditional update from the statuses it leaves, so a late or repeated answer or
notification changes nothing it should not. What waits on a payment (an order's held
points, a top-up's points) is moved by `jifen.mall.cashier`.

    requested -> pending -> succeeded -> refunding -> refunded
        |           +-> failed | expired | cancelled
        +-> succeeded | failed   (a notification can overtake the provider's answer)
        +-> expired | cancelled  (no provider call: it never had the payment)
    cancelled | expired | failed -> refunding   (money that arrived late)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import pluggy
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from jifen.config import Settings
from jifen.db import get_owned, rowcount
from jifen.i18n import N_
from jifen.mall.domain_events import PaymentRequested, RefundRequested
from jifen.mall.errors import (
    NoPaymentPage,
    NotificationFailed,
    UnknownPaymentProvider,
)
from jifen.mall.models import MallSettings, Payment
from jifen.outbox.events import emit
from jifen.registry import PluginFailed, Registry
from jifen.types import new_id

_PAYMENTS = Payment.__table__
# What a notification may settle: a payment the provider has, or one whose answer the
# platform has not recorded yet (the member paid before the provider's answer came back).
SETTLEABLE = ("requested", "pending")
OUTCOMES = ("succeeded", "failed")
ANSWERS = ("pending", *OUTCOMES)
# Ended without the money: money that arrives for one of these anyway is given back.
ENDED_UNPAID = ("failed", "expired", "cancelled")
# How long a requested payment may take to reach its provider (the relay retries a
# provider that fails) before it expires unanswered; an order's hold outlives the
# payment window by this much.
REQUEST_GRACE = timedelta(minutes=30)


@dataclass(frozen=True)
class PaymentRequest:
    """What a provider is asked to collect: minor units of a currency.

    `id` is the payment's id and the provider's idempotency key for collecting it: the
    platform may ask again with the same id (a retry after a timeout or a crash), and a
    provider must answer for the payment it already has. A refund's idempotency key is
    `refund_key`, derived from the same id.
    """

    id: uuid.UUID
    amount: int
    currency: str
    description: str
    expires_at: datetime
    reference: str | None = None  # the provider's, once it has one (for refunds)

    @property
    def refund_key(self) -> str:
        """The idempotency key of the payment's refund (one refund per payment)."""
        return f"refund-{self.id}"


@dataclass(frozen=True)
class ProviderAnswer:
    """A provider's answer to `start`."""

    status: str  # "pending", "succeeded" or "failed"
    reference: str | None = None
    instructions: str | None = None


@dataclass(frozen=True)
class Notification:
    """What a provider's notification says, as `parse_notification` reads it: the
    payment (`PaymentRequest.id`), its `outcome` ("succeeded" or "failed") and the
    provider's own reference for it, when the notification carries one."""

    payment_id: uuid.UUID
    outcome: str
    reference: str | None = None


def _optional_text(value: object, longest: int) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= longest)


def is_answer(answer: object) -> bool:
    """Whether a provider's `start` answered as its contract says."""
    return (
        isinstance(answer, ProviderAnswer)
        and answer.status in ANSWERS
        and _optional_text(answer.reference, 128)
        and _optional_text(answer.instructions, 500)
    )


def is_notification(notification: object) -> bool:
    """Whether a provider's `parse_notification` answered as its contract says."""
    return (
        isinstance(notification, Notification)
        and isinstance(notification.payment_id, uuid.UUID)
        and notification.outcome in OUTCOMES
        and _optional_text(notification.reference, 128)
    )


class PaymentProvider(Protocol):
    """A payment provider (see `register_payment_providers` in `jifen.hookspecs`).

    Optional: `parse_notification(headers, body) -> Notification`, verifying the
    provider's own signature and raising `jifen.mall.errors.NotificationRejected` when
    it does not verify; and `payment_page(request, locale) -> HTML`, a page of the
    provider's own at `/pay/<name with "-" for "_">/<payment id>`.
    """

    name: str
    title: str

    def start(self, request: PaymentRequest) -> ProviderAnswer: ...

    def refund(self, request: PaymentRequest) -> None: ...


class PaymentProviders(Registry[PaymentProvider]):
    """Every payment provider, by name, from `register_payment_providers(settings)`."""

    def __init__(self, plugins: pluggy.PluginManager, settings: Settings) -> None:
        super().__init__(
            plugins,
            "register_payment_providers",
            kind="payment provider",
            unknown=UnknownPaymentProvider,
            field="provider",
            hook_args={"settings": settings},
        )

    def start(self, name: str, request: PaymentRequest) -> ProviderAnswer:
        """Provider `name`'s answer to `request` (a `ProviderAnswer`, checked)."""
        answer: ProviderAnswer = self.call_checked(name, "start", is_answer, request)
        return answer

    def parse_notification(
        self, name: str, headers: Mapping[str, str], body: bytes
    ) -> Notification:
        """What a notification to provider `name` says, verified by the provider
        (`NotificationRejected` when it does not verify). A provider that raises
        anything else, or answers in another shape, is `NotificationFailed`."""
        if name not in self or not hasattr(self.get(name), "parse_notification"):
            raise UnknownPaymentProvider(
                N_("No installed payment provider takes notifications under this name."),
                details={"provider": name},
            )
        try:
            notification: Notification = self.call_checked(
                name, "parse_notification", is_notification, headers, body
            )
        except PluginFailed as failed:
            raise NotificationFailed(
                failed.message_id, params=failed.params, details=failed.details
            ) from failed
        return notification

    def has_page(self, name: str) -> bool:
        """Whether provider `name` has a payment page of its own."""
        return name in self and hasattr(self.get(name), "payment_page")

    def page(self, name: str, request: PaymentRequest, locale: str) -> str:
        """Provider `name`'s payment page for the request (`NoPaymentPage` when it has
        none)."""
        if not self.has_page(name):
            raise NoPaymentPage(details={"provider": name})
        return str(self.call(name, "payment_page", request, locale))


def request_of(
    payment: Payment, description: str = "", expires_at: datetime | None = None
) -> PaymentRequest:
    """What the provider is asked about the payment (its expiry, unless `expires_at`)."""
    return PaymentRequest(
        id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        description=description,
        expires_at=expires_at or payment.expires_at,
        reference=payment.reference,
    )


def window(payment: Payment) -> timedelta:
    """How long the member has to pay, from when the provider has the payment (read
    while the payment is `requested`)."""
    return payment.expires_at - payment.created_at


def request(
    session: Session,
    providers: PaymentProviders,
    settings: MallSettings,
    *,
    purpose: str,
    member_id: uuid.UUID,
    amount: int,
    currency: str,
    description: str,
    now: datetime,
    order_id: uuid.UUID | None = None,
    points: int | None = None,
) -> Payment:
    """Write a payment of `amount` `requested` from the tenant's provider; the provider
    is asked after commit. `expires_at` holds the window's length until the provider
    has the payment (the window starts then)."""
    provider = providers.get(settings.payment_provider)
    payment = Payment(
        tenant_id=settings.tenant_id,
        id=new_id(),
        provider=provider.name,
        purpose=purpose,
        order_id=order_id,
        member_id=member_id,
        amount=amount,
        currency=currency,
        points=points,
        status="requested",
        expires_at=now + timedelta(minutes=settings.payment_minutes),
        created_at=now,
        updated_at=now,
    )
    session.add(payment)
    session.flush()
    emit(
        session,
        PaymentRequested(payment.id, description[:200]),
        now=now,
        tenant_id=payment.tenant_id,
    )
    return payment


def get_payment(session: Session, payment_id: uuid.UUID) -> Payment:
    return get_owned(session, Payment, payment_id, "payment")


def find(session: Session, payment_id: uuid.UUID) -> Payment | None:
    """The payment with this id in any tenant (the session cross-tenant), or None."""
    return session.scalar(select(Payment).where(Payment.id == payment_id))


def _move(session: Session, payment: Payment, allowed: tuple[str, ...], **values: Any) -> bool:
    moved = session.execute(
        update(_PAYMENTS)
        .where(
            _PAYMENTS.c.tenant_id == payment.tenant_id,
            _PAYMENTS.c.id == payment.id,
            _PAYMENTS.c.status.in_(allowed),
        )
        .values(**values)
    )
    session.refresh(payment)
    return rowcount(moved) == 1


def started(session: Session, payment: Payment, answer: ProviderAnswer, now: datetime) -> bool:
    """Record that the provider has a requested payment (`requested -> pending`): its
    reference and instructions, and the payment window from now. False when the payment
    was no longer requested (settled, expired or cancelled meanwhile, or answered by
    another delivery): then the answer only fills what is still missing (`fill`)."""
    until = now + window(payment)
    moved = _move(
        session,
        payment,
        ("requested",),
        status="pending",
        reference=answer.reference,
        instructions=answer.instructions,
        expires_at=until,
        updated_at=now,
    )
    if not moved:
        fill(session, payment, now, reference=answer.reference, instructions=answer.instructions)
    return moved


def fill(session: Session, payment: Payment, now: datetime, **fields: str | None) -> None:
    """Record the provider's `reference` or `instructions` where the payment has none
    yet; what is recorded stays (the first word wins, whatever the status)."""
    missing = {
        name: value
        for name, value in fields.items()
        if value is not None and getattr(payment, name) is None
    }
    if not missing:
        return
    session.execute(
        update(_PAYMENTS)
        .where(_PAYMENTS.c.tenant_id == payment.tenant_id, _PAYMENTS.c.id == payment.id)
        .values(
            updated_at=now,
            **{name: func.coalesce(_PAYMENTS.c[name], value) for name, value in missing.items()},
        )
    )
    session.refresh(payment)


def settle(
    session: Session, payment: Payment, status: str, now: datetime, reference: str | None = None
) -> bool:
    """Move a payment not yet settled (`SETTLEABLE`) to `status` ("succeeded",
    "failed", "expired" or "cancelled"), with the provider's `reference` if it brings
    one and the payment has none; False when it was settled already."""
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if reference is not None:
        values["reference"] = func.coalesce(_PAYMENTS.c.reference, reference)
    return _move(session, payment, SETTLEABLE, **values)


def refund(session: Session, payment: Payment, now: datetime) -> bool:
    """Give a succeeded payment's money back: `succeeded -> refunding`, and the provider
    is asked after commit (`RefundRequested`). False when it had not succeeded."""
    return _refund(session, payment, ("succeeded",), now)


def refund_late(session: Session, payment: Payment, now: datetime) -> bool:
    """Money arrived for a payment that had ended without it (`ENDED_UNPAID`): it goes
    back, `-> refunding` with `RefundRequested`. False when the payment had not ended
    so (it succeeded, or is refunding already)."""
    return _refund(session, payment, ENDED_UNPAID, now)


def _refund(session: Session, payment: Payment, allowed: tuple[str, ...], now: datetime) -> bool:
    if not _move(session, payment, allowed, status="refunding", updated_at=now):
        return False
    emit(session, RefundRequested(payment.id), now=now, tenant_id=payment.tenant_id)
    return True


def withdraw(session: Session, payment: Payment, now: datetime) -> None:
    """What waits on the payment was cancelled or refunded: a succeeded payment is
    refunded, one not settled yet is `cancelled` (no provider call: a `requested` one
    the provider never had, and the relay skips; a `pending` one's late money is given
    back when it arrives). Any other payment stays as it is."""
    if not refund(session, payment, now):
        settle(session, payment, "cancelled", now)


def refunded(session: Session, payment: Payment, now: datetime) -> bool:
    """The provider gave the money back: `refunding -> refunded`."""
    return _move(session, payment, ("refunding",), status="refunded", updated_at=now)


def due(session: Session, now: datetime, limit: int) -> list[Payment]:
    """Payments to expire (the session may be cross-tenant): pending ones whose window
    has closed, and requested ones the provider never answered for within
    `REQUEST_GRACE` (their window never started)."""
    return list(
        session.scalars(
            select(Payment)
            .where(
                or_(
                    and_(Payment.status == "pending", Payment.expires_at <= now),
                    and_(Payment.status == "requested", Payment.created_at <= now - REQUEST_GRACE),
                )
            )
            .order_by(Payment.created_at)
            .limit(limit)
        )
    )
