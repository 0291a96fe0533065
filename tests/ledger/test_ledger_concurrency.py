"""Concurrency: clients hammering the same few wallets, with the expiry sweep running
alongside, must leave exact books — no negative balance, every point accounted for, no
"database is locked", no deadlock."""

from __future__ import annotations

import multiprocessing
import random
import threading
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jifen.audit import Actor
from jifen.config import Settings
from jifen.db import cross_tenant
from jifen.ledger import expiry, holds, service
from jifen.ledger.errors import InsufficientPoints
from jifen.ledger.models import Account, Posting
from jifen.ledger.sql import system_account_id
from jifen.services import Services

CLIENTS = 8
OPERATIONS = 25
WORKER = Actor(kind="job", id="hammer")


@dataclass
class Tally:
    """What the clients did, to compare with the books afterwards."""

    earned: int = 0
    spent: int = 0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, earned: int = 0, spent: int = 0, refused: int = 0) -> None:
        with self.lock:
            self.earned += earned
            self.spent += spent
            self.refused += refused


def hammer(
    services: Services, tenant_id: uuid.UUID, members: list[uuid.UUID], seed: int
) -> tuple[int, int, int]:
    """One client: random operations, each in its own transaction, on the same members.
    Returns (points earned, points spent, operations refused for lack of points)."""
    rng = random.Random(seed)
    earned = spent = refused = 0
    for _ in range(OPERATIONS):
        member, other = rng.sample(members, 2)
        amount = rng.randint(1, 60)
        operation = rng.choice(["earn", "redeem", "transfer", "reserve"])
        try:
            with services.db.transaction(tenant_id=tenant_id) as session:
                common = {"actor": WORKER, "clock": services.clock}
                if operation == "earn":
                    service.earn(session, member, amount, **common)
                elif operation == "redeem":
                    service.redeem(session, member, amount, **common)
                elif operation == "transfer":
                    service.transfer(session, member, other, amount, **common)
                else:
                    hold = holds.reserve(session, member, amount, **common)
            if operation == "reserve":
                with services.db.transaction(tenant_id=tenant_id) as session:
                    if rng.random() < 0.5:
                        holds.capture(session, hold.id, **common)
                    else:
                        holds.release(session, hold.id, **common)
                        amount = 0
        except InsufficientPoints:
            refused += 1
            continue
        earned += amount if operation == "earn" else 0
        spent += amount if operation in ("redeem", "reserve") else 0
    return earned, spent, refused


def system_totals(services: Services, tenant_id: uuid.UUID) -> dict[str, int]:
    """What was posted to each system account (points issued come out negative)."""
    with services.db.session() as session, cross_tenant(session, "test"):
        return {
            kind: int(
                session.scalar(
                    select(func.coalesce(func.sum(Posting.amount), 0)).where(
                        Posting.tenant_id == tenant_id,
                        Posting.account_id == system_account_id(tenant_id, kind),
                    )
                )
            )
            for kind in ("issued", "redeemed", "expired")
        }


def wallets_total(services: Services, tenant_id: uuid.UUID) -> tuple[int, int]:
    with services.db.session() as session, cross_tenant(session, "test"):
        return session.execute(
            select(
                func.sum(Account.balance + Account.held - Account.debt), func.min(Account.balance)
            ).where(Account.tenant_id == tenant_id, Account.kind == "wallet")
        ).one()


@pytest.fixture
def crowd(books, clock):
    """Four members with points, some about to expire, and transfers allowed."""
    books.policy(transfers_enabled=True)
    members = [books.member() for _ in range(4)]
    for member in members:
        books.run(service.earn, member, 500, expires_at=clock.now() + timedelta(minutes=1))
        books.run(service.earn, member, 500)
    clock.advance(minutes=2)  # the first lots are now due: the sweep and clients race for them
    return members


def check_books(books, earned: int, spent: int) -> None:
    totals = system_totals(books.svc, books.tenant_id)
    in_wallets, lowest = wallets_total(books.svc, books.tenant_id)
    assert lowest >= 0
    assert totals["issued"] == -(8 * 500 + earned)  # the issued account gives points away
    assert totals["redeemed"] == spent
    # Conservation: what was issued is in wallets, spent or expired.
    assert -totals["issued"] == in_wallets + totals["redeemed"] + totals["expired"]
    books.verify()


def test_threads_hammering_the_same_wallets_with_the_sweep_running(books, crowd):
    tally = Tally()
    errors: list[BaseException] = []
    stop = threading.Event()

    def client(seed: int) -> None:
        try:
            tally.add(*hammer(books.svc, books.tenant_id, crowd, seed))
        except BaseException as exc:
            errors.append(exc)

    def sweeper() -> None:
        try:
            while not stop.is_set():
                expiry.sweep_tenant(books.svc, books.tenant_id, batch=2)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(CLIENTS)]
    sweep = threading.Thread(target=sweeper)
    sweep.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    stop.set()
    sweep.join(timeout=60)

    assert not errors, errors
    assert not any(thread.is_alive() for thread in [*threads, sweep]), "a client hung"
    check_books(books, tally.earned, tally.spent)
    assert system_totals(books.svc, books.tenant_id)["expired"] == 4 * 500


def _process_client(
    url: str, tenant_id: str, members: list[str], seed: int
) -> tuple[int, int, int]:
    services = Services.build(Settings.from_env({}, database_url=url, secret_key="s" * 48))
    try:
        return hammer(services, uuid.UUID(tenant_id), [uuid.UUID(m) for m in members], seed)
    finally:
        services.close()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_processes_hammering_the_same_wallets(books, crowd, database):
    # Each process has its own connections and the real clock (months after the test's):
    # every lot with an expiry is long due, so clients and the sweep race to expire it.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        pending = [
            pool.submit(
                _process_client, database.app, str(books.tenant_id), [str(m) for m in crowd], seed
            )
            for seed in range(CLIENTS)
        ]
        while not all(future.done() for future in pending):  # the sweep races the clients
            expiry.sweep_tenant(books.svc, books.tenant_id, batch=2)
        results = [future.result() for future in pending]
    expiry.sweep_tenant(books.svc, books.tenant_id)

    check_books(books, sum(r[0] for r in results), sum(r[1] for r in results))
