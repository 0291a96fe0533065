"""Worked examples of holds: reservations captured or released, pending earns that become
the member's when their return window closes, freezes during a dispute, and the periodic
job that settles holds whose time is up."""

from datetime import UTC, datetime, timedelta

import pytest

from jifen.ledger import holds, reversal, service
from jifen.ledger.errors import HoldNotOpen, InsufficientPoints, MemberNotActive, WrongHoldKind
from jifen.members import service as members

from .conftest import WalletReading

MARCH_END = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # midnight, 1 April, in Shanghai
JUNE_END = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)


# --- reservations ---------------------------------------------------------------------


def test_a_reservation_sets_points_aside_until_it_is_captured(books):
    alice = books.member()
    books.run(service.earn, alice, 100)

    hold = books.run(holds.reserve, alice, 30, reference="order-1")

    assert (hold.kind, hold.status, hold.amount) == ("reserve", "open", 30)
    assert books.wallet(alice) == WalletReading(balance=70, held=30, debt=0)
    spent = books.run(holds.capture, hold.id)
    assert spent.kind == "redeem"
    assert spent.reference == "order-1"
    assert spent.changes[0].amount == -30
    assert books.wallet(alice) == WalletReading(balance=70, held=0, debt=0)
    assert [(lot.remaining, lot.held) for lot in books.lots(alice)] == [(70, 0)]
    assert books.hold_status(hold.id) == "captured"
    books.verify()


def test_a_reservation_holds_the_soonest_expiring_points(books):
    alice = books.member()
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    books.run(service.earn, alice, 100, expires_at=MARCH_END)

    books.run(holds.reserve, alice, 120)

    assert [(lot.remaining, lot.held) for lot in books.lots(alice)] == [(100, 100), (50, 20)]
    books.verify()


def test_a_partial_capture_spends_the_soonest_expiring_points_and_releases_the_rest(books):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    hold = books.run(holds.reserve, alice, 120)  # 100 of March's, 20 of June's

    spent = books.run(holds.capture, hold.id, amount=90)

    assert spent.changes[0].amount == -90
    assert books.wallet(alice) == WalletReading(balance=60, held=0, debt=0)
    assert [(lot.remaining, lot.held) for lot in books.lots(alice)] == [(10, 0), (50, 0)]
    books.verify()


def test_a_reservation_captured_after_its_lot_expired_still_spends_the_held_points(books, clock):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    hold = books.run(holds.reserve, alice, 120, timeout=timedelta(days=60))
    clock.set(MARCH_END + timedelta(days=1))

    spent = books.run(holds.capture, hold.id, amount=20)

    # The 20 captured are March's; the 80 of March's given back expire at once.
    assert spent.changes[0].amount == -20
    assert books.wallet(alice) == WalletReading(balance=50, held=0, debt=0)
    assert [(lot.remaining, lot.held) for lot in books.lots(alice)] == [(0, 0), (50, 0)]
    assert books.kinds() == ["earn", "earn", "redeem", "expire"]
    books.verify()


def test_a_refunded_capture_puts_the_points_back_into_the_lots_it_took(books):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    before = books.lots(alice)
    hold = books.run(holds.reserve, alice, 120)
    spent = books.run(holds.capture, hold.id)

    books.run(reversal.reverse, spent.id)

    assert books.lots(alice) == before
    assert books.wallet(alice) == WalletReading(balance=150, held=0, debt=0)
    books.verify()


def test_capturing_more_than_was_reserved_is_refused_and_posts_nothing(books):
    alice = books.member()
    books.run(service.earn, alice, 100)
    hold = books.run(holds.reserve, alice, 30)
    before = books.snapshot()

    with pytest.raises(InsufficientPoints) as refused:
        books.run(holds.capture, hold.id, amount=31)

    assert refused.value.details == {"held": 30, "requested": 31}
    assert books.snapshot() == before
    assert books.wallet(alice) == WalletReading(balance=70, held=30, debt=0)
    assert books.hold_status(hold.id) == "open"


def test_a_released_reservation_gives_its_points_back_and_posts_nothing(books):
    alice = books.member()
    books.run(service.earn, alice, 100)
    hold = books.run(holds.reserve, alice, 40)

    released = books.run(holds.release, hold.id)

    assert released.status == "released"
    assert books.wallet(alice) == WalletReading(balance=100, held=0, debt=0)
    assert [(lot.remaining, lot.held) for lot in books.lots(alice)] == [(100, 0)]
    assert books.kinds() == ["earn"]
    books.verify()


