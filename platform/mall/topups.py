"""Points top-ups (积分充值): members buy points for cash when the merchant sells them.
The points are credited only once the payment succeeds, exactly once."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from jifen import ledger
from jifen.audit import Actor
from jifen.i18n import N_, Message
from jifen.mall import payments
from jifen.mall import settings as mall_settings
from jifen.mall.errors import TopupDisabled
from jifen.mall.models import Payment
from jifen.types import minor_units

if TYPE_CHECKING:
    from jifen.mall.collaborators import MallCollaborators


def price_of(points: int, rate: int, currency: str) -> int:
    """What `points` cost in minor units at `rate` points per currency unit, rounded up
    (a member never pays less than the rate)."""
    return -(-points * minor_units(currency) // rate)


def buy(
    session: Session,
    svc: MallCollaborators,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID,
    points: int,
    currency: str,
) -> Payment:
    """Start a top-up: a payment for `points`, requested from the provider after
    commit; they are credited once it succeeds (`payment_settled`)."""
    settings = mall_settings.settings_of(session, tenant_id)
    if not settings.topup_enabled:
        raise TopupDisabled()
    ledger.open_journal(session, svc.clock).wallets_of([member_id])  # a known, active member
    return payments.request(
        session,
        svc.payment_providers,
        settings,
        purpose="topup",
        member_id=member_id,
        amount=price_of(points, settings.topup_rate, currency),
        currency=currency,
        description=f"{points} points",
        now=svc.clock.now(),
        points=points,
    )


def payment_settled(
    session: Session, svc: MallCollaborators, payment: Payment, succeeded: bool, *, actor: Actor
) -> None:
    """Credit a succeeded top-up's points (a failed one simply ends)."""
    if succeeded and payment.points:
        ledger.earn(
            session,
            payment.member_id,
            payment.points,
            actor=actor,
            clock=svc.clock,
            reference=f"topup:{payment.id}",
            memo=Message(N_("top-up")),
        )
