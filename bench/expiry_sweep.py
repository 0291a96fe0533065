"""expiry_sweep: expiring 30% of 1,000,000 lots.

Each of ours and the reference gets a tenant of 100,000 members with 10 lots each, 3 of
them past their expiry (so 300,000 lots and 30% of the points expire). Ours:
`jifen.ledger.expiry.sweep_batch`, 1,000 wallets a transaction. Reference: per 1,000
wallets, one transaction that reads the due lots and the wallets' chain heads (locking
them) and writes the same rows — an 'expire' entry per wallet, its two postings (hashed),
a consumption per lot, the lots' and the wallets' updates. Batches alternate.

The data is loaded in bulk (COPY on PostgreSQL, as the schema owner; executemany on
SQLite): a wallet with one earning entry and ten lots per member. Then the heap is
frozen (`gc.freeze`), as the worker freezes its own before running jobs, so that
neither side's batches pay for full collections of the set-up's objects.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, create_engine, insert, select, update

from bench.books import ACTOR, BenchTenant, account_row, alternate, ledger_services, scaled
from bench.http import BenchError, Result, log
from bench.reference import database_url
from bench.relay import relay_lag
from jifen.db import writing_for
from jifen.ledger import expiry
from jifen.ledger.chain import posting_hash
from jifen.ledger.models import SYSTEM_ACCOUNTS, Account, Entry, Lot, LotConsumption, Posting
from jifen.ledger.sql import system_account_id
from jifen.members.models import Member
from jifen.services import Services
from jifen.tenants.service import create_tenant
from jifen.types import new_id

NAME = "expiry_sweep"
MEMBERS = 100_000
LOTS_EACH = 10
DUE_EACH = 3
POINTS = 100
BATCH = 1_000


def run(db: str) -> Result:
    members = scaled(MEMBERS)
    with ledger_services(db) as services:
        ours = _loaded(services, "ours", members)
        ref = _loaded(services, "reference", members)
        now = services.clock.now()
        lots_due = members * DUE_EACH
        done = [0, 0]

        def ours_slice(_i: int) -> None:
            done[0] += expiry.sweep_batch(services, ours.id, now, batch=BATCH)[0]

        def reference_slice(_i: int) -> None:
            done[1] += _reference_batch(services, ref.id, now)

        batches = (members + BATCH - 1) // BATCH
        log(f"{NAME}: {batches} batches of {BATCH} wallets each, alternating")
        # As `flask jifen worker`, where the sweep runs, does: what is alive now (the
        # app, and here the set-up's member lists) leaves the collector's scans, for ours
        # and the reference alike. A batch keeps enough objects alive to set off a full
        # collection; without this, full collections of this process's heap were most of
        # what the line measured at full scale (and grew with it).
        gc.freeze()
        try:
            ours_seconds, ref_seconds = alternate(batches, ours_slice, reference_slice)
        finally:
            gc.unfreeze()
        if done != [members, members] or expiry.sweep_batch(services, ours.id, now)[0]:
            raise BenchError(f"expected {members} wallets swept on each side, got {done}")
        lag = relay_lag(services)
    return Result(
        NAME,
        lots_due / ours_seconds,
        lots_due / ref_seconds,
        unit=" lots/s",
        extra={"lots": str(members * LOTS_EACH), "expired": str(lots_due), "relay_lag": lag},
    )


def _loaded(services: Services, slug: str, members: int) -> BenchTenant:
    """A tenant whose members each hold 10 lots, 3 of them past their expiry."""
    with services.db.transaction() as session:
        tenant_id = create_tenant(
            session, slug=slug, name=slug, actor=ACTOR, clock=services.clock
        ).id
    now = services.clock.now()
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    issued = system_account_id(tenant_id, "issued")
    for kind in SYSTEM_ACCOUNTS:
        rows["accounts"].append(
            account_row(tenant_id, system_account_id(tenant_id, kind), kind, None, now)
        )
    member_ids = []
    for n in range(members):
        member_id, wallet, entry, credit = new_id(), new_id(), new_id(), new_id()
        member_ids.append(member_id)
        amount = POINTS * LOTS_EACH
        digest = posting_hash(None, tenant_id, credit, entry, amount, now)
        rows["members"].append(
            {"tenant_id": tenant_id, "id": member_id, "external_id": f"m{n}", "status": "active"}
            | {"created_at": now, "updated_at": now}
        )
        rows["accounts"].append(
            account_row(
                tenant_id, wallet, "wallet", member_id, now, balance=amount, head=digest, seq=1
            )
        )
        rows["entries"].append(
            {"tenant_id": tenant_id, "id": entry, "kind": "earn", "actor_kind": "job"}
            | {"actor_id": "bench", "created_at": now}
        )
        rows["postings"].append(
            {"tenant_id": tenant_id, "id": new_id(), "entry_id": entry, "account_id": issued}
            | {"amount": -amount, "created_at": now}
        )
        rows["postings"].append(
            {"tenant_id": tenant_id, "id": credit, "entry_id": entry, "account_id": wallet}
            | {"amount": amount, "seq": 1, "hash": digest, "total_after": amount}
            | {"created_at": now}
        )
        for k in range(LOTS_EACH):
            days = -(k + 1) if k < DUE_EACH else 30 * k
            rows["lots"].append(
                {"tenant_id": tenant_id, "id": new_id(), "account_id": wallet, "entry_id": entry}
                | {"amount": POINTS, "remaining": POINTS, "held": 0}
                | {"earned_at": now - timedelta(days=400), "expires_at": now + timedelta(days=days)}
            )
    log(f"{NAME}: loading {members * LOTS_EACH} lots for {slug}")
    _bulk_load(services, rows)
    return BenchTenant(tenant_id, member_ids)


_TABLES = {
    "members": Member.__table__,
    "accounts": Account.__table__,
    "entries": Entry.__table__,
    "postings": Posting.__table__,
    "lots": Lot.__table__,
}


def _bulk_load(services: Services, rows: dict[str, list[dict[str, Any]]]) -> None:
    url = services.settings.migration_database_url or services.settings.database_url
    engine = create_engine(database_url(url))
    try:
        with engine.begin() as connection:
            for name, table in _TABLES.items():
                columns = [column.name for column in table.columns]
                values = [{c: row.get(c) for c in columns} for row in rows[name]]
                if engine.dialect.name != "postgresql":
                    for start in range(0, len(values), 50_000):
                        connection.execute(insert(table), values[start : start + 50_000])
                    continue
                # COPY as the owner: fast, and not subject to row-level security.
                raw = connection.connection.driver_connection
                assert raw is not None  # an open connection has its driver's
                with (
                    raw.cursor() as cursor,
                    cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy,
                ):
                    for row in values:
                        copy.write_row([row[c] for c in columns])
            if engine.dialect.name == "postgresql":
                # What autovacuum would soon do after a load this size: give the planner
                # statistics, for ours and the reference alike.
                connection.exec_driver_sql(f"ANALYZE {', '.join(_TABLES)}")
    finally:
        engine.dispose()


_A, _L = Account.__table__, Lot.__table__
_LOCK = (
    select(_A.c.id, _A.c.head_hash, _A.c.seq, _A.c.balance, _A.c.held, _A.c.debt)
    .where(_A.c.tenant_id == bindparam("t"), _A.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_A.c.id)
    .with_for_update()
)
_EXPIRE_LOT = (
    update(_L)
    .where(_L.c.tenant_id == bindparam("t"), _L.c.id == bindparam("l"))
    .values(remaining=_L.c.remaining - bindparam("n"))
)
_EXPIRE_WALLET = (
    update(_A)
    .where(_A.c.tenant_id == bindparam("t"), _A.c.id == bindparam("a"))
    .values(balance=_A.c.balance - bindparam("n"), head_hash=bindparam("h"), seq=bindparam("s"))
)


def _reference_batch(services: Services, tenant_id: Any, now: Any) -> int:
    with services.db.transaction(tenant_id=tenant_id) as session:
        connection = writing_for(session, tenant_id)
        # As ours does: first the wallets with lots due (one batch), then their due lots.
        accounts = list(
            connection.execute(
                select(_L.c.account_id)
                .where(
                    _L.c.tenant_id == tenant_id, _L.c.expires_at <= now, _L.c.remaining > _L.c.held
                )
                .distinct()
                .limit(BATCH)
            ).scalars()
        )
        due: dict[Any, list[tuple[Any, int]]] = defaultdict(list)
        for account_id, lot_id, points in connection.execute(
            select(_L.c.account_id, _L.c.id, _L.c.remaining - _L.c.held).where(
                _L.c.tenant_id == tenant_id,
                _L.c.account_id.in_(accounts),
                _L.c.expires_at <= now,
                _L.c.remaining > _L.c.held,
            )
        ):
            due[account_id].append((lot_id, points))
        if not due:
            return 0
        wallets = connection.execute(_LOCK, {"t": tenant_id, "ids": list(due)}).all()
        expired_account = system_account_id(tenant_id, "expired")
        entries, postings, consumptions, lots, updates = [], [], [], [], []
        for wallet in wallets:
            entry, debit = new_id(), new_id()
            points = sum(n for _, n in due[wallet.id])
            digest = posting_hash(wallet.head_hash, tenant_id, debit, entry, -points, now)
            entries.append(
                {"tenant_id": tenant_id, "id": entry, "kind": "expire", "actor_kind": "system"}
                | {"actor_id": None, "request_id": None, "reverses_entry_id": None}
                | {"reference": None, "memo": "expired", "data": None, "created_at": now}
            )
            common = {"tenant_id": tenant_id, "entry_id": entry, "created_at": now}
            postings.append(
                {**common, "id": debit, "account_id": wallet.id, "amount": -points}
                | {"seq": wallet.seq + 1, "hash": digest}
                | {"total_after": wallet.balance + wallet.held - wallet.debt - points}
            )
            postings.append(
                {**common, "id": new_id(), "account_id": expired_account, "amount": points}
                | {"seq": None, "hash": None, "total_after": None}
            )
            for lot_id, n in due[wallet.id]:
                consumptions.append(
                    {"tenant_id": tenant_id, "id": new_id(), "entry_id": entry}
                    | {"lot_id": lot_id, "amount": n}
                )
                lots.append({"t": tenant_id, "l": lot_id, "n": n})
            updates.append(
                {"t": tenant_id, "a": wallet.id, "n": points, "h": digest, "s": wallet.seq + 1}
            )
        connection.execute(insert(Entry.__table__), entries)
        connection.execute(insert(Posting.__table__), postings)
        connection.execute(insert(LotConsumption.__table__), consumptions)
        connection.execute(_EXPIRE_LOT, lots)
        connection.execute(_EXPIRE_WALLET, updates)
        return len(wallets)
