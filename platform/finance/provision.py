"""The cost provision for points given without a sale (sign-up, check-in, birthday).

No one paid for these points, so there is no consideration to allocate and no revenue
to defer: they are a promise to give goods away, provided for at what the merchant
expects them to cost (IAS 37). The provision is for the points expected to be redeemed
(`jifen.finance.breakage.expected_redemptions`: outstanding points times the
expected-redemption rate, rounded half up to whole points) at the merchant's cost of a
point, rounded half up to the minor unit:

    amount = round_half_up(expected_redemptions(outstanding, rate) * cost_per_point)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from jifen.finance.breakage import expected_redemptions
from jifen.finance.figures import require_non_negative
from jifen.finance.rounding import round_half_up


@dataclass(frozen=True)
class CostProvision:
    """A provision and how it was reached: `amount` (minor units) is
    `expected_redemptions` points at `cost_per_point` each."""

    outstanding: int
    rate: Decimal
    expected_redemptions: int
    cost_per_point: Decimal  # minor units
    amount: int


def cost_provision(outstanding: int, rate: Decimal, cost_per_point: Decimal) -> CostProvision:
    """The provision for `outstanding` points given without a sale, expected to be
    redeemed at `rate`, each costing the merchant `cost_per_point` minor units.

    Raises ValueError for a negative count or cost, or a rate outside 0 to 1.
    """
    require_non_negative(cost_per_point=cost_per_point)
    expected = expected_redemptions(outstanding, rate)
    return CostProvision(
        outstanding=outstanding,
        rate=rate,
        expected_redemptions=expected,
        cost_per_point=cost_per_point,
        amount=round_half_up(expected * Fraction(cost_per_point)),
    )
