"""The cost provision for points given without a sale (sign-up, check-in, birthday).

Amounts in fen: the merchant's goods cost it half a fen a point.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from jifen.finance import CostProvision, cost_provision


def test_points_given_away_are_provided_for_at_what_their_redemption_costs():
    provision = cost_provision(12_000, rate=Decimal("0.8"), cost_per_point=Decimal("0.5"))

    assert provision == CostProvision(
        outstanding=12_000,
        rate=Decimal("0.8"),
        expected_redemptions=9_600,
        cost_per_point=Decimal("0.5"),
        amount=4_800,  # 48.00 CNY
    )


def test_the_points_then_the_money_round_half_up():
    # 3 points at 50% is 1.5, so 2 points; at a quarter fen each, half a fen: 1 fen.
    provision = cost_provision(3, rate=Decimal("0.5"), cost_per_point=Decimal("0.25"))

    assert (provision.expected_redemptions, provision.amount) == (2, 1)


def test_nothing_outstanding_needs_no_provision():
    assert cost_provision(0, Decimal("0.8"), Decimal("0.5")).amount == 0


def test_points_no_one_is_expected_to_redeem_need_no_provision():
    assert cost_provision(12_000, Decimal(0), Decimal("0.5")).amount == 0


@pytest.mark.parametrize(
    ("outstanding", "rate", "cost", "message"),
    [
        (-1, Decimal("0.8"), Decimal("0.5"), "outstanding must not be negative"),
        (10, Decimal("1.2"), Decimal("0.5"), "rate must be a finite rate from 0 to 1"),
        (10, Decimal("0.8"), Decimal("-0.5"), "cost_per_point must not be negative"),
        (10, Decimal("0.8"), Decimal("Infinity"), "cost_per_point must be finite"),
    ],
)
def test_impossible_figures_are_refused(outstanding, rate, cost, message):
    with pytest.raises(ValueError, match=message):
        cost_provision(outstanding, rate, cost)
