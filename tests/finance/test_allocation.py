"""A sale's consideration split between the goods and the points (IFRS 15 §73-80)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jifen.finance import Allocation, Sale, allocate
from jifen.finance.rounding import round_half_up

prices_per_point = st.decimals(min_value=0, max_value=100, places=4)


@given(
    consideration=st.integers(0, 10**12),
    goods_price=st.integers(0, 10**12),
    points=st.integers(0, 10**9),
    point_price=prices_per_point,
)
def test_the_parts_always_add_up_to_the_consideration(
    consideration, goods_price, points, point_price
):
    sale = Sale(consideration, goods_price, points, point_price)
    if goods_price == 0 and points * point_price == 0:
        with pytest.raises(ValueError, match="stand-alone selling price of 0"):
            allocate(sale)
        return
    allocation = allocate(sale)
    assert allocation.goods + allocation.points == consideration
    assert allocation.goods >= 0 and allocation.points >= 0
    exact = Fraction(consideration) * points * Fraction(point_price)
    exact /= goods_price + points * Fraction(point_price)
    assert abs(allocation.points - exact) <= Fraction(1, 2)


def test_the_points_share_rounds_half_up_and_the_goods_take_the_rest():
    # Equal stand-alone prices: each part is worth CU2.5 of the CU5.
    assert allocate(Sale(5, 1, 1, Decimal(1))) == Allocation(goods=2, points=3)
    # A share just below a half rounds down, just above it rounds up.
    assert allocate(Sale(5, 1001, 999, Decimal(1))) == Allocation(goods=3, points=2)
    assert allocate(Sale(5, 999, 1001, Decimal(1))) == Allocation(goods=2, points=3)


def test_the_share_is_rounded_from_the_exact_value_not_a_28_digit_quotient():
    # 10^30 / (2 * 10^30 + 1) is a hair below a half: a Decimal division rounds it to
    # 0.5000000000000000000000000000, which would round up.
    sale = Sale(consideration=1, goods_price=10**30 + 1, points=1, point_price=Decimal(10**30))
    assert allocate(sale) == Allocation(goods=1, points=0)


def test_a_sale_earning_no_points_is_all_for_the_goods():
    assert allocate(Sale(12_850, 12_850, 0, Decimal("0.95"))) == Allocation(goods=12_850, points=0)


def test_points_given_with_free_goods_take_the_whole_consideration():
    assert allocate(Sale(500, 0, 100, Decimal("0.8"))) == Allocation(goods=0, points=500)


@pytest.mark.parametrize(
    ("sale", "message"),
    [
        (Sale(-1, 100, 10, Decimal(1)), "consideration must not be negative"),
        (Sale(100, -1, 10, Decimal(1)), "goods_price must not be negative"),
        (Sale(100, 100, -10, Decimal(1)), "points must not be negative"),
        (Sale(100, 100, 10, Decimal("-0.01")), "point_price must not be negative"),
        (Sale(100, 100, 10, Decimal("NaN")), "point_price must be finite"),
        (Sale(100, 100, 10, Decimal("Infinity")), "point_price must be finite"),
        (Sale(100, 0, 0, Decimal(1)), "stand-alone selling price of 0"),
        (Sale(100, 0, 10, Decimal(0)), "stand-alone selling price of 0"),
    ],
)
def test_figures_that_cannot_be_split_are_refused(sale, message):
    with pytest.raises(ValueError, match=message):
        allocate(sale)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Fraction(1, 2), 1),
        (Fraction(5, 2), 3),
        (Fraction(-5, 2), -3),
        (Fraction(7, 3), 2),
        (Fraction(8, 3), 3),
        (Decimal("4109.5"), 4110),
        (Decimal("4109.4999999999999999999999999999999"), 4109),
        (0, 0),
    ],
)
def test_half_up_rounds_an_exact_half_away_from_zero(value, rounded):
    assert round_half_up(value) == rounded
