"""Worked examples of a member the mall made being merged into the merchant's own: every
lot moves with its own earning date and expiry, held points stay held under the same
holds, pending earns go along, debt is netted against available points, nothing comes
back from expiry, nothing more is posted to the merged member, and the books still
verify; entries made before the merge are reversed onto the member it was merged into;
two merges of one member at once do not both happen."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from conftest import raw_connect
from sqlalchemy import event

from jifen.ledger import holds, reversal, service
from jifen.ledger.errors import MemberNotActive
from jifen.members import merging
from jifen.members.service import MemberMerged

from .conftest import STAFF, WalletReading

MARCH_END = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # midnight, 1 April, in Shanghai
JUNE_END = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)


@pytest.fixture
def pair(books):
    """A member the mall made at a code sign-in, and the merchant's own member."""
    return books.member(origin="code"), books.member()


def dated(books, member):
    return [
        (lot.remaining, lot.held, lot.expires_at) for lot in books.lots(member) if lot.remaining
    ]


def test_every_lot_moves_with_its_dates_and_held_points_stay_held_by_the_same_holds(books, pair):
    visitor, alice = pair
    books.run(service.earn, visitor, 100, expires_at=MARCH_END)
    books.run(service.earn, visitor, 50, expires_at=JUNE_END)
    books.run(service.earn, visitor, 30)  # never expires
    books.run(service.earn, alice, 10, expires_at=JUNE_END)
    order = books.run(holds.reserve, visitor, 120, reference="order-1")
    pending = books.run(holds.earn_pending, visitor, 40, reference="purchase-1")

    books.run(merging.merge, visitor, alice)

    assert books.wallet(visitor) == WalletReading(0, 0, 0)
    assert books.wallet(alice) == WalletReading(70, 120, 0)
    assert dated(books, alice) == [
        (100, 100, MARCH_END),
        (10, 0, JUNE_END),
        (50, 20, JUNE_END),
        (30, 0, None),
    ]
    assert books.kinds()[-1] == "merge"
    books.verify()
    # The same holds, on Alice's points now: settled by their ids.
    spent = books.run(holds.capture, order.id, amount=100)
    assert {change.member_id: change.amount for change in spent.changes} == {alice: -100}
    books.run(holds.capture_pending, pending.id)
    assert books.wallet(alice) == WalletReading(70 + 20 + 40, 0, 0)
    books.verify()


def test_points_past_their_expiry_expire_in_the_merged_wallet_first(books, pair, clock):
    visitor, alice = pair
    books.run(service.earn, visitor, 100, expires_at=MARCH_END)
    books.run(service.earn, visitor, 50, expires_at=JUNE_END)
    hold = books.run(holds.reserve, visitor, 120)  # 100 of March's, 20 of June's
    books.run(holds.release, hold.id)
    books.run(holds.reserve, visitor, 30)  # held past its expiry
    clock.set(MARCH_END + timedelta(days=1))

    books.run(merging.merge, visitor, alice)

    assert books.kinds()[-2:] == ["expire", "merge"]
    assert dated(books, alice) == [(30, 30, MARCH_END), (50, 0, JUNE_END)]
    assert books.wallet(alice) == WalletReading(50, 30, 0)
    books.verify()


def test_debt_moving_in_is_paid_from_the_points_there_and_the_rest_stays_owed(books, pair):
    visitor, alice = pair
    books.policy(shortfall="debt")
    earned = books.run(service.earn, visitor, 100)
    books.run(service.redeem, visitor, 80)
    books.run(reversal.reverse, earned.id)  # 20 taken back, 80 owed
    books.run(service.earn, alice, 50)

    books.run(merging.merge, visitor, alice)

    assert books.wallet(visitor) == WalletReading(0, 0, 0)
    assert books.wallet(alice) == WalletReading(0, 0, 30)  # never points and debt at once
    books.run(service.earn, alice, 100)
    assert books.wallet(alice) == WalletReading(70, 0, 0)
    books.verify()


def test_points_moving_in_repay_debt_first_soonest_expiring_and_held_points_stay_held(
    books, pair, clock
):
    visitor, alice = pair
    books.policy(shortfall="debt")
    earned = books.run(service.earn, alice, 100)
    books.run(service.redeem, alice, 80)
    books.run(reversal.reverse, earned.id)  # Alice owes 80
    books.run(service.earn, visitor, 50, expires_at=JUNE_END)
    books.run(service.earn, visitor, 100)  # never expires
    books.run(service.earn, visitor, 500, expires_at=MARCH_END)
    order = books.run(holds.reserve, visitor, 40)  # 40 of March's
    clock.set(MARCH_END + timedelta(days=1))  # March's 460 left expire: they repay nothing

    books.run(merging.merge, visitor, alice)

    # June's 50 and 30 of the 100 repaid the 80; the held 40 are still held.
    assert books.wallet(alice) == WalletReading(70, 40, 0)
    assert dated(books, alice) == [(40, 40, MARCH_END), (70, 0, None)]
    assert books.kinds()[-2:] == ["expire", "merge"]
    books.verify()
    books.run(holds.capture, order.id)
    assert books.wallet(alice) == WalletReading(70, 0, 0)
    books.verify()


