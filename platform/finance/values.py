"""A tenant's point value: what a point costs it, its stand-alone selling price, and the
expected-redemption rate it sets (else estimated). Until the merchant says, a point is
worth nothing in money and the reports say so rather than guess."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.errors import ValidationFailed
from jifen.finance.models import PointValue
from jifen.finance.rounding import round_half_up
from jifen.i18n import N_, Message

MOST = Decimal(1_000_000)  # minor units a point: far above any real programme


@dataclass(frozen=True)
class Value:
    cost: Decimal | None
    selling_price: Decimal | None
    redemption_rate: Decimal | None

    def money(self, points: int) -> int | None:
        """`points` valued at the point's cost, in minor units (half up), if set."""
        if self.cost is None:
            return None
        return round_half_up(Decimal(points) * self.cost)


def value_of(session: Session, tenant_id: uuid.UUID) -> Value:
    row = session.get(PointValue, tenant_id)
    if row is None:
        return Value(None, None, None)
    return Value(row.cost, row.selling_price, row.redemption_rate)


def set_value(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    cost: Decimal,
    selling_price: Decimal,
    redemption_rate: Decimal | None,
    actor: Actor,
    clock: Clock,
) -> Value:
    """Set the point value; audited."""
    problems: dict[str, list[Message]] = {}
    for name, number in (("cost", cost), ("selling_price", selling_price)):
        if not number.is_finite() or not 0 <= number <= MOST:
            problems[name] = [Message(N_("A number from 0 to 1,000,000."))]
    if redemption_rate is not None and not (
        redemption_rate.is_finite() and 0 <= redemption_rate <= 1
    ):
        problems["redemption_rate"] = [Message(N_("A share from 0 to 1, such as 0.85."))]
    if problems:
        raise ValidationFailed(details=problems)
    row = session.get(PointValue, tenant_id)
    before: dict[str, Any] | None = None
    now = clock.now()
    if row is None:
        row = PointValue(tenant_id=tenant_id, cost=cost, selling_price=selling_price)
        session.add(row)
    else:
        before = {"cost": str(row.cost), "selling_price": str(row.selling_price)}
    row.cost, row.selling_price, row.redemption_rate = cost, selling_price, redemption_rate
    row.updated_at = now
    session.flush()
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="point_value.set",
        object_type="point_value",
        object_id=tenant_id,
        before=before,
        after={
            "cost": str(cost),
            "selling_price": str(selling_price),
            "redemption_rate": None if redemption_rate is None else str(redemption_rate),
        },
        now=now,
    )
    return value_of(session, tenant_id)
