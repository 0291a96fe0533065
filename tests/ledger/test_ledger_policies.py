"""Worked examples of a tenant's points policy: when earned points expire (never, a
rolling number of months, or on a yearly clear date), which policies are refused, and the
staff's corrections: adjustments and extended expiries.

Expiry is counted in the tenant's local days (Shanghai, UTC+8, by default): points
expire at the end of a local day, stored as the next local midnight in UTC.
"""

from datetime import UTC, datetime, timedelta

import pytest

from jifen.errors import Unknown, ValidationFailed
from jifen.ledger import service
from jifen.ledger.errors import ExpiryNotLater, InsufficientPoints
from jifen.members import service as members

from .conftest import WalletReading

MARCH_END = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # midnight, 1 April, in Shanghai
MAY_END = datetime(2026, 5, 31, 16, 0, tzinfo=UTC)
JUNE_END = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)
SEPTEMBER_END = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)


def shanghai(year, month, day, hour=12, minute=0):
    """An instant given as Shanghai's wall-clock time (UTC+8, no daylight saving)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def end_of(year, month, day):
    """The end of a day in Shanghai: the next local midnight, as stored."""
    return shanghai(year, month, day, 0) + timedelta(days=1)


def expiry_of_points_earned_at(books, clock, instant):
    clock.set(instant)
    alice = books.member()
    books.run(service.earn, alice, 100)
    (lot,) = books.lots(alice)
    return lot.expires_at


# --- expiry ---------------------------------------------------------------------------


def test_by_default_earned_points_never_expire(books, clock):
    assert expiry_of_points_earned_at(books, clock, shanghai(2026, 3, 1)) is None


def test_rolling_points_expire_at_the_end_of_the_local_day_months_after_earning(books, clock):
    books.policy(expiry="rolling", rolling_months=12)

    expires_at = expiry_of_points_earned_at(books, clock, shanghai(2026, 3, 1, 17, 30))

    assert expires_at == end_of(2027, 3, 1)
    assert expires_at == datetime(2027, 3, 1, 16, 0, tzinfo=UTC)


def test_rolling_expiry_counts_from_the_local_day_not_the_utc_one(books, clock):
    books.policy(expiry="rolling", rolling_months=12)

    # 1 March, 16:30 in UTC is already 2 March, 00:30 in Shanghai.
    expires_at = expiry_of_points_earned_at(books, clock, datetime(2026, 3, 1, 16, 30, tzinfo=UTC))

    assert expires_at == end_of(2027, 3, 2)


def test_rolling_expiry_from_the_end_of_a_long_month_ends_with_the_shorter_month(books, clock):
    books.policy(expiry="rolling", rolling_months=1)

    assert expiry_of_points_earned_at(books, clock, shanghai(2026, 1, 31)) == end_of(2026, 2, 28)


@pytest.mark.parametrize(
    ("earned", "expires"),
    [
        (shanghai(2026, 3, 1), end_of(2026, 12, 31)),
        (shanghai(2026, 9, 30, 23, 59), end_of(2026, 12, 31)),
        (shanghai(2026, 10, 1, 0, 0), end_of(2027, 12, 31)),
    ],
    ids=["earned in spring", "earned on the cut-off", "earned after the cut-off"],
)
def test_calendar_points_earned_by_the_cutoff_expire_on_that_years_clear_date(
    books, clock, earned, expires
):
    books.policy(
        expiry="calendar",
        clear_month=12,
        clear_day=31,
        cutoff_month=9,
        cutoff_day=30,
        clear_years=1,
    )

    assert expiry_of_points_earned_at(books, clock, earned) == expires


@pytest.mark.parametrize(
    ("earned", "expires"),
    [
        (shanghai(2026, 1, 1, 0, 0), end_of(2028, 12, 31)),
        (shanghai(2026, 12, 31, 23, 59), end_of(2028, 12, 31)),
        (shanghai(2027, 1, 1, 0, 0), end_of(2029, 12, 31)),
    ],
    ids=["first day of the year", "last day of the year", "next year"],
)
def test_telecoms_clear_the_points_of_a_year_at_the_end_of_the_third_year(
    books, clock, earned, expires
):
    books.policy(expiry="calendar", clear_month=12, clear_day=31, clear_years=3)

    assert expiry_of_points_earned_at(books, clock, earned) == expires


@pytest.mark.parametrize(
    ("earned", "expires"),
    [
        (shanghai(2026, 6, 15, 23, 59), end_of(2026, 6, 15)),
        (shanghai(2026, 6, 20), end_of(2027, 6, 15)),
    ],
    ids=["on the clear date", "after the clear date"],
)
def test_without_a_cutoff_points_earned_after_the_clear_date_last_until_the_next(
    books, clock, earned, expires
):
    books.policy(expiry="calendar", clear_month=6, clear_day=15, clear_years=1)

    assert expiry_of_points_earned_at(books, clock, earned) == expires


def test_a_clear_date_of_29_february_is_the_28th_in_other_years(books, clock):
    books.policy(expiry="calendar", clear_month=2, clear_day=29, clear_years=1)
    alice = books.member()

    clock.set(shanghai(2026, 3, 1))
    books.run(service.earn, alice, 100)
    clock.set(shanghai(2027, 3, 1))
    books.run(service.earn, alice, 100)

    assert [lot.expires_at for lot in books.lots(alice)] == [
        end_of(2027, 2, 28),
        end_of(2028, 2, 29),
    ]


def test_an_expiry_the_caller_gives_overrides_the_policy(books):
    books.policy(expiry="rolling", rolling_months=12)
    alice = books.member()

    books.run(service.earn, alice, 100, expires_at=JUNE_END)

    assert [lot.expires_at for lot in books.lots(alice)] == [JUNE_END]


def test_a_new_policy_applies_to_new_earnings_only(books, clock):
    alice = books.member()
    books.run(service.earn, alice, 100)

    books.policy(expiry="rolling", rolling_months=6)
    books.run(service.earn, alice, 50)

    assert [lot.expires_at for lot in books.lots(alice)] == [end_of(2026, 9, 1), None]


# --- refused policies -----------------------------------------------------------------

REQUIRED = ["Required by this expiry policy."]


@pytest.mark.parametrize(
    ("changes", "details"),
    [
        pytest.param(
            {"expiry": "monthly"},
            {"expiry": ["One of none, rolling, calendar."]},
            id="unknown expiry",
        ),
        pytest.param({"expiry": "rolling"}, {"rolling_months": REQUIRED}, id="rolling, no months"),
        pytest.param(
            {"expiry": "rolling", "rolling_months": 0},
            {"rolling_months": ["Must be a whole number from 1 to 120."]},
            id="rolling, zero months",
        ),
        pytest.param(
            {"expiry": "rolling", "rolling_months": 12.0},
            {"rolling_months": ["Must be a whole number from 1 to 120."]},
            id="rolling, months not whole",
        ),
        pytest.param(
            {"expiry": "calendar"},
            {"clear_month": REQUIRED, "clear_day": REQUIRED, "clear_years": REQUIRED},
            id="calendar, no clear date",
        ),
        pytest.param(
            {"expiry": "calendar", "clear_month": 2, "clear_day": 30, "clear_years": 1},
            {"clear_day": ["No such day in that month."]},
            id="calendar, 30 February",
        ),
        pytest.param(
            {"expiry": "calendar", "clear_month": 12, "clear_day": 31, "clear_years": 11},
            {"clear_years": ["Must be a whole number from 1 to 10."]},
            id="calendar, eleven years",
        ),
        pytest.param(
            {
                "expiry": "calendar",
                "clear_month": 3,
                "clear_day": 31,
                "cutoff_month": 12,
                "cutoff_day": 31,
                "clear_years": 1,
            },
            {"cutoff_month": ["With clear_years 1 the cut-off cannot fall after the clear date."]},
            id="calendar, cut-off after the clear date",
        ),
        pytest.param(
            {"notice_days": [30, 0]},
            {"notice_days": ["Up to 5 whole numbers of days, from 1 to 365."]},
            id="notice zero days before",
        ),
        pytest.param(
            {"notice_days": 7},
            {"notice_days": ["Up to 5 whole numbers of days, from 1 to 365."]},
            id="notice days not a list",
        ),
        pytest.param(
            {"shortfall": "forgive"},
            {"shortfall": ["One of debt, absorb."]},
            id="unknown shortfall",
        ),
        pytest.param(
            {"transfers_enabled": "yes"},
            {"transfers_enabled": ["true or false."]},
            id="transfers enabled not a boolean",
        ),
        pytest.param(
            {"transfer_max": 0, "hold_minutes": 0},
            {
                "transfer_max": ["Must be a whole number from 1 to 9007199254740991."],
                "hold_minutes": ["Must be a whole number from 1 to 10080."],
            },
            id="zero limits",
        ),
        pytest.param({"colour": "red"}, {"colour": ["Unknown field."]}, id="unknown field"),
    ],
)
def test_an_invalid_policy_is_refused_field_by_field(books, changes, details):
    with pytest.raises(ValidationFailed) as refused:
        books.policy(**changes)

    assert refused.value.details == details


def test_a_refused_policy_change_leaves_the_policy_as_it_was(books, clock):
    books.policy(expiry="rolling", rolling_months=12)

    with pytest.raises(ValidationFailed):
        books.policy(rolling_months=0)

    assert expiry_of_points_earned_at(books, clock, shanghai(2026, 3, 1)) == end_of(2027, 3, 1)


# --- adjustments ----------------------------------------------------------------------


def test_a_positive_adjustment_credits_points_that_expire_as_the_policy_says(books):
    books.policy(expiry="rolling", rolling_months=12)
    alice = books.member()

    adjustment = books.run(service.adjust, alice, 30, reason=" late delivery ")

    assert (adjustment.kind, adjustment.memo) == ("adjust", "late delivery")
    assert adjustment.changes[0].amount == 30
    assert [(lot.amount, lot.expires_at) for lot in books.lots(alice)] == [(30, end_of(2027, 3, 1))]
    books.verify()


def test_a_negative_adjustment_takes_points_back_soonest_expiring_first(books):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)

    adjustment = books.run(service.adjust, alice, -120, reason="duplicate earning")

    assert adjustment.changes[0].amount == -120
    assert [lot.remaining for lot in books.lots(alice)] == [0, 30]
    assert books.wallet(alice) == WalletReading(balance=30, held=0, debt=0)
    books.verify()


def test_a_negative_adjustment_beyond_the_available_points_is_refused(books):
    alice = books.member()
    books.run(service.earn, alice, 100)
    before = books.snapshot()

    with pytest.raises(InsufficientPoints) as refused:
        books.run(service.adjust, alice, -101, reason="duplicate earning")

    assert refused.value.details == {"available": 100, "requested": 101}
    assert books.snapshot() == before
    assert books.wallet(alice).balance == 100


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_adjustment_needs_a_reason(books, reason):
    alice = books.member()
    before = books.snapshot()

    with pytest.raises(ValidationFailed) as refused:
        books.run(service.adjust, alice, 30, reason=reason)

    assert refused.value.details == {"reason": ["A reason is required."]}
    assert books.snapshot() == before


def test_staff_adjust_the_points_of_a_frozen_member_too(books):
    alice = books.member()
    books.run(service.earn, alice, 100)
    books.run(members.update_member, alice, {"status": "frozen"}, keyring=books.svc.keyring)

    books.run(service.adjust, alice, -30, reason="duplicate earning")
    books.run(service.adjust, alice, 10, reason="goodwill")

    assert books.wallet(alice).balance == 80
    books.verify()


# --- extended expiries ----------------------------------------------------------------


def test_extending_moves_every_sooner_expiry_to_the_new_date(books):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    books.run(service.earn, alice, 20)

    extended = books.run(service.extend, alice, SEPTEMBER_END, reason="system outage")

    assert extended == 150
    assert [lot.expires_at for lot in books.lots(alice)] == [SEPTEMBER_END, SEPTEMBER_END, None]
    books.verify()


def test_extending_leaves_points_that_expire_later_alone(books):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)

    extended = books.run(service.extend, alice, MAY_END, reason="system outage")

    assert extended == 100
    assert [lot.expires_at for lot in books.lots(alice)] == [MAY_END, JUNE_END]


def test_extending_particular_lots_moves_only_those(books):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    _, june = books.lots(alice)

    extended = books.run(service.extend, alice, SEPTEMBER_END, reason="goodwill", lot_ids=[june.id])

    assert extended == 50
    assert [lot.expires_at for lot in books.lots(alice)] == [MARCH_END, SEPTEMBER_END]


def test_a_lot_named_twice_is_extended_once(books):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    (march,) = books.lots(alice)

    extended = books.run(
        service.extend, alice, JUNE_END, reason="goodwill", lot_ids=[march.id, march.id]
    )

    assert extended == 100
    assert [lot.expires_at for lot in books.lots(alice)] == [JUNE_END]


def test_extending_another_members_lot_is_refused(books):
    alice, bob = books.member(), books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, bob, 100, expires_at=MARCH_END)
    (bobs,) = books.lots(bob)

    with pytest.raises(Unknown, match="No such lot"):
        books.run(service.extend, alice, JUNE_END, reason="goodwill", lot_ids=[bobs.id])

    assert [lot.expires_at for lot in books.lots(bob)] == [MARCH_END]


@pytest.mark.parametrize("which", ["expiring later", "never expiring"])
def test_extending_a_lot_to_an_earlier_date_is_refused(books, which):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=None if which == "never expiring" else JUNE_END)
    march, later = books.lots(alice)
    before = books.lots(alice)

    with pytest.raises(ExpiryNotLater) as refused:
        books.run(service.extend, alice, MAY_END, reason="goodwill", lot_ids=[march.id, later.id])

    assert refused.value.details == {"lot_id": str(later.id)}
    assert books.lots(alice) == before


def test_extended_points_can_be_spent_after_their_old_expiry(books, clock):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.extend, alice, JUNE_END, reason="system outage")
    clock.set(MARCH_END + timedelta(days=1))

    books.run(service.redeem, alice, 100)

    assert books.wallet(alice).balance == 0
    books.verify()


def test_extending_cannot_bring_back_points_that_already_expired(books, clock):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    books.run(service.earn, alice, 50, expires_at=JUNE_END)
    clock.set(MARCH_END + timedelta(days=1))

    extended = books.run(service.extend, alice, SEPTEMBER_END, reason="system outage")

    assert extended == 50
    assert books.wallet(alice).balance == 50
    assert [(lot.remaining, lot.expires_at) for lot in books.lots(alice)] == [
        (0, MARCH_END),
        (50, SEPTEMBER_END),
    ]
    books.verify()


def test_extending_needs_a_reason(books):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)

    with pytest.raises(ValidationFailed) as refused:
        books.run(service.extend, alice, JUNE_END, reason=" ")

    assert refused.value.details == {"reason": ["A reason is required."]}
    assert [lot.expires_at for lot in books.lots(alice)] == [MARCH_END]