def test_a_merge_nets_debt_against_points_past_their_expiry_in_the_other_wallet_first(
    books, pair, clock
):
    visitor, alice = pair
    books.policy(shortfall="debt")
    earned = books.run(service.earn, visitor, 100)
    books.run(service.redeem, visitor, 80)
    books.run(reversal.reverse, earned.id)  # the visitor owes 80
    books.run(service.earn, alice, 60, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    clock.set(MARCH_END + timedelta(days=1))

    books.run(merging.merge, visitor, alice)

    # March's 60 expired (the sweep had not reached them): June's 50 paid what they could.
    assert books.wallet(alice) == WalletReading(0, 0, 30)
    assert books.kinds()[-2:] == ["expire", "merge"]
    books.verify()


def test_nothing_is_posted_to_a_merged_member(books, pair):
    visitor, alice = pair
    books.run(merging.merge, visitor, alice)
    before = books.snapshot()

    for operation in (service.earn, service.redeem):
        with pytest.raises(MemberNotActive):
            books.run(operation, visitor, 10)
    with pytest.raises(MemberNotActive):
        books.run(service.adjust, visitor, 10, reason="goodwill")

    assert books.snapshot() == before


def test_a_refund_of_a_redemption_made_before_the_merge_goes_to_the_member_merged_into(
    books, pair, clock
):
    visitor, alice = pair
    books.run(service.earn, visitor, 100, expires_at=MARCH_END)
    books.run(service.earn, visitor, 50, expires_at=JUNE_END)
    spent = books.run(service.redeem, visitor, 120, reference="order-1")
    books.run(merging.merge, visitor, alice)
    clock.set(MARCH_END + timedelta(days=1))

    refund = books.run(reversal.reverse, spent.id)

    # March's 100 came back and expired again at once; June's 20 are Alice's.
    assert refund.kind == "refund"
    assert books.wallet(visitor) == WalletReading(0, 0, 0)
    assert books.wallet(alice) == WalletReading(20 + 30, 0, 0)
    assert dated(books, alice) == [(30, 0, JUNE_END), (20, 0, JUNE_END)]
    books.verify()


def test_a_clawback_after_the_merge_takes_from_the_member_merged_into(books, pair, clock):
    visitor, alice = pair
    books.policy(shortfall="debt")
    lapsing = books.run(service.earn, visitor, 100, expires_at=MARCH_END)
    kept = books.run(service.earn, visitor, 50, expires_at=JUNE_END)
    books.run(merging.merge, visitor, alice)
    clock.set(MARCH_END + timedelta(days=1))

    lapsed = books.run(reversal.reverse, lapsing.id)
    taken = books.run(reversal.reverse, kept.id)

    # What expired unused (in Alice's wallet, after the merge) is not owed.
    assert lapsed.data == {"reversed": 100, "taken": 0, "lapsed": 100}
    assert taken.data == {"reversed": 50, "taken": 50}
    assert books.wallet(alice) == WalletReading(0, 0, 0)
    assert books.wallet(visitor) == WalletReading(0, 0, 0)
    books.verify()


def test_a_transfer_to_a_member_merged_since_is_reversed_from_the_member_merged_into(books, pair):
    visitor, alice = pair
    bob = books.member()
    books.policy(transfers_enabled=True)
    books.run(service.earn, bob, 100, expires_at=JUNE_END)
    sent = books.run(service.transfer, bob, visitor, 40)
    books.run(merging.merge, visitor, alice)

    books.run(reversal.reverse, sent.id)

    assert books.wallet(alice) == WalletReading(0, 0, 0)
    assert books.wallet(bob) == WalletReading(100, 0, 0)
    books.verify()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # its planner says so
def test_a_reversal_finds_the_lots_a_merge_moved_through_an_index(books, pair):
    visitor, alice = pair
    earned = books.run(service.earn, visitor, 100)
    books.run(merging.merge, visitor, alice)
    followed = []

    def seen(_conn, _cursor, statement, parameters, *_):
        if "moved_from IN" in statement:
            followed.append((statement, parameters))

    event.listen(books.svc.db.engine, "before_cursor_execute", seen)
    try:
        books.run(reversal.reverse, earned.id)
    finally:
        event.remove(books.svc.db.engine, "before_cursor_execute", seen)

    statement, parameters = followed[0]
    with books.svc.db.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    assert "USING INDEX ix_lots_moved_from" in str(plan), plan
    assert books.wallet(alice) == WalletReading(0, 0, 0)


def a_transaction_waits_for_a_lock(owner_url: str) -> bool:
    """Whether, within 30 seconds, some transaction waits for a row another holds."""
    with raw_connect(owner_url) as watcher:
        watcher.autocommit = True
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if watcher.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0]:
                return True
            time.sleep(0.01)
    return False


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # SQLite has one writer
def test_of_two_merges_of_one_member_at_once_the_second_waits_and_is_refused(books, pair, database):
    visitor, alice = pair
    bob = books.member()
    books.run(service.earn, visitor, 100)
    merged, seen = threading.Event(), {}

    def first() -> None:
        with books.svc.db.transaction(tenant_id=books.tenant_id) as session:
            merging.merge(session, visitor, alice, actor=STAFF, clock=books.clock)
            merged.set()  # not committed until the second merge waits for it
            seen["waited"] = a_transaction_waits_for_a_lock(database.owner)

    merging_first = threading.Thread(target=first)
    merging_first.start()
    try:
        assert merged.wait(30)
        with pytest.raises(MemberMerged):
            books.run(merging.merge, visitor, bob)
    finally:
        merging_first.join(60)

    assert seen["waited"]
    assert books.wallet(alice) == WalletReading(100, 0, 0)
    assert books.wallet(bob) == WalletReading(0, 0, 0)
    books.verify()
