"""Fixtures for the ledger's tests: a tenant's books, members, and readings of them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import Any

import pytest
from sqlalchemy import func, select

from jifen.audit import Actor
from jifen.clock import ManualClock
from jifen.db import cross_tenant
from jifen.ledger import policy as policies
from jifen.ledger.models import Account, Entry, Hold, Lot
from jifen.ledger.verify import verify_tenant
from jifen.members import service as members
from jifen.services import Services

STAFF = Actor(kind="user", id="staff-1")
_numbers = count(1)


@dataclass(frozen=True)
class LotReading:
    amount: int
    remaining: int
    held: int
    expires_at: datetime | None
    id: uuid.UUID


@dataclass(frozen=True)
class WalletReading:
    balance: int
    held: int
    debt: int


@dataclass
class Books:
    svc: Services
    tenant_id: uuid.UUID
    clock: ManualClock

    def member(self, status: str = "active", *, origin: str = "merchant") -> uuid.UUID:
        """A member the merchant registers (or, `origin` "code", one the mall made)."""
        external_id = f"m{next(_numbers)}" if origin == "merchant" else None
        with self.svc.db.transaction(tenant_id=self.tenant_id) as session:
            member = members.create_member(
                session,
                self.tenant_id,
                {"external_id": external_id},
                actor=STAFF,
                clock=self.clock,
                keyring=self.svc.keyring,
                origin=origin,
            )
            if status != "active":
                session.execute(
                    members.Member.__table__.update()
                    .where(members.Member.__table__.c.id == member.id)
                    .values(status=status)
                )
        return member.id

    def run(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One operation in its own transaction, as an API request would run it."""
        with self.svc.db.transaction(tenant_id=self.tenant_id) as session:
            return operation(session, *args, actor=STAFF, clock=self.clock, **kwargs)

    def policy(self, **changes: Any) -> None:
        with self.svc.db.transaction(tenant_id=self.tenant_id) as session:
            policies.set_policy(session, self.tenant_id, changes, actor=STAFF, clock=self.clock)

    def wallet(self, member_id: uuid.UUID) -> WalletReading:
        with self.svc.db.session(tenant_id=self.tenant_id) as session:
            row = session.execute(
                select(Account.balance, Account.held, Account.debt).where(
                    Account.member_id == member_id
                )
            ).first()
        return WalletReading(*row) if row else WalletReading(0, 0, 0)

    def lots(self, member_id: uuid.UUID) -> list[LotReading]:
        with self.svc.db.session(tenant_id=self.tenant_id) as session:
            rows = session.execute(
                select(Lot.amount, Lot.remaining, Lot.held, Lot.expires_at, Lot.id)
                .join(
                    Account, (Account.tenant_id == Lot.tenant_id) & (Account.id == Lot.account_id)
                )
                .where(Account.member_id == member_id)
                .order_by(Lot.expires_at.is_(None), Lot.expires_at, Lot.id)
            )
            return [LotReading(*row) for row in rows]

    def count(self, model: type) -> int:
        with self.svc.db.session(tenant_id=self.tenant_id) as session:
            return session.scalar(select(func.count()).select_from(model))

    def kinds(self) -> list[str]:
        """The kinds of the tenant's entries, in the order they were posted."""
        with self.svc.db.session(tenant_id=self.tenant_id) as session:
            return list(session.scalars(select(Entry.kind).order_by(Entry.id)))

    def hold_status(self, hold_id: uuid.UUID) -> str:
        with self.svc.db.session(tenant_id=self.tenant_id) as session:
            return session.scalar(select(Hold.status).where(Hold.id == hold_id))

    def snapshot(self) -> tuple[int, int, int]:
        """Rows that any operation writes: a refused one must leave these alone."""
        return (self.count(Entry), self.count(Lot), self.count(Hold))

    def verify(self) -> None:
        with self.svc.db.session() as session, cross_tenant(session, "test verify"):
            violation = verify_tenant(session.connection(), self.tenant_id)
        assert violation is None, str(violation)


@pytest.fixture
def books(svc, make_tenant, clock) -> Books:
    return Books(svc, make_tenant().tenant_id, clock)
