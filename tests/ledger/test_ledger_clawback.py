"""Worked examples of clawbacks: reversing an earning takes its points back, from the
earning's own lot first. What the member has already spent becomes debt that their next
earnings repay, unless the tenant absorbs the shortfall."""

from datetime import UTC, datetime

import pytest

from jifen.ledger import holds, reversal, service
from jifen.ledger.errors import NotReversible

from .conftest import WalletReading

MARCH_END = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # midnight, 1 April, in Shanghai
JUNE_END = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)
SEPTEMBER_END = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)


def test_reversing_an_earning_claws_its_points_back(books):
    alice = books.member()
    earning = books.run(service.earn, alice, 100, reference="order-1")

    clawback = books.run(reversal.reverse, earning.id, reference="return-1")

    assert clawback.kind == "clawback"
    assert clawback.reverses_entry_id == earning.id
    assert clawback.reference == "return-1"
    assert clawback.changes[0].amount == -100
    assert clawback.data == {"reversed": 100, "taken": 100}
    assert books.wallet(alice) == WalletReading(balance=0, held=0, debt=0)
    assert [(lot.amount, lot.remaining) for lot in books.lots(alice)] == [(100, 0)]
    books.verify()


def test_an_earning_is_clawed_back_in_parts_never_beyond_what_it_credited(books):
    alice = books.member()
    earning = books.run(service.earn, alice, 100)

    books.run(reversal.reverse, earning.id, amount=30)
    assert books.wallet(alice).balance == 70
    rest = books.run(reversal.reverse, earning.id)

    assert rest.data == {"reversed": 70, "taken": 70}
    assert books.wallet(alice).balance == 0
    with pytest.raises(NotReversible):
        books.run(reversal.reverse, earning.id)
    books.verify()


def test_a_clawback_takes_the_earnings_own_lot_before_sooner_expiring_ones(books):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    june = books.run(service.earn, alice, 50, expires_at=JUNE_END)

    books.run(reversal.reverse, june.id)

    assert [(lot.remaining, lot.expires_at) for lot in books.lots(alice)] == [
        (100, MARCH_END),
        (0, JUNE_END),
    ]
    books.verify()


def test_when_the_own_lot_is_partly_spent_the_clawback_takes_the_soonest_expiring_next(books):
    alice = books.member()
    june = books.run(service.earn, alice, 100, expires_at=JUNE_END)
    books.run(service.earn, alice, 100, expires_at=SEPTEMBER_END)
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.redeem, alice, 150)  # all of March's, 50 of June's

    clawback = books.run(reversal.reverse, june.id)

    assert clawback.data == {"reversed": 100, "taken": 100}
    assert [(lot.remaining, lot.expires_at) for lot in books.lots(alice)] == [
        (0, MARCH_END),
        (0, JUNE_END),
        (50, SEPTEMBER_END),
    ]
    assert books.wallet(alice) == WalletReading(balance=50, held=0, debt=0)
    books.verify()


def test_clawing_back_spent_points_leaves_the_rest_as_debt_the_next_earnings_repay(books):
    alice = books.member()
    earning = books.run(service.earn, alice, 100)
    books.run(service.redeem, alice, 80)

    clawback = books.run(reversal.reverse, earning.id)

    assert clawback.data == {"reversed": 100, "taken": 20, "debt": 80}
    assert clawback.changes[0].amount == -100
    assert books.wallet(alice) == WalletReading(balance=0, held=0, debt=80)
    books.verify()

    repaying = books.run(service.earn, alice, 50)
    assert (repaying.changes[0].balance, repaying.changes[0].debt) == (0, 30)
    assert books.wallet(alice) == WalletReading(balance=0, held=0, debt=30)
    books.verify()

    books.run(service.earn, alice, 100)
    assert books.wallet(alice) == WalletReading(balance=70, held=0, debt=0)
    # Only what was left after the debt became a lot.
    assert [lot.remaining for lot in books.lots(alice)] == [0, 70]
    books.verify()


def test_points_received_in_a_transfer_repay_debt_first(books):
    books.policy(transfers_enabled=True)
    alice, bob = books.member(), books.member()
    earning = books.run(service.earn, alice, 100)
    books.run(service.redeem, alice, 100)
    books.run(reversal.reverse, earning.id)
    books.run(service.earn, bob, 100)

    books.run(service.transfer, bob, alice, 60)

    assert books.wallet(alice) == WalletReading(balance=0, held=0, debt=40)
    assert books.wallet(bob) == WalletReading(balance=40, held=0, debt=0)
    books.verify()


def test_reserved_points_are_not_clawed_back_the_shortfall_becomes_debt(books):
    alice = books.member()
    earning = books.run(service.earn, alice, 100)
    hold = books.run(holds.reserve, alice, 80)

    clawback = books.run(reversal.reverse, earning.id)

    assert clawback.data == {"reversed": 100, "taken": 20, "debt": 80}
    assert books.wallet(alice) == WalletReading(balance=0, held=80, debt=80)
    books.run(holds.capture, hold.id)
    assert books.wallet(alice) == WalletReading(balance=0, held=0, debt=80)
    books.verify()


def test_a_tenant_that_absorbs_shortfalls_reports_them_and_records_no_debt(books):
    books.policy(shortfall="absorb")
    alice = books.member()
    earning = books.run(service.earn, alice, 100)
    books.run(service.redeem, alice, 80)

    clawback = books.run(reversal.reverse, earning.id)

    assert clawback.data == {"reversed": 100, "taken": 20, "absorbed": 80}
    assert clawback.changes[0].amount == -20
    assert books.wallet(alice) == WalletReading(balance=0, held=0, debt=0)
    books.run(service.earn, alice, 50)
    assert books.wallet(alice) == WalletReading(balance=50, held=0, debt=0)
    with pytest.raises(NotReversible):
        books.run(reversal.reverse, earning.id)
    books.verify()


def test_a_fully_absorbed_clawback_moves_no_points_but_counts_as_reversed(books):
    books.policy(shortfall="absorb")
    alice = books.member()
    earning = books.run(service.earn, alice, 100)
    books.run(service.redeem, alice, 100)

    clawback = books.run(reversal.reverse, earning.id)

    assert clawback.data == {"reversed": 100, "taken": 0, "absorbed": 100}
    assert books.wallet(alice) == WalletReading(balance=0, held=0, debt=0)
    with pytest.raises(NotReversible):
        books.run(reversal.reverse, earning.id)
    books.verify()


def test_reversing_a_positive_adjustment_claws_it_back(books):
    alice = books.member()
    books.run(service.earn, alice, 100)
    goodwill = books.run(service.adjust, alice, 30, reason="late delivery")

    clawback = books.run(reversal.reverse, goodwill.id)

    assert clawback.kind == "clawback"
    assert clawback.data == {"reversed": 30, "taken": 30}
    assert books.wallet(alice) == WalletReading(balance=100, held=0, debt=0)
    books.verify()


def test_points_of_an_earning_that_expired_unused_are_not_owed(books, clock):
    alice = books.member()
    earning = books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 30)
    books.run(service.redeem, alice, 20)  # spent from the March lot, soonest first
    clock.set(MARCH_END)  # the other 80 of March expire unused

    clawback = books.run(reversal.reverse, earning.id)

    # 80 lapsed: back from the expired account to issued. The 20 spent are taken from
    # what the member has left.
    assert clawback.data == {"reversed": 100, "taken": 20, "lapsed": 80}
    assert books.wallet(alice) == WalletReading(balance=10, held=0, debt=0)
    books.verify()
