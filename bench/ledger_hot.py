"""ledger_hot: 8 concurrent clients redeeming from 8 members through the services.

Eight threads each open a transaction per redemption of 1 point from one of 8 members
(chosen at random, so clients collide on the same wallets), for a fixed time.
Ours: `jifen.ledger.service.redeem`. Reference: per redemption, the minimal correct write
of the same rows — lock the wallet (reading its chain head), pick the soonest-expiring
lot with points, insert the entry, its two postings (hashed) and the lot consumption,
update the lot and the wallet. Rounds of ours and the reference alternate.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from bench.books import (
    ACTOR,
    BenchTenant,
    ledger_services,
    tenant_with_members,
)
from bench.http import BenchError, Result, log, seconds_from_env
from bench.relay import relay_lag
from jifen.db import writing_for
from jifen.ledger import service
from jifen.ledger.chain import posting_hash
from jifen.ledger.models import Account, Entry, Lot, LotConsumption, Posting
from jifen.ledger.sql import system_account_id as system_account
from jifen.services import Services
from jifen.types import new_id

NAME = "ledger_hot"
CLIENTS = 8
MEMBERS = 8
ROUNDS = 3
FUNDS = 10**12


def run(db: str) -> Result:
    seconds = seconds_from_env("JIFEN_BENCH_SECONDS", 10, minimum=1)
    with ledger_services(db) as services:
        ours, ref = (_funded(services, slug) for slug in ("ours", "reference"))

        def ours_op(member_id: Any) -> None:
            with services.db.transaction(tenant_id=ours.id) as session:
                service.redeem(session, member_id, 1, actor=ACTOR, clock=services.clock)

        def reference_op(member_id: Any) -> None:
            _reference_redeem(services, ref.id, member_id)

        totals = [0, 0]
        for round_ in range(1, ROUNDS + 1):
            for side, (label, tenant, op) in enumerate(
                (("ours", ours, ours_op), ("reference", ref, reference_op))
            ):
                done = _hammer(tenant, op, seconds)
                totals[side] += done
                log(f"{NAME}: round {round_}/{ROUNDS} {label}: {done / seconds:.0f}/s")
        lag = relay_lag(services)
    return Result(
        NAME,
        totals[0] / (ROUNDS * seconds),
        totals[1] / (ROUNDS * seconds),
        extra={"relay_lag": lag},
    )


def _funded(services: Services, slug: str) -> BenchTenant:
    tenant = tenant_with_members(services, slug, MEMBERS)
    now = services.clock.now()
    for member_id in tenant.members:
        for months in (6, 12, 24):  # a few lots, so soonest-first has a choice to make
            with services.db.transaction(tenant_id=tenant.id) as session:
                service.earn(
                    session,
                    member_id,
                    FUNDS,
                    actor=ACTOR,
                    clock=services.clock,
                    expires_at=now.replace(year=now.year + months // 12 + 1),
                )
    return tenant


def _hammer(tenant: BenchTenant, op: Callable[[Any], None], seconds: int) -> int:
    stop = time.monotonic() + seconds
    counts = [0] * CLIENTS
    errors: list[BaseException] = []

    def client(n: int) -> None:
        pick = random.Random(n).choice
        try:
            while time.monotonic() < stop:
                op(pick(tenant.members))
                counts[n] += 1
        except BaseException as exc:  # reported below: a failing run has no honest rate
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise BenchError(f"a client failed: {errors[0]!r}")
    return sum(counts)


_A, _L = Account.__table__, Lot.__table__
_LOCK = (
    select(_A.c.id, _A.c.head_hash, _A.c.seq, _A.c.balance, _A.c.held, _A.c.debt)
    .where(_A.c.tenant_id == bindparam("t"), _A.c.member_id == bindparam("m"))
    .with_for_update()
)
_LOT = (
    select(_L.c.id)
    .where(
        _L.c.tenant_id == bindparam("t"),
        _L.c.account_id == bindparam("a"),
        _L.c.remaining > _L.c.held,
    )
    .order_by(_L.c.expires_at)
    .limit(1)
)
_TAKE = (
    update(_L)
    .where(_L.c.tenant_id == bindparam("t"), _L.c.id == bindparam("l"))
    .values(remaining=_L.c.remaining - 1)
)
_SPEND = (
    update(_A)
    .where(_A.c.tenant_id == bindparam("t"), _A.c.id == bindparam("a"), _A.c.balance >= 1)
    .values(balance=_A.c.balance - 1, head_hash=bindparam("h"), seq=bindparam("s"))
)


def _reference_redeem(services: Services, tenant_id: Any, member_id: Any) -> None:
    now = services.clock.now()
    with services.db.transaction(tenant_id=tenant_id) as session:
        connection = writing_for(session, tenant_id)
        wallet = connection.execute(_LOCK, {"t": tenant_id, "m": member_id}).one()
        lot = connection.execute(_LOT, {"t": tenant_id, "a": wallet.id}).scalar_one()
        entry, debit = new_id(), new_id()
        seq = wallet.seq + 1
        digest = posting_hash(wallet.head_hash, tenant_id, debit, entry, -1, now)
        total = wallet.balance + wallet.held - wallet.debt - 1
        connection.execute(
            insert(Entry.__table__),
            {
                "tenant_id": tenant_id,
                "id": entry,
                "kind": "redeem",
                "actor_kind": ACTOR.kind,
                "actor_id": ACTOR.id,
                "request_id": None,
                "reverses_entry_id": None,
                "reference": None,
                "memo": None,
                "data": None,
                "created_at": now,
            },
        )
        common = {"tenant_id": tenant_id, "entry_id": entry, "created_at": now}
        connection.execute(
            insert(Posting.__table__),
            [
                {**common, "id": debit, "account_id": wallet.id, "amount": -1}
                | {"seq": seq, "hash": digest, "total_after": total},
                {**common, "id": new_id(), "account_id": system_account(tenant_id, "redeemed")}
                | {"amount": 1, "seq": None, "hash": None, "total_after": None},
            ],
        )
        connection.execute(
            insert(LotConsumption.__table__),
            {"tenant_id": tenant_id, "id": new_id(), "entry_id": entry, "lot_id": lot, "amount": 1},
        )
        connection.execute(_TAKE, {"t": tenant_id, "l": lot})
        connection.execute(_SPEND, {"t": tenant_id, "a": wallet.id, "h": digest, "s": seq})
