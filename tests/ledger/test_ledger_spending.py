"""Worked examples: earning, spending soonest-expiring first, and refunds that put the
points back into the lots they came from."""

from datetime import UTC, datetime, timedelta

import pytest

from jifen.ledger import reversal, service
from jifen.ledger.errors import InsufficientPoints, NotReversible, ReversalTooLarge

MARCH_END = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # midnight, 1 April, in Shanghai
JUNE_END = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)


def test_redeeming_takes_the_soonest_expiring_points_first(books):
    alice = books.member()
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    books.run(service.earn, alice, 100, expires_at=MARCH_END)

    spent = books.run(service.redeem, alice, 120, reference="order-1")

    assert spent.changes[0].amount == -120
    assert spent.changes[0].balance == 30
    assert [(lot.remaining, lot.expires_at) for lot in books.lots(alice)] == [
        (0, MARCH_END),
        (30, JUNE_END),
    ]
    books.verify()


def test_a_refunded_redemption_puts_the_lots_back_as_they_were(books):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    before = books.lots(alice)
    redemption = books.run(service.redeem, alice, 120)

    refund = books.run(reversal.reverse, redemption.id)

    assert refund.kind == "refund"
    assert refund.reverses_entry_id == redemption.id
    assert refund.changes[0].amount == 120
    assert books.lots(alice) == before
    assert books.wallet(alice).balance == 150
    books.verify()


def test_a_partial_refund_restores_the_latest_expiring_points_first(books, clock):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    redemption = books.run(service.redeem, alice, 120)  # 100 from March, 20 from June

    books.run(reversal.reverse, redemption.id, amount=30)

    assert [lot.remaining for lot in books.lots(alice)] == [10, 50]
    books.run(reversal.reverse, redemption.id, amount=90)
    assert [lot.remaining for lot in books.lots(alice)] == [100, 50]
    with pytest.raises(NotReversible):
        books.run(reversal.reverse, redemption.id)
    books.verify()


def test_refunding_more_than_is_left_is_refused_and_posts_nothing(books):
    alice = books.member()
    books.run(service.earn, alice, 100)
    redemption = books.run(service.redeem, alice, 60)
    books.run(reversal.reverse, redemption.id, amount=50)
    before = books.snapshot()

    with pytest.raises(ReversalTooLarge):
        books.run(reversal.reverse, redemption.id, amount=11)

    assert books.snapshot() == before
    assert books.wallet(alice).balance == 90


def test_refunded_points_whose_lot_expired_meanwhile_expire_again_at_once(books, clock):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    redemption = books.run(service.redeem, alice, 120)
    clock.set(MARCH_END + timedelta(days=1))

    refund = books.run(reversal.reverse, redemption.id)

    # 100 went back to March's lot and expired again in the same entry; 20 to June's.
    assert refund.changes[0].amount == 20
    assert refund.data == {"reversed": 120, "expired_again": 100}
    assert books.wallet(alice).balance == 50
    assert [lot.remaining for lot in books.lots(alice)] == [0, 50]
    books.verify()


def test_expired_points_cannot_be_spent_even_before_the_sweep(books, clock):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    clock.set(MARCH_END)

    with pytest.raises(InsufficientPoints) as refused:
        books.run(service.redeem, alice, 60)

    assert refused.value.details == {"available": 50, "requested": 60}
    spent = books.run(service.redeem, alice, 50)
    assert spent.changes[0].balance == 0
    books.verify()
