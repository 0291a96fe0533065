"""IFRS 15's own worked example of a customer loyalty programme (IE267-IE270), exactly.

The currency's minor unit is the whole currency unit here: amounts are CU as integers.
"""

from __future__ import annotations

from decimal import Decimal

from jifen.finance import PointsPeriod, Sale, allocate, recognise


def test_ifrs15_ie267_to_ie270_customer_loyalty_programme():
    # Sales of CU100,000 earn 10,000 points, worth CU0.95 a point stand-alone (9,500
    # expected to be redeemed); the goods' stand-alone selling price is CU100,000.
    allocation = allocate(
        Sale(consideration=100_000, goods_price=100_000, points=10_000, point_price=Decimal("0.95"))
    )
    assert (allocation.goods, allocation.points) == (91_324, 8_676)

    year_1, year_2 = recognise(
        allocation.points,
        10_000,
        [
            PointsPeriod("Year 1", redeemed=4_500, expected_redemptions=9_500),
            # The estimate is revised: 9,700 points will be redeemed in all.
            PointsPeriod("Year 2", redeemed=8_500, expected_redemptions=9_700),
        ],
    )

    assert (year_1.revenue, year_1.cumulative, year_1.liability) == (4_110, 4_110, 4_566)
    assert (year_2.revenue, year_2.cumulative, year_2.liability) == (3_493, 7_603, 1_073)
    # Under the old estimate, 8,500 of 9,500 would have made 7,763 by year 2 (3,653 in
    # it): the revision takes 160 off year 2's revenue.
    assert (year_1.catch_up, year_2.catch_up) == (0, -160)
