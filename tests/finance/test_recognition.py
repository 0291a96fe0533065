"""Revenue from the points' contract liability as points are redeemed or expire, with the
cumulative catch-up when the estimate changes (IFRS 15 §B39-B43, B46).

The figures continue IFRS 15's example (tests/finance/test_ifrs15_example.py): CU8,676
deferred for 10,000 points, amounts in CU as integers.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jifen.finance import (
    Cohort,
    PointsPeriod,
    estimate_redemption_rate,
    expected_redemptions,
    recognise,
)

ALLOCATED, POINTS = 8_676, 10_000
YEAR_1 = PointsPeriod("Year 1", redeemed=4_500, expected_redemptions=9_500)
YEAR_2 = PointsPeriod("Year 2", redeemed=8_500, expected_redemptions=9_700)


def test_when_the_last_points_expire_the_rest_of_the_liability_is_recognised():
    year_3 = PointsPeriod("Year 3", redeemed=9_000, expected_redemptions=9_700, expired=1_000)

    *_, last = recognise(ALLOCATED, POINTS, [YEAR_1, YEAR_2, year_3])

    assert (last.revenue, last.cumulative, last.liability) == (1_073, ALLOCATED, 0)
    assert last.expected_redemptions == 9_000
    # Under the 9,700 estimate, 9,000 redeemed would have made 8,050 (447 in year 3):
    # the other 626 is the breakage, caught up.
    assert last.catch_up == 626


def test_points_expiring_as_expected_change_nothing():
    # 9,500 of 10,000 were expected to be redeemed: 500 expiring is the breakage foreseen.
    expiring = PointsPeriod("Year 2", redeemed=6_000, expected_redemptions=9_500, expired=500)
    not_yet = PointsPeriod("Year 2", redeemed=6_000, expected_redemptions=9_500)

    assert recognise(ALLOCATED, POINTS, [YEAR_1, expiring]) == recognise(
        ALLOCATED, POINTS, [YEAR_1, not_yet]
    )
    (_, year_2) = recognise(ALLOCATED, POINTS, [YEAR_1, expiring])
    assert (year_2.revenue, year_2.catch_up) == (1_370, 0)


def test_points_expiring_beyond_the_estimate_lower_it_and_are_caught_up():
    # 1,500 expire where 500 were expected: at most 8,500 can be redeemed now.
    year_2 = PointsPeriod("Year 2", redeemed=6_000, expected_redemptions=9_500, expired=1_500)

    (_, result) = recognise(ALLOCATED, POINTS, [YEAR_1, year_2])

    assert result.expected_redemptions == 8_500
    assert result.cumulative == 6_124  # 8,676 * 6,000 / 8,500
    assert result.liability == 2_552
    assert result.catch_up == 6_124 - 5_480  # 5,480 under 9,500


def test_a_raised_estimate_with_no_new_redemptions_takes_revenue_back():
    year_2 = PointsPeriod("Year 2", redeemed=4_500, expected_redemptions=9_700)

    (_, result) = recognise(ALLOCATED, POINTS, [YEAR_1, year_2])

    assert result.cumulative == 4_025
    assert result.revenue == result.catch_up == -85
    assert result.liability == 4_651


def test_a_refunded_redemption_takes_its_revenue_back():
    refunded = PointsPeriod("Year 2", redeemed=4_000, expected_redemptions=9_500)

    (_, result) = recognise(ALLOCATED, POINTS, [YEAR_1, refunded])

    assert (result.revenue, result.cumulative, result.catch_up) == (-457, 3_653, 0)


def test_an_estimate_of_no_further_redemptions_leaves_no_liability():
    nothing_expected = PointsPeriod("Year 1", redeemed=0, expected_redemptions=0)
    all_redeemed_expected = PointsPeriod("Year 2", redeemed=4_500, expected_redemptions=4_500)

    (first,) = recognise(ALLOCATED, POINTS, [nothing_expected])
    (_, second) = recognise(ALLOCATED, POINTS, [YEAR_1, all_redeemed_expected])

    assert (first.cumulative, first.liability) == (ALLOCATED, 0)
    assert (second.revenue, second.liability, second.catch_up) == (4_566, 0, 4_566)


def test_an_estimate_above_the_points_issued_is_capped_at_them():
    (result,) = recognise(ALLOCATED, POINTS, [PointsPeriod("Year 1", 5_000, 12_000)])

    assert result.expected_redemptions == POINTS
    assert result.cumulative == 4_338


def test_a_rate_from_history_gives_the_estimate_of_redemptions():
    history = [Cohort("2024", earned=20_000, redeemed=19_000, expired=1_000, outstanding=0)]
    rate = estimate_redemption_rate(history, default=Decimal("0.9"), minimum=10_000)
    estimate = YEAR_1.redeemed + expected_redemptions(POINTS - YEAR_1.redeemed, rate.rate)

    (result,) = recognise(ALLOCATED, POINTS, [PointsPeriod("Year 1", 4_500, estimate)])

    assert (rate.rate, estimate) == (Decimal("0.95"), 9_725)
    assert result.cumulative == 4_015  # 8,676 * 4,500 / 9,725


@pytest.mark.parametrize(
    ("allocated", "points", "period", "message"),
    [
        (-1, POINTS, YEAR_1, "allocated must not be negative"),
        (ALLOCATED, -1, YEAR_1, "points must not be negative"),
        (ALLOCATED, POINTS, PointsPeriod("P", -1, 9_500), "redeemed must not be negative"),
        (ALLOCATED, POINTS, PointsPeriod("P", 0, 9_500, -1), "expired must not be negative"),
        (ALLOCATED, POINTS, PointsPeriod("P", 10_001, 10_001), "10001 redeemed and 0 expired"),
        (ALLOCATED, POINTS, PointsPeriod("P", 6_000, 9_500, 4_001), "of 10000 points issued"),
        (ALLOCATED, POINTS, PointsPeriod("P", 4_500, 4_499), "4499 redemptions expected"),
    ],
)
def test_impossible_figures_are_refused(allocated, points, period, message):
    with pytest.raises(ValueError, match=message):
        recognise(allocated, points, [period])


# --- properties ----------------------------------------------------------------------


@st.composite
def histories(draw, *, growing: bool = False, resolved: bool = False):
    """An amount deferred for some points and periods of redemptions, expiries and
    estimates. `growing`: redemptions and expiries only grow, under one estimate.
    `resolved`: no points are outstanding at the end."""
    points = draw(st.integers(0, 10**7))
    allocated = draw(st.integers(0, 10**9))
    estimate = draw(st.integers(0, points))
    periods: list[PointsPeriod] = []
    redeemed = expired = 0
    for index in range(draw(st.integers(1, 8))):
        if growing:
            redeemed = draw(st.integers(redeemed, min(estimate, points - expired)))
            expired = draw(st.integers(expired, points - redeemed))
        else:
            redeemed = draw(st.integers(0, points))
            expired = draw(st.integers(0, points - redeemed))
            estimate = draw(st.integers(redeemed, points + 1_000))
        periods.append(PointsPeriod(f"P{index}", redeemed, estimate, expired))
    if resolved:
        last = periods[-1]
        periods.append(
            PointsPeriod("end", last.redeemed, last.expected_redemptions, points - last.redeemed)
        )
    return allocated, points, periods


@given(histories())
def test_revenue_stays_within_the_allocation_and_adds_up(history):
    allocated, points, periods = history

    results = recognise(allocated, points, periods)

    assert all(0 <= r.cumulative <= allocated for r in results)
    assert all(r.liability == allocated - r.cumulative for r in results)
    assert sum(r.revenue for r in results) == results[-1].cumulative


@given(histories(growing=True))
def test_revenue_never_goes_negative_while_redemptions_grow(history):
    allocated, points, periods = history

    results = recognise(allocated, points, periods)

    assert all(r.revenue >= 0 for r in results)


@given(histories())
def test_an_unchanged_estimate_catches_nothing_up(history):
    allocated, points, periods = history

    results = recognise(allocated, points, periods)

    for before, now in pairwise(results):
        if now.expected_redemptions == before.expected_redemptions:
            assert now.catch_up == 0


@given(histories(resolved=True))
def test_once_nothing_is_outstanding_the_whole_allocation_is_revenue(history):
    allocated, points, periods = history

    results = recognise(allocated, points, periods)

    assert (results[-1].cumulative, results[-1].liability) == (allocated, 0)
