"""Worked examples of transfers between members: only where the tenant allows them, within
its limits per transfer and per local day, with the points keeping their expiry; and
reversals that return them to the sender's lots."""

from datetime import UTC, datetime, timedelta

import pytest

from jifen.ledger import reversal, service
from jifen.ledger.errors import InsufficientPoints, TransferRefused

from .conftest import WalletReading

MARCH_END = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # midnight, 1 April, in Shanghai
JUNE_END = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)


def test_transfers_are_refused_unless_the_tenant_allows_them(books):
    alice, bob = books.member(), books.member()
    books.run(service.earn, alice, 100)
    before = books.snapshot()

    with pytest.raises(TransferRefused):
        books.run(service.transfer, alice, bob, 10)

    assert books.snapshot() == before
    books.policy(transfers_enabled=True)
    books.run(service.transfer, alice, bob, 10)
    assert books.wallet(alice).balance == 90
    assert books.wallet(bob).balance == 10
    books.verify()


def test_received_points_keep_the_senders_expiry(books):
    books.policy(transfers_enabled=True)
    alice, bob = books.member(), books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)

    sent = books.run(service.transfer, alice, bob, 120, reference="gift-1")

    assert sent.kind == "transfer"
    assert {change.member_id: change.amount for change in sent.changes} == {
        alice: -120,
        bob: 120,
    }
    assert [(lot.remaining, lot.expires_at) for lot in books.lots(alice)] == [
        (0, MARCH_END),
        (30, JUNE_END),
    ]
    assert [(lot.remaining, lot.expires_at) for lot in books.lots(bob)] == [
        (100, MARCH_END),
        (20, JUNE_END),
    ]
    books.verify()


def test_a_member_cannot_transfer_points_to_themselves(books):
    books.policy(transfers_enabled=True)
    alice = books.member()
    books.run(service.earn, alice, 100)
    before = books.snapshot()

    with pytest.raises(TransferRefused):
        books.run(service.transfer, alice, alice, 10)

    assert books.snapshot() == before
    assert books.wallet(alice).balance == 100


def test_a_transfer_above_the_per_transfer_maximum_is_refused(books):
    books.policy(transfers_enabled=True, transfer_max=50)
    alice, bob = books.member(), books.member()
    books.run(service.earn, alice, 100)
    before = books.snapshot()

    with pytest.raises(TransferRefused) as refused:
        books.run(service.transfer, alice, bob, 51)

    assert refused.value.details == {"transfer_max": 50}
    assert books.snapshot() == before
    books.run(service.transfer, alice, bob, 50)
    assert books.wallet(bob).balance == 50
    books.verify()


def test_the_daily_maximum_counts_what_was_sent_that_day(books):
    books.policy(transfers_enabled=True, transfer_daily_max=100)
    alice, bob, carol = books.member(), books.member(), books.member()
    books.run(service.earn, alice, 500)
    books.run(service.transfer, alice, bob, 60)
    books.run(service.transfer, alice, carol, 30)
    before = books.snapshot()

    with pytest.raises(TransferRefused) as refused:
        books.run(service.transfer, alice, bob, 11)

    assert refused.value.details == {"transfer_daily_max": 100, "sent_today": 90}
    assert books.snapshot() == before
    books.run(service.transfer, alice, bob, 10)
    assert books.wallet(alice).balance == 400
    books.verify()


def test_the_daily_maximum_counts_only_what_the_sender_sent(books):
    books.policy(transfers_enabled=True, transfer_daily_max=100)
    alice, bob = books.member(), books.member()
    books.run(service.earn, alice, 500)
    books.run(service.earn, bob, 500)
    books.run(service.transfer, bob, alice, 100)
    books.run(service.redeem, alice, 200)

    books.run(service.transfer, alice, bob, 100)

    assert books.wallet(alice).balance == 300
    books.verify()


