"""Payments through the providers plugins give (`register_payment_providers()`).

A payment is created pending for the member to pay within the tenant's payment window;
the provider may settle it at once. It then succeeds, fails, or expires exactly once:
every change of status is one conditional update from `pending`, so a late or repeated
notification changes nothing. What waits on a payment (an order's held points, a
top-up's points) is moved by `jifen.mall.cashier`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import pluggy
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jifen.db import get_owned
from jifen.mall.errors import PaymentFailed, UnknownPayment, UnknownPaymentProvider
from jifen.mall.models import MallSettings, Payment
from jifen.registry import Registry
from jifen.types import new_id

_PAYMENTS = Payment.__table__


@dataclass(frozen=True)
class PaymentRequest:
    """What a provider is asked to collect: minor units of a currency."""

    id: uuid.UUID
    amount: int
    currency: str
    description: str
    expires_at: datetime
    reference: str | None = None  # the provider's, once it has one (for refunds)


@dataclass(frozen=True)
class ProviderAnswer:
    status: str  # "pending", "succeeded" or "failed"
    reference: str | None = None
    instructions: str | None = None


class PaymentProvider(Protocol):
    name: str
    title: str

    def start(self, request: PaymentRequest) -> ProviderAnswer: ...

    def refund(self, request: PaymentRequest) -> None: ...


class PaymentProviders(Registry[PaymentProvider]):
    """Every payment provider, by name, from `register_payment_providers()`."""

    def __init__(self, plugins: pluggy.PluginManager) -> None:
        super().__init__(
            plugins,
            "register_payment_providers",
            kind="payment provider",
            unknown=UnknownPaymentProvider,
            field="provider",
        )


def request_of(payment: Payment, description: str = "") -> PaymentRequest:
    return PaymentRequest(
        id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        description=description,
        expires_at=payment.expires_at,
        reference=payment.reference,
    )


def start(
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
    """Ask the tenant's provider to collect `amount`; refused when it declines at once."""
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
        status="pending",
        expires_at=now + timedelta(minutes=settings.payment_minutes),
        created_at=now,
        updated_at=now,
    )
    answer = providers.call(provider.name, "start", request_of(payment, description))
    if answer.status == "failed":
        raise PaymentFailed(details={"provider": provider.name})
    payment.status = answer.status
    payment.reference = answer.reference
    payment.instructions = answer.instructions
    session.add(payment)
    session.flush()
    return payment


def get_payment(session: Session, payment_id: uuid.UUID) -> Payment:
    missing = UnknownPayment(details={"payment_id": str(payment_id)})
    return get_owned(session, Payment, payment_id, missing)


def settle(session: Session, payment: Payment, status: str, now: datetime) -> bool:
    """Move a pending payment to `status`; False when it was no longer pending."""
    moved = session.execute(
        update(_PAYMENTS)
        .where(
            _PAYMENTS.c.tenant_id == payment.tenant_id,
            _PAYMENTS.c.id == payment.id,
            _PAYMENTS.c.status == "pending",
        )
        .values(status=status, updated_at=now)
    )
    session.refresh(payment)
    return moved.rowcount == 1


def refund(session: Session, providers: PaymentProviders, payment: Payment, now: datetime) -> None:
    """Give a succeeded payment's money back through its provider."""
    providers.call(payment.provider, "refund", request_of(payment))
    session.execute(
        update(_PAYMENTS)
        .where(
            _PAYMENTS.c.tenant_id == payment.tenant_id,
            _PAYMENTS.c.id == payment.id,
            _PAYMENTS.c.status == "succeeded",
        )
        .values(status="refunded", updated_at=now)
    )
    session.refresh(payment)


def due(session: Session, now: datetime, limit: int) -> list[Payment]:
    """Pending payments whose window has closed (the session may be cross-tenant)."""
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.status == "pending", Payment.expires_at <= now)
            .order_by(Payment.expires_at)
            .limit(limit)
        )
    )
