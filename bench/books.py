"""Shared set-up for the ledger benchmarks (docs/architecture.md, "Benchmarks").

Ours runs the ledger's services in this process against a migrated database. The
reference writes the same rows the operation writes, into the same tables (so the same
constraints, indexes and triggers), with the same driver and transaction size, through a
session opened exactly like ours (BEGIN, and on PostgreSQL the tenant's row-level
security setting). Ours and the reference get a tenant each, prepared alike, and are
timed in alternating slices, so the machine's drift falls on both. The ratio is ours
over the reference: our overhead over the database's own cost.

`JIFEN_BENCH_SCALE` (a divisor, default 1) shrinks the data for a smoke test.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from bench.http import BenchError, bench_database, log
from bench.relay import relay_beside, worker_for
from jifen import migrate
from jifen.audit import Actor
from jifen.config import Settings
from jifen.db import writing_for
from jifen.ledger.models import Account
from jifen.ledger.sql import create_wallets
from jifen.members.models import Member
from jifen.services import Services
from jifen.tenants.service import create_tenant
from jifen.types import new_id

ACTOR = Actor(kind="job", id="bench")
_ACCOUNTS = Account.__table__
# The references' wallet update: a posting's amount, the chain's new head and length.
WALLET_UPDATE = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.tenant_id == bindparam("t"), _ACCOUNTS.c.id == bindparam("a"))
    .values(
        balance=_ACCOUNTS.c.balance + bindparam("d"),
        head_hash=bindparam("h"),
        seq=bindparam("s"),
        updated_at=bindparam("now"),
    )
)


def scaled(count: int) -> int:
    raw = os.environ.get("JIFEN_BENCH_SCALE", "1").strip() or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise BenchError("JIFEN_BENCH_SCALE must be a whole number, at least 1")
    return max(1, count // int(raw))


@contextlib.contextmanager
def ledger_services(db: str) -> Iterator[Services]:
    """A migrated database (SQLite file or a temporary PostgreSQL) and our services,
    with Redis and one relay worker beside them (see `bench.relay`)."""
    with (
        tempfile.TemporaryDirectory(prefix="jifen-bench-") as tmp,
        bench_database(db, Path(tmp)) as database,
        relay_beside(Path(tmp)) as redis_url,
    ):
        env = {
            "JIFEN_DATABASE_URL": database.url,
            "JIFEN_MIGRATION_DATABASE_URL": database.owner_url,
            "JIFEN_OPERATOR_DATABASE_URL": database.operator_url,
            "JIFEN_INSTANCE_PATH": str(Path(tmp) / "instance"),
            "JIFEN_SECRET_KEY": secrets.token_urlsafe(48),
            "JIFEN_REDIS_URL": redis_url,
        }
        settings = Settings.from_env(env)
        log("migrating")
        migrate.upgrade(settings)
        services = Services.build(settings)
        try:
            with worker_for(env, Path(tmp)):
                yield services
        finally:
            services.close()


@dataclass
class BenchTenant:
    id: uuid.UUID
    members: list[uuid.UUID]


def tenant_with_members(services: Services, slug: str, count: int) -> BenchTenant:
    """A tenant and `count` members (inserted in bulk: member creation is not measured)."""
    with services.db.transaction() as session:
        tenant = create_tenant(session, slug=slug, name=slug, actor=ACTOR, clock=services.clock)
    now = services.clock.now()
    members = [new_id() for _ in range(count)]
    for start in range(0, count, 5000):
        with services.db.transaction(tenant_id=tenant.id) as session:
            writing_for(session, tenant.id).execute(
                insert(Member.__table__),
                [
                    {
                        "tenant_id": tenant.id,
                        "id": member_id,
                        "external_id": f"m{start + n}",
                        "status": "active",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n, member_id in enumerate(members[start : start + 5000])
                ],
            )
    return BenchTenant(tenant.id, members)


def open_wallets(services: Services, tenant: BenchTenant) -> dict[uuid.UUID, uuid.UUID]:
    """Wallets for every member (as ours opens them); returns member id -> account id."""
    with services.db.transaction(tenant_id=tenant.id) as session:
        connection = writing_for(session, tenant.id)
        for start in range(0, len(tenant.members), 5000):
            create_wallets(
                connection, tenant.id, tenant.members[start : start + 5000], services.clock.now()
            )
        return dict(
            connection.execute(
                select(Account.member_id, Account.id).where(
                    Account.tenant_id == tenant.id, Account.member_id.is_not(None)
                )
            ).all()
        )


def alternate(
    slices: int, ours: Callable[[int], Any], reference: Callable[[int], Any]
) -> tuple[float, float]:
    """Run slice i of ours, then of the reference, for every i; total seconds of each."""
    spent = [0.0, 0.0]
    for i in range(slices):
        for side, work in enumerate((ours, reference)):
            start = time.perf_counter()
            work(i)
            spent[side] += time.perf_counter() - start
    return spent[0], spent[1]


def account_row(
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    kind: str,
    member_id: uuid.UUID | None,
    now: Any,
    *,
    balance: int = 0,
    head: bytes | None = None,
    seq: int = 0,
) -> dict[str, Any]:
    """A row of `accounts` as the references write it."""
    return {
        "tenant_id": tenant_id,
        "id": account_id,
        "kind": kind,
        "member_id": member_id,
        "balance": balance,
        "held": 0,
        "debt": 0,
        "head_hash": head,
        "seq": seq,
        "created_at": now,
        "updated_at": now,
    }
