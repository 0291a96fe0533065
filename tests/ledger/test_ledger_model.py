"""A stateful property test: random sequences of ledger operations, checked against a
simple in-memory model of the same books after every step.

The model keeps each member's lots (what is left, what is held, when it expires), debt
and holds, and applies the ledger's rules plainly: spend soonest-expiring first; holds
take lots the same way and give back latest-expiring first; refunds restore the lots a
redemption took, re-expiring what has expired; clawbacks take the earning's own lot
first and record any shortfall as debt; points past their expiry are expired by the
sweep or by the next operation that spends from the wallet. After every step the
database must equal the model, a refused operation must change nothing, and
`ledger verify`'s invariants must hold.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from jifen.errors import JifenError
from jifen.ledger import expiry, holds, reversal, service
from jifen.ledger.errors import InsufficientPoints
from jifen.ledger.models import Account, Lot

from .conftest import Books

MEMBERS = 3
amounts = st.integers(min_value=1, max_value=120)
who = st.integers(min_value=0, max_value=MEMBERS - 1)
expiries = st.sampled_from([None, 1, 3, 10])  # days from now


@dataclass
class ModelLot:
    order: int
    amount: int
    remaining: int
    expires_at: datetime | None
    held: int = 0
    lapsed: int = 0  # points the expiry took from it

    def key(self) -> tuple[bool, datetime | None, int]:
        return (self.expires_at is None, self.expires_at or _NEVER, self.order)


@dataclass
class Wallet:
    lots: list[ModelLot] = field(default_factory=list)
    debt: int = 0

    def in_order(self) -> list[ModelLot]:
        return sorted(self.lots, key=ModelLot.key)

    @property
    def balance(self) -> int:
        return sum(lot.remaining - lot.held for lot in self.lots)

    @property
    def held(self) -> int:
        return sum(lot.held for lot in self.lots)


@dataclass
class ModelHold:
    id: uuid.UUID
    member: int
    kind: str
    amount: int
    pieces: dict[int, int]  # lot order -> points held


@dataclass
class ModelEntry:
    id: uuid.UUID
    kind: str  # earn | redeem
    member: int
    amount: int
    lots: dict[int, int]  # redeem: lot order -> taken; earn: {its lot: amount}


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, books: Books) -> None:
        super().__init__()
        self.books = books
        books.policy(transfers_enabled=True)
        self.members = [books.member() for _ in range(MEMBERS)]
        self.wallets = [Wallet() for _ in range(MEMBERS)]
        self.holds: list[ModelHold] = []
        self.entries: list[ModelEntry] = []
        self.orders = itertools.count()

    # --- the model's rules ------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.books.clock.now()

    def expire_due(self, wallet: Wallet) -> None:
        for lot in wallet.lots:
            if lot.expires_at is not None and lot.expires_at <= self.now:
                lot.lapsed += lot.remaining - lot.held
                lot.remaining = lot.held

    def credit(self, wallet: Wallet, amount: int, expires_at: datetime | None) -> ModelLot | None:
        repaid = min(wallet.debt, amount)
        wallet.debt -= repaid
        if amount == repaid:
            return None
        lot = ModelLot(next(self.orders), amount - repaid, amount - repaid, expires_at)
        wallet.lots.append(lot)
        return lot

    def take(self, wallet: Wallet, amount: int, first: tuple[ModelLot, ...] = ()) -> dict[int, int]:
        taken: dict[int, int] = {}
        order = list(first) + [lot for lot in wallet.in_order() if lot not in first]
        for lot in order:
            n = min(lot.remaining - lot.held, amount)
            if n > 0:
                lot.remaining -= n
                taken[lot.order] = n
                amount -= n
        assert amount == 0
        return taken

    def lot(self, wallet: Wallet, order: int) -> ModelLot:
        return next(lot for lot in wallet.lots if lot.order == order)

    def refused(self, operation, *args, **kwargs):
        """Run an operation the model says must fail: it raises, and nothing changes."""
        before = self.books.snapshot(), [self.books.wallet(m) for m in self.members]
        try:
            self.books.run(operation, *args, **kwargs)
        except JifenError as error:
            assert (self.books.snapshot(), [self.books.wallet(m) for m in self.members]) == before
            return error
        raise AssertionError(f"{operation.__name__} should have been refused")

    # --- rules --------------------------------------------------------------------------

    @rule(member=who, amount=amounts, days=expiries)
    def earn(self, member, amount, days):
        expires_at = None if days is None else self.now + timedelta(days=days)
        posted = self.books.run(service.earn, self.members[member], amount, expires_at=expires_at)
        lot = self.credit(self.wallets[member], amount, expires_at)
        if lot is not None:
            self.entries.append(ModelEntry(posted.id, "earn", member, amount, {lot.order: amount}))

    @rule(member=who, amount=amounts)
    def redeem(self, member, amount):
        wallet = self.wallets[member]
        trial = _copy(wallet)
        self.expire_due(trial)
        if trial.balance < amount:
            assert isinstance(
                self.refused(service.redeem, self.members[member], amount), InsufficientPoints
            )
            return
        posted = self.books.run(service.redeem, self.members[member], amount)
        self.expire_due(wallet)
        taken = self.take(wallet, amount)
        self.entries.append(ModelEntry(posted.id, "redeem", member, amount, taken))

    @rule(sender=who, receiver=who, amount=amounts)
    def transfer(self, sender, receiver, amount):
        if sender == receiver:
            self.refused(service.transfer, self.members[sender], self.members[receiver], amount)
            return
        source, target = self.wallets[sender], self.wallets[receiver]
        trial = _copy(source)
        self.expire_due(trial)
        if trial.balance < amount:
            self.refused(service.transfer, self.members[sender], self.members[receiver], amount)
            return
        self.books.run(service.transfer, self.members[sender], self.members[receiver], amount)
        self.expire_due(source)
        taken = self.take(source, amount)
        repaid = min(target.debt, amount)
        target.debt -= repaid
        left = amount - repaid
        for lot in source.in_order():
            given = min(taken.get(lot.order, 0), left)
            if given:
                target.lots.append(ModelLot(next(self.orders), given, given, lot.expires_at))
                left -= given

    @rule(member=who, amount=amounts, kind=st.sampled_from(["reserve", "freeze"]))
    def hold(self, member, amount, kind):
        wallet = self.wallets[member]
        trial = _copy(wallet)
        self.expire_due(trial)
        if trial.balance < amount:
            operation = holds.reserve if kind == "reserve" else holds.freeze
            kwargs = {} if kind == "reserve" else {"reason": "dispute", "amount": amount}
            args = (self.members[member], amount) if kind == "reserve" else (self.members[member],)
            self.refused(operation, *args, **kwargs)
            return
        if kind == "reserve":
            view = self.books.run(
                holds.reserve, self.members[member], amount, timeout=timedelta(days=365)
            )
        else:
            view = self.books.run(
                holds.freeze, self.members[member], reason="dispute", amount=amount
            )
        self.expire_due(wallet)
        pieces: dict[int, int] = {}
        left = amount
        for lot in wallet.in_order():
            n = min(lot.remaining - lot.held, left)
            if n > 0:
                lot.held += n
                pieces[lot.order] = n
                left -= n
        self.holds.append(ModelHold(view.id, member, kind, amount, pieces))

    @rule(member=who, amount=amounts)
    def pending(self, member, amount):
        view = self.books.run(holds.earn_pending, self.members[member], amount)
        self.holds.append(ModelHold(view.id, member, "pending", amount, {}))

    def free(self, wallet: Wallet, hold: ModelHold, amount: int) -> dict[int, int]:
        """Give back `amount` of a hold, latest-expiring lots first."""
        pieces = dict(hold.pieces)
        for lot in sorted(
            (self.lot(wallet, order) for order in pieces), key=ModelLot.key, reverse=True
        ):
            back = min(pieces[lot.order], amount)
            lot.held -= back
            pieces[lot.order] -= back
            amount -= back
        return pieces

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), capture=st.booleans(), part=st.integers(min_value=0, max_value=100))
    def settle(self, data, capture, part):
        hold = data.draw(st.sampled_from(self.holds))
        self.holds.remove(hold)
        wallet = self.wallets[hold.member]
        if hold.kind == "pending":
            if capture:
                self.books.run(holds.capture_pending, hold.id)
                self.credit(wallet, hold.amount, None)
                self.expire_due(wallet)
            else:
                self.books.run(holds.void_pending, hold.id)
            return
        if hold.kind == "freeze" or not capture:
            self.books.run(holds.unfreeze if hold.kind == "freeze" else holds.release, hold.id)
            self.free(wallet, hold, hold.amount)
            self.expire_due(wallet)
            return
        amount = max(1, hold.amount * part // 100)
        self.books.run(holds.capture, hold.id, amount=amount)
        left = self.free(wallet, hold, hold.amount - amount)
        for order, n in left.items():
            lot = self.lot(wallet, order)
            lot.held -= n
            lot.remaining -= n
        self.expire_due(wallet)

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def reverse(self, data):
        entry = data.draw(st.sampled_from(self.entries))
        self.entries.remove(entry)
        self.books.run(reversal.reverse, entry.id)
        wallet = self.wallets[entry.member]
        if entry.kind == "redeem":
            lots = sorted(
                (self.lot(wallet, order) for order in entry.lots), key=ModelLot.key, reverse=True
            )
            for lot in lots:
                lot.remaining += entry.lots[lot.order]
                if lot.expires_at is not None and lot.expires_at <= self.now:
                    lot.remaining -= entry.lots[lot.order]
            return
        self.expire_due(wallet)
        own = [lot for lot in wallet.in_order() if lot.order in entry.lots]
        # What of the earning expired unused is un-issued, not owed.
        owed = entry.amount - min(entry.amount, sum(lot.lapsed for lot in own))
        taken = min(owed, wallet.balance)
        self.take(wallet, taken, first=tuple(own))
        wallet.debt += owed - taken

    @rule(days=st.integers(min_value=0, max_value=4), sweep=st.booleans())
    def time_passes(self, days, sweep):
        self.books.clock.advance(days=days, hours=1)
        if sweep:
            expiry.sweep_tenant(self.books.svc, self.books.tenant_id, batch=2)
            for wallet in self.wallets:
                self.expire_due(wallet)

    # --- the check ----------------------------------------------------------------------

    @invariant()
    def books_equal_the_model(self):
        wallets, lots = self.read_books()
        for member, wallet in zip(self.members, self.wallets, strict=True):
            assert wallets.get(member, (0, 0, 0)) == (wallet.balance, wallet.held, wallet.debt)
            expected = sorted(
                (lot.expires_at or _NEVER, lot.amount, lot.remaining, lot.held)
                for lot in wallet.lots
            )
            assert sorted(lots.get(member, [])) == expected

    def teardown(self):
        self.books.verify()

    def read_books(self) -> tuple[dict[uuid.UUID, tuple], dict[uuid.UUID, list[tuple]]]:
        """Every wallet and lot of the tenant, in two queries."""
        with self.books.svc.db.session(tenant_id=self.books.tenant_id) as session:
            wallets = {
                row.member_id: (row.balance, row.held, row.debt)
                for row in session.execute(
                    select(Account.member_id, Account.balance, Account.held, Account.debt).where(
                        Account.kind == "wallet"
                    )
                )
            }
            lots: dict[uuid.UUID, list[tuple]] = {}
            for row in session.execute(
                select(Account.member_id, Lot.expires_at, Lot.amount, Lot.remaining, Lot.held).join(
                    Account, (Account.tenant_id == Lot.tenant_id) & (Account.id == Lot.account_id)
                )
            ):
                lots.setdefault(row.member_id, []).append(
                    (row.expires_at or _NEVER, row.amount, row.remaining, row.held)
                )
        return wallets, lots


_NEVER = datetime.max.replace(tzinfo=UTC)


def _copy(wallet: Wallet) -> Wallet:
    return Wallet(
        [
            ModelLot(lot.order, lot.amount, lot.remaining, lot.expires_at, lot.held)
            for lot in wallet.lots
        ],
        wallet.debt,
    )


def test_the_ledger_follows_its_model(svc, make_tenant, clock):
    start = clock.now()

    def fresh_books() -> LedgerMachine:
        clock.set(start)
        return LedgerMachine(Books(svc, make_tenant().tenant_id, clock))

    run_state_machine_as_test(
        fresh_books, settings=settings(max_examples=20, stateful_step_count=20, deadline=None)
    )