def test_a_released_reservation_whose_lot_expired_meanwhile_expires_at_once(books, clock):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    hold = books.run(holds.reserve, alice, 120, timeout=timedelta(days=60))
    clock.set(MARCH_END + timedelta(days=1))

    books.run(holds.release, hold.id)

    # March's 100 came back already expired; June's 20 are available again.
    assert books.wallet(alice) == WalletReading(balance=50, held=0, debt=0)
    assert [(lot.remaining, lot.held) for lot in books.lots(alice)] == [(0, 0), (50, 0)]
    assert books.kinds() == ["earn", "earn", "expire"]
    books.verify()


def test_capturing_a_released_reservation_is_refused_and_posts_nothing(books):
    alice = books.member()
    books.run(service.earn, alice, 100)
    hold = books.run(holds.reserve, alice, 40)
    books.run(holds.release, hold.id)
    before = books.snapshot()

    with pytest.raises(HoldNotOpen) as refused:
        books.run(holds.capture, hold.id)

    assert refused.value.details == {"status": "released"}
    assert books.snapshot() == before
    assert books.wallet(alice) == WalletReading(balance=100, held=0, debt=0)
    books.verify()


def test_a_captured_reservation_cannot_be_released_nor_captured_again(books):
    alice = books.member()
    books.run(service.earn, alice, 100)
    hold = books.run(holds.reserve, alice, 40)
    books.run(holds.capture, hold.id)
    before = books.snapshot()

    with pytest.raises(HoldNotOpen):
        books.run(holds.release, hold.id)
    with pytest.raises(HoldNotOpen):
        books.run(holds.capture, hold.id)

    assert books.snapshot() == before
    assert books.wallet(alice) == WalletReading(balance=60, held=0, debt=0)


def test_a_member_frozen_after_reserving_can_have_the_reservation_released_not_captured(
    books,
):
    alice = books.member()
    books.run(service.earn, alice, 100)
    hold = books.run(holds.reserve, alice, 40)
    books.run(members.update_member, alice, {"status": "frozen"}, keyring=books.svc.keyring)

    with pytest.raises(MemberNotActive):
        books.run(holds.capture, hold.id)
    books.run(holds.release, hold.id)

    assert books.wallet(alice) == WalletReading(balance=100, held=0, debt=0)
    assert books.kinds() == ["earn"]
    books.verify()


# --- pending earns --------------------------------------------------------------------


def test_pending_points_are_not_the_members_until_captured(books):
    alice = books.member()

    pending = books.run(holds.earn_pending, alice, 200, reference="order-7")

    assert (pending.kind, pending.status, pending.amount) == ("pending", "open", 200)
    assert books.wallet(alice) == WalletReading(balance=0, held=0, debt=0)
    assert books.lots(alice) == []
    with pytest.raises(InsufficientPoints):
        books.run(service.redeem, alice, 1)
    earned = books.run(holds.capture_pending, pending.id)
    assert (earned.kind, earned.reference) == ("earn", "order-7")
    assert books.wallet(alice) == WalletReading(balance=200, held=0, debt=0)
    assert books.hold_status(pending.id) == "captured"
    books.verify()


def test_captured_pending_points_expire_counting_from_the_day_they_were_earned(books, clock):
    books.policy(expiry="rolling", rolling_months=12)
    alice = books.member()
    pending = books.run(holds.earn_pending, alice, 200)  # 1 March 2026, in Shanghai
    clock.advance(days=14)

    books.run(holds.capture_pending, pending.id)

    # The end of 1 March 2027 in Shanghai, not of 15 March: the return window does not
    # make the points last longer.
    assert [lot.expires_at for lot in books.lots(alice)] == [
        datetime(2027, 3, 1, 16, 0, tzinfo=UTC)
    ]
    books.verify()


def test_pending_points_keep_the_expiry_the_caller_gave_them(books, clock):
    books.policy(expiry="rolling", rolling_months=12)
    alice = books.member()
    pending = books.run(holds.earn_pending, alice, 200, expires_at=JUNE_END)
    clock.advance(days=14)

    books.run(holds.capture_pending, pending.id)

    assert [lot.expires_at for lot in books.lots(alice)] == [JUNE_END]
    books.verify()


def test_pending_points_captured_after_their_expiry_expire_at_once(books, clock):
    books.policy(expiry="rolling", rolling_months=1)
    alice = books.member()
    pending = books.run(holds.earn_pending, alice, 200)
    clock.advance(days=45)

    books.run(holds.capture_pending, pending.id)

    assert books.wallet(alice) == WalletReading(balance=0, held=0, debt=0)
    assert [(lot.amount, lot.remaining) for lot in books.lots(alice)] == [(200, 0)]
    assert books.kinds() == ["earn", "expire"]
    books.verify()


