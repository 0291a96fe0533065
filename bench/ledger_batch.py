"""ledger_batch: earning for 100,000 members in batches of 1,000 (their first points).

Ours: `jifen.ledger.service.earn_batch` per batch, one transaction each: it opens the
members' wallets, locks them, credits each from the issued account (an entry, two
postings extending the wallet's hash chain, a lot) and writes it all set-based.
Reference: per batch, one transaction that inserts the same rows — the wallets, the
entries, the postings (hashed), the lots — and updates the wallets, with one executemany
per table and no reads at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from bench.books import (
    ACTOR,
    WALLET_UPDATE,
    account_row,
    alternate,
    ledger_services,
    scaled,
    tenant_with_members,
)
from bench.http import Result, log
from bench.relay import relay_lag
from jifen.db import writing_for
from jifen.ledger import service
from jifen.ledger.chain import posting_hash
from jifen.ledger.models import SYSTEM_ACCOUNTS, Account, Entry, Lot, Posting
from jifen.ledger.sql import system_account_id as system_account
from jifen.services import Services
from jifen.types import new_id

NAME = "ledger_batch"
MEMBERS = 100_000
BATCH = 1_000
POINTS = 100


def run(db: str) -> Result:
    members = scaled(MEMBERS)
    with ledger_services(db) as services:
        log(f"{NAME}: {members} members for ours and for the reference")
        ours = tenant_with_members(services, "ours", members)
        ref = tenant_with_members(services, "reference", members)
        batches = (members + BATCH - 1) // BATCH

        def ours_slice(i: int) -> None:
            batch = ours.members[i * BATCH : (i + 1) * BATCH]
            with services.db.transaction(tenant_id=ours.id) as session:
                service.earn_batch(
                    session,
                    [(member_id, POINTS) for member_id in batch],
                    actor=ACTOR,
                    clock=services.clock,
                    memo="bench",
                )

        def reference_slice(i: int) -> None:
            _reference_batch(services, ref.id, ref.members[i * BATCH : (i + 1) * BATCH])

        log(f"{NAME}: {batches} batches of {BATCH}, alternating")
        ours_seconds, ref_seconds = alternate(batches, ours_slice, reference_slice)
        lag = relay_lag(services)
    return Result(
        NAME,
        members / ours_seconds,
        members / ref_seconds,
        unit=" members/s",
        extra={"relay_lag": lag},
    )


_ACCOUNTS = Account.__table__


def _reference_batch(services: Services, tenant_id: Any, members: list[Any]) -> None:
    now = services.clock.now()
    issued = system_account(tenant_id, "issued")
    wallets, entries, postings, lots, updates = [], [], [], [], []
    for member_id in members:
        wallet, entry, credit = new_id(), new_id(), new_id()
        digest = posting_hash(None, tenant_id, credit, entry, POINTS, now)
        wallets.append(account_row(tenant_id, wallet, "wallet", member_id, now))
        entries.append(
            {
                "tenant_id": tenant_id,
                "id": entry,
                "kind": "earn",
                "actor_kind": ACTOR.kind,
                "actor_id": ACTOR.id,
                "request_id": None,
                "reverses_entry_id": None,
                "reference": None,
                "memo": "bench",
                "data": None,
                "created_at": now,
            }
        )
        common = {"tenant_id": tenant_id, "entry_id": entry, "created_at": now}
        postings.append(
            {**common, "id": new_id(), "account_id": issued, "amount": -POINTS}
            | {"seq": None, "hash": None, "total_after": None}
        )
        postings.append(
            {**common, "id": credit, "account_id": wallet, "amount": POINTS}
            | {"seq": 1, "hash": digest, "total_after": POINTS}
        )
        lots.append(
            {
                "tenant_id": tenant_id,
                "id": new_id(),
                "account_id": wallet,
                "entry_id": entry,
                "amount": POINTS,
                "remaining": POINTS,
                "held": 0,
                "earned_at": now,
                "expires_at": None,
            }
        )
        updates.append({"t": tenant_id, "a": wallet, "d": POINTS, "h": digest, "s": 1, "now": now})
    with services.db.transaction(tenant_id=tenant_id) as session:
        connection = writing_for(session, tenant_id)
        if not _has_system_accounts(connection, tenant_id):
            connection.execute(insert(_ACCOUNTS), _system_accounts(tenant_id, now))
        connection.execute(insert(_ACCOUNTS), wallets)
        connection.execute(insert(Entry.__table__), entries)
        connection.execute(insert(Lot.__table__), lots)
        connection.execute(insert(Posting.__table__), postings)
        connection.execute(WALLET_UPDATE, updates)


def _has_system_accounts(connection: Any, tenant_id: Any) -> bool:
    return (
        connection.execute(
            select(_ACCOUNTS.c.id).where(
                _ACCOUNTS.c.tenant_id == tenant_id,
                _ACCOUNTS.c.id == system_account(tenant_id, "issued"),
            )
        ).first()
        is not None
    )


def _system_accounts(tenant_id: Any, now: Any) -> list[dict[str, Any]]:
    return [
        account_row(tenant_id, system_account(tenant_id, kind), kind, None, now)
        for kind in SYSTEM_ACCOUNTS
    ]
