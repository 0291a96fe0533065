"""Expiry: the sweep that expires points past their date, and reminders before it.

The sweep works tenant by tenant in batches of wallets, each batch one transaction of
set-based statements (lock the batch's wallets in id order, read their open lots, write
one 'expire' entry per wallet): no per-member round trips. It is resumable (a batch that
committed is done; a crash loses only the batch in flight) and idempotent (a second run
finds nothing due). Points that a hold keeps are not expired by the sweep; they expire
when the hold gives them back.

Reminders: for each of the tenant's notice windows (e.g. 30 and 7 days), every member
with points expiring within it gets one `PointsExpiring` event per expiry date, in the
bulk lane; the event's key makes a repeated round write nothing new. The relay hands
them to the notifiers.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from jifen.audit import SYSTEM
from jifen.db import writing_for
from jifen.ledger import policy as policies
from jifen.ledger import sql
from jifen.ledger.domain_events import PointsExpiring
from jifen.ledger.journal import Journal
from jifen.ledger.service import expire_due
from jifen.outbox.events import BULK, emit, write_now
from jifen.tenants import Tenant

if TYPE_CHECKING:
    from jifen.collaborators import Collaborators

BATCH = 1000


def _active_tenants(services: Collaborators) -> list[uuid.UUID]:
    with services.db.session() as session:
        return list(session.scalars(select(Tenant.id).where(Tenant.status == "active")))


def sweep_tenant(services: Collaborators, tenant_id: uuid.UUID, *, batch: int = BATCH) -> int:
    """Expire a tenant's points that are past their date. Returns the points expired."""
    now = services.clock.now()
    expired = 0
    while True:
        wallets, points = sweep_batch(services, tenant_id, now, batch=batch)
        if not wallets:
            return expired
        expired += points


def sweep_batch(
    services: Collaborators, tenant_id: uuid.UUID, now: datetime, *, batch: int = BATCH
) -> tuple[int, int]:
    """One transaction of the sweep: up to `batch` wallets with points due at `now`.
    Returns (wallets, points) expired; (0, 0) when nothing is left."""
    with services.db.transaction(tenant_id=tenant_id) as session:
        journal = Journal(session, tenant_id, now, lane=BULK)
        member_ids = sql.members_with_due_lots(journal.connection, tenant_id, now, batch)
        if not member_ids:
            return 0, 0
        wallets = journal.wallets_of(member_ids, active=False)
        journal.load_lots(wallets, only_due=True)
        before = sum(wallet.balance for wallet in wallets)
        for wallet in wallets:
            expire_due(journal, wallet, SYSTEM)
        journal.flush()
        return len(wallets), before - sum(wallet.balance for wallet in wallets)


def sweep(services: Collaborators) -> int:
    """Periodic job: the sweep for every active tenant."""
    return sum(sweep_tenant(services, tenant_id) for tenant_id in _active_tenants(services))


def remind_tenant(services: Collaborators, tenant_id: uuid.UUID) -> int:
    """Remind a tenant's members of points expiring within its notice windows.
    Returns how many reminders were new."""
    now = services.clock.now()
    with services.db.transaction(tenant_id=tenant_id) as session:
        connection = writing_for(session, tenant_id)
        policy = policies.load(connection, tenant_id)
        if not policy.notice_days:
            return 0
        windows = sorted(policy.notice_days)
        rows = sql.expiring_points(connection, tenant_id, now, now + timedelta(days=windows[-1]))
        for member_id, expires_at, points in rows:
            # The narrowest window that holds this expiry: a member first seen 5 days
            # before gets the 7-day notice only, not the 30-day one as well.
            days = next(d for d in windows if expires_at <= now + timedelta(days=d))
            # Expiry instants are local midnights: the member's last day is the one before.
            last_day = policy.local_day(expires_at - timedelta(microseconds=1))
            notice = PointsExpiring(member_id, int(points), expires_at, last_day, days)
            emit(session, notice, now=now, key=f"points-expiring:{member_id}:{last_day}:{days}")
        return write_now(session)


def remind(services: Collaborators) -> int:
    """Periodic job: expiry reminders for every active tenant."""
    return sum(remind_tenant(services, tenant_id) for tenant_id in _active_tenants(services))