def test_voided_pending_points_never_reach_the_wallet(books):
    alice = books.member()
    pending = books.run(holds.earn_pending, alice, 200)

    voided = books.run(holds.void_pending, pending.id)

    assert voided.status == "released"
    assert books.wallet(alice) == WalletReading(balance=0, held=0, debt=0)
    assert books.kinds() == []
    with pytest.raises(HoldNotOpen):
        books.run(holds.capture_pending, pending.id)
    books.verify()


def test_a_pending_earn_is_not_captured_as_a_reservation(books):
    alice = books.member()
    pending = books.run(holds.earn_pending, alice, 200)
    before = books.snapshot()

    with pytest.raises(WrongHoldKind):
        books.run(holds.capture, pending.id)

    assert books.snapshot() == before
    assert books.hold_status(pending.id) == "open"


# --- freezes --------------------------------------------------------------------------


def test_frozen_points_cannot_be_redeemed_until_unfrozen(books):
    alice = books.member()
    books.run(service.earn, alice, 100)

    freeze = books.run(holds.freeze, alice, amount=60, reason="disputed order-3")

    assert books.wallet(alice) == WalletReading(balance=40, held=60, debt=0)
    with pytest.raises(InsufficientPoints) as refused:
        books.run(service.redeem, alice, 50)
    assert refused.value.details == {"available": 40, "requested": 50}
    books.run(holds.unfreeze, freeze.id)
    assert books.wallet(alice) == WalletReading(balance=100, held=0, debt=0)
    books.run(service.redeem, alice, 50)
    assert books.wallet(alice).balance == 50
    books.verify()


def test_a_freeze_without_an_amount_holds_every_available_point(books):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50)
    books.run(holds.reserve, alice, 30)

    freeze = books.run(holds.freeze, alice, reason="fraud review")

    assert freeze.amount == 120
    assert books.wallet(alice) == WalletReading(balance=0, held=150, debt=0)
    books.verify()


def test_unfreezing_points_whose_lot_expired_meanwhile_expires_them_at_once(books, clock):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    freeze = books.run(holds.freeze, alice, reason="disputed order-3")
    clock.set(MARCH_END + timedelta(days=1))

    books.run(holds.unfreeze, freeze.id)

    assert books.wallet(alice) == WalletReading(balance=50, held=0, debt=0)
    books.verify()


# --- the periodic job -----------------------------------------------------------------


def test_the_periodic_job_releases_reservations_whose_time_is_up(books, clock):
    books.policy(hold_minutes=10)
    alice = books.member()
    books.run(service.earn, alice, 100)
    hold = books.run(holds.reserve, alice, 40)

    clock.advance(minutes=9)
    assert holds.settle_due_holds(books.svc) == 0
    assert books.wallet(alice) == WalletReading(balance=60, held=40, debt=0)

    clock.advance(minutes=1)
    assert holds.settle_due_holds(books.svc) == 1
    assert books.hold_status(hold.id) == "released"
    assert books.wallet(alice) == WalletReading(balance=100, held=0, debt=0)
    assert holds.settle_due_holds(books.svc) == 0
    books.verify()


def test_the_periodic_job_captures_pending_earns_once_their_window_closes(books, clock):
    books.policy(expiry="rolling", rolling_months=12)
    alice = books.member()
    window_closes = clock.now() + timedelta(days=7)
    pending = books.run(holds.earn_pending, alice, 200, available_at=window_closes)

    clock.set(window_closes - timedelta(seconds=1))
    assert holds.settle_due_holds(books.svc) == 0
    assert books.wallet(alice).balance == 0

    clock.set(window_closes)
    assert holds.settle_due_holds(books.svc) == 1
    assert books.hold_status(pending.id) == "captured"
    assert books.wallet(alice) == WalletReading(balance=200, held=0, debt=0)
    assert [lot.expires_at for lot in books.lots(alice)] == [
        datetime(2027, 3, 1, 16, 0, tzinfo=UTC)
    ]
    books.verify()


def test_the_periodic_job_leaves_freezes_and_undated_pending_earns_alone(books, clock):
    alice = books.member()
    books.run(service.earn, alice, 100)
    freeze = books.run(holds.freeze, alice, amount=60, reason="disputed order-3")
    pending = books.run(holds.earn_pending, alice, 200)

    clock.advance(days=365)

    assert holds.settle_due_holds(books.svc) == 0
    assert books.hold_status(freeze.id) == "open"
    assert books.hold_status(pending.id) == "open"
    assert books.wallet(alice) == WalletReading(balance=40, held=60, debt=0)