def test_the_daily_maximum_resets_at_midnight_in_the_tenants_time_zone(books, clock):
    books.policy(transfers_enabled=True, transfer_daily_max=100)
    alice, bob = books.member(), books.member()
    books.run(service.earn, alice, 500)
    clock.set(datetime(2026, 3, 1, 15, 30, tzinfo=UTC))  # 23:30 on 1 March in Shanghai
    books.run(service.transfer, alice, bob, 100)

    clock.set(datetime(2026, 3, 1, 15, 59, tzinfo=UTC))
    with pytest.raises(TransferRefused):
        books.run(service.transfer, alice, bob, 1)

    # Still 1 March in UTC, but 2 March in Shanghai: a new day.
    clock.set(datetime(2026, 3, 1, 16, 0, tzinfo=UTC))
    books.run(service.transfer, alice, bob, 100)
    assert books.wallet(bob).balance == 200
    books.verify()


def test_a_transfer_of_more_than_is_available_is_refused_and_posts_nothing(books):
    books.policy(transfers_enabled=True)
    alice, bob = books.member(), books.member()
    books.run(service.earn, alice, 100)
    before = books.snapshot()

    with pytest.raises(InsufficientPoints):
        books.run(service.transfer, alice, bob, 101)

    assert books.snapshot() == before
    assert books.wallet(alice) == WalletReading(balance=100, held=0, debt=0)
    assert books.wallet(bob) == WalletReading(balance=0, held=0, debt=0)


def test_expired_points_cannot_be_transferred(books, clock):
    books.policy(transfers_enabled=True)
    alice, bob = books.member(), books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    clock.set(MARCH_END + timedelta(days=1))

    with pytest.raises(InsufficientPoints):
        books.run(service.transfer, alice, bob, 60)

    books.run(service.transfer, alice, bob, 50)
    assert [(lot.remaining, lot.expires_at) for lot in books.lots(bob)] == [(50, JUNE_END)]
    books.verify()


def test_reversing_a_transfer_returns_the_points_to_the_senders_original_lots(books):
    books.policy(transfers_enabled=True)
    alice, bob = books.member(), books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    before = books.lots(alice)
    sent = books.run(service.transfer, alice, bob, 120)

    undone = books.run(reversal.reverse, sent.id)

    assert undone.kind == "reversal"
    assert undone.reverses_entry_id == sent.id
    assert undone.data == {"reversed": 120}
    assert books.lots(alice) == before
    assert books.wallet(alice) == WalletReading(balance=150, held=0, debt=0)
    assert books.wallet(bob) == WalletReading(balance=0, held=0, debt=0)
    books.verify()


def test_a_partly_reversed_transfer_restores_the_senders_latest_expiring_points_first(books):
    books.policy(transfers_enabled=True)
    alice, bob = books.member(), books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    sent = books.run(service.transfer, alice, bob, 120)  # 100 of March's, 20 of June's

    books.run(reversal.reverse, sent.id, amount=30)

    assert [lot.remaining for lot in books.lots(alice)] == [10, 50]
    assert books.wallet(bob).balance == 90
    books.run(reversal.reverse, sent.id)
    assert [lot.remaining for lot in books.lots(alice)] == [100, 50]
    assert books.wallet(bob).balance == 0
    books.verify()


def test_a_transfer_the_receiver_has_spent_cannot_be_reversed(books):
    books.policy(transfers_enabled=True)
    alice, bob = books.member(), books.member()
    books.run(service.earn, alice, 100)
    sent = books.run(service.transfer, alice, bob, 100)
    books.run(service.redeem, bob, 30)
    before = books.snapshot()

    with pytest.raises(InsufficientPoints) as refused:
        books.run(reversal.reverse, sent.id)

    assert refused.value.details == {"available": 70, "requested": 100}
    assert books.snapshot() == before
    books.run(reversal.reverse, sent.id, amount=70)
    assert books.wallet(alice).balance == 70
    books.verify()


def test_points_returned_to_a_lot_that_expired_meanwhile_expire_again_at_once(books, clock):
    books.policy(transfers_enabled=True)
    alice, bob = books.member(), books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    sent = books.run(service.transfer, alice, bob, 120)
    books.run(service.earn, bob, 200)  # so bob still has 120 once March's are gone
    clock.set(MARCH_END + timedelta(days=1))

    undone = books.run(reversal.reverse, sent.id, amount=120)

    assert undone.data == {"reversed": 120, "expired_again": 100}
    assert books.wallet(alice).balance == 50
    books.verify()
