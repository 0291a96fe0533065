"""The expected-redemption rate from the tenant's earning cohorts, and what it rests on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jifen.finance import Cohort, RedemptionRate, estimate_redemption_rate, expected_redemptions

DEFAULT = Decimal("0.9")


def estimate(*cohorts: Cohort, minimum: int = 1_000) -> RedemptionRate:
    return estimate_redemption_rate(cohorts, default=DEFAULT, minimum=minimum)


def test_only_cohorts_with_nothing_outstanding_count():
    rate = estimate(
        Cohort("2025-01", earned=1_000, redeemed=800, expired=200, outstanding=0),
        # Still outstanding: its 900 points may yet be redeemed or expire.
        Cohort("2025-02", earned=1_000, redeemed=100, expired=0, outstanding=900),
    )

    assert rate == RedemptionRate(
        rate=Decimal("0.8"),
        from_history=True,
        resolved_cohorts=("2025-01",),
        redeemed=800,
        expired=200,
        minimum=1_000,
    )
    assert rate.resolved == 1_000


def test_cohorts_weigh_as_many_points_as_they_resolved():
    rate = estimate(
        Cohort("2025-01", earned=1_000, redeemed=900, expired=100, outstanding=0),
        Cohort("2025-02", earned=100, redeemed=50, expired=50, outstanding=0),
    )

    # 950 of 1,100 points (not the mean of 90% and 50%), half up at the eighth place.
    assert rate.rate == Decimal("0.86363636")
    assert rate.resolved_cohorts == ("2025-01", "2025-02")


def test_points_taken_back_count_neither_way():
    # 200 of the points went back with refunded purchases.
    rate = estimate(Cohort("2025-01", earned=1_200, redeemed=750, expired=250, outstanding=0))

    assert (rate.rate, rate.resolved) == (Decimal("0.75"), 1_000)


def test_too_little_history_falls_back_to_the_default_and_says_what_there_was():
    rate = estimate(
        Cohort("2025-01", earned=999, redeemed=999, expired=0, outstanding=0),
        Cohort("2025-02", earned=50_000, redeemed=10_000, expired=0, outstanding=40_000),
    )

    assert rate == RedemptionRate(
        rate=DEFAULT,
        from_history=False,
        resolved_cohorts=("2025-01",),
        redeemed=999,
        expired=0,
        minimum=1_000,
    )


def test_history_of_exactly_the_minimum_is_used():
    rate = estimate(Cohort("2025-01", earned=1_000, redeemed=999, expired=1, outstanding=0))

    assert (rate.rate, rate.from_history) == (Decimal("0.999"), True)


def test_no_history_at_all_falls_back_to_the_default():
    rate = estimate()

    assert (rate.rate, rate.from_history, rate.resolved_cohorts, rate.resolved) == (
        DEFAULT,
        False,
        (),
        0,
    )


def test_a_history_of_only_expiries_gives_a_rate_of_zero():
    rate = estimate(Cohort("2025-01", earned=5_000, redeemed=0, expired=5_000, outstanding=0))

    assert (rate.rate, rate.from_history) == (Decimal(0), True)


def test_the_rate_rounds_half_up_at_the_eighth_decimal_place():
    # 1 redeemed in 200,000,000 is 0.000000005 exactly; one more expired is just below.
    half = Cohort("2025-01", earned=200_000_000, redeemed=1, expired=199_999_999, outstanding=0)
    below = Cohort("2025-01", earned=200_000_001, redeemed=1, expired=200_000_000, outstanding=0)

    assert estimate(half).rate == Decimal("0.00000001")
    assert estimate(below).rate == Decimal(0)


@pytest.mark.parametrize(
    ("outstanding", "rate", "expected"),
    [
        (10_000, Decimal("0.95"), 9_500),
        (10, Decimal("0.95"), 10),  # 9.5 rounds up
        (3, Decimal("0.5"), 2),  # 1.5 rounds up
        (1, Decimal("0.4999"), 0),
        (0, Decimal("0.95"), 0),
        (7, Decimal(1), 7),
        (7, Decimal(0), 0),
    ],
)
def test_expected_redemptions_of_outstanding_points_round_half_up(outstanding, rate, expected):
    assert expected_redemptions(outstanding, rate) == expected


@pytest.mark.parametrize(
    ("cohorts", "default", "minimum", "message"),
    [
        ([Cohort("a", 10, -1, 0, 0)], DEFAULT, 1, "redeemed must not be negative"),
        ([Cohort("a", 10, 0, -1, 0)], DEFAULT, 1, "expired must not be negative"),
        ([Cohort("a", 10, 0, 0, -1)], DEFAULT, 1, "outstanding must not be negative"),
        ([Cohort("a", -1, 0, 0, 0)], DEFAULT, 1, "earned must not be negative"),
        ([Cohort("a", 10, 6, 3, 2)], DEFAULT, 1, "cohort a: 6 redeemed, 3 expired and 2"),
        ([Cohort("a", 10, 5, 5, 0), Cohort("a", 10, 5, 5, 0)], DEFAULT, 1, "one label each"),
        ([], Decimal("1.01"), 1, "default must be a finite rate from 0 to 1"),
        ([], Decimal("-0.1"), 1, "default must be a finite rate from 0 to 1"),
        ([], Decimal("NaN"), 1, "default must be a finite rate from 0 to 1"),
        ([], DEFAULT, 0, "must be at least 1, not 0"),
    ],
)
def test_impossible_history_is_refused(cohorts, default, minimum, message):
    with pytest.raises(ValueError, match=message):
        estimate_redemption_rate(cohorts, default=default, minimum=minimum)


@pytest.mark.parametrize(
    ("outstanding", "rate", "message"),
    [
        (-1, Decimal("0.5"), "outstanding must not be negative"),
        (10, Decimal("1.5"), "rate must be a finite rate from 0 to 1"),
        (10, Decimal("sNaN"), "rate must be a finite rate from 0 to 1"),
    ],
)
def test_impossible_expected_redemptions_are_refused(outstanding, rate, message):
    with pytest.raises(ValueError, match=message):
        expected_redemptions(outstanding, rate)
