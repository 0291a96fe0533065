"""Partner brands that fund co-branded items, and their budgets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import get_owned
from jifen.errors import refuse_total_too_large
from jifen.mall import sql
from jifen.mall.errors import BudgetBelowUsed, PartnerBudgetExhausted
from jifen.mall.models import Partner
from jifen.pagination import read_page
from jifen.types import new_id

if TYPE_CHECKING:
    from jifen.mall.till import OrderTill


def get_partner(session: Session, partner_id: uuid.UUID) -> Partner:
    return get_owned(session, Partner, partner_id, "partner")


@dataclass(frozen=True)
class Budgets:
    """Partners' budgets as a redeem mode uses them for one order: what it is handed by
    `till.service("partners")`."""

    session: Session
    tenant_id: uuid.UUID

    @classmethod
    def for_order(cls, till: OrderTill) -> Budgets:
        """The budgets as the order `till` serves uses them (the built-in "partners"
        till service)."""
        return cls(till.session, till.product.tenant_id)

    def use(self, partner_id: uuid.UUID, amount: int) -> dict[str, Any]:
        """Use `amount` of the partner's budget (`PartnerBudgetExhausted` when less is
        left); the partner and what was used, to record on the order for settlement."""
        partner = get_partner(self.session, partner_id)
        if not sql.fund(self.session.connection(), self.tenant_id, partner.id, amount):
            raise PartnerBudgetExhausted(
                details={"partner_id": str(partner.id), "left": partner.budget - partner.used}
            )
        return {
            "id": str(partner.id),
            "name": partner.name,
            "funded": amount,
            "currency": partner.currency,
        }

    def give_back(self, partner_id: uuid.UUID, amount: int) -> None:
        """Give back what a refunded order used of the partner's budget."""
        sql.unfund(self.session.connection(), self.tenant_id, partner_id, amount)


def list_partners(
    session: Session, *, limit: int, cursor: str | None = None
) -> tuple[list[Partner], str | None]:
    """A page of the tenant's partners, by name."""
    order = (Partner.name, Partner.id)
    return read_page(session.scalars, select(Partner), order, (str, uuid.UUID), limit, cursor)


def create_partner(
    session: Session, tenant_id: uuid.UUID, data: dict[str, Any], *, actor: Actor, clock: Clock
) -> Partner:
    """A partner brand with a budget (minor units of its currency) for co-branded items."""
    now = clock.now()
    partner = Partner(
        tenant_id=tenant_id,
        id=new_id(),
        name=data["name"],
        currency=data["currency"].upper(),
        budget=data["budget"],
        used=0,
        created_at=now,
        updated_at=now,
    )
    session.add(partner)
    session.flush()
    _audit(
        session, partner, actor, "partner.create", {"name": partner.name, "budget": partner.budget}
    )
    return partner


def change_budget(
    session: Session, partner_id: uuid.UUID, change: int, *, actor: Actor, clock: Clock
) -> Partner:
    """Add to a partner's budget, or take from it (never below what is used)."""
    partner = get_partner(session, partner_id)
    if not sql.change_budget(session.connection(), partner.tenant_id, partner.id, change):
        refuse_total_too_large("budget", partner.budget + change)
        raise BudgetBelowUsed(details={"budget": partner.budget, "used": partner.used})
    session.refresh(partner)
    partner.updated_at = clock.now()
    _audit(session, partner, actor, "partner.budget", {"change": change, "budget": partner.budget})
    return partner


def _audit(
    session: Session, partner: Partner, actor: Actor, action: str, after: dict[str, Any]
) -> None:
    audit.record(
        session,
        tenant_id=partner.tenant_id,
        actor=actor,
        action=action,
        object_type="partner",
        object_id=partner.id,
        after=after,
        now=partner.updated_at,
    )
