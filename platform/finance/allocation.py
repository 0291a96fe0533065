"""A sale's consideration split between the goods and the points it earns (IFRS 15 §73-80).

Points earned with a purchase are a separate performance obligation (a material right,
IFRS 15 §B40): part of what the customer paid is for them, deferred as a contract
liability until they are redeemed or expire (`jifen.finance.recognition`). The split is
by relative stand-alone selling prices: the points' is their number times the
stand-alone selling price of one point (which already allows for the points expected to
go unredeemed, IFRS 15 IE268).

Rounding: the points' share is rounded half up to the minor unit and the goods get the
rest, so the two always add up to the consideration.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from jifen.finance.figures import require_non_negative
from jifen.finance.rounding import round_half_up


@dataclass(frozen=True)
class Sale:
    """A sale that earns points. Money is in minor units (fen, cents)."""

    consideration: int  # what the customer paid
    goods_price: int  # the goods' stand-alone selling price
    points: int  # the points the sale earns
    point_price: Decimal  # one point's stand-alone selling price, in minor units


@dataclass(frozen=True)
class Allocation:
    """The consideration split: `goods + points == consideration`, both in minor units."""

    goods: int
    points: int


def allocate(sale: Sale) -> Allocation:
    """Split `sale.consideration` between the goods and the points by their relative
    stand-alone selling prices: the points get
    `round_half_up(consideration * points_price / (goods_price + points_price))`, where
    `points_price = points * point_price`, and the goods get the rest.

    Raises ValueError for a negative figure, or when both stand-alone selling prices are
    zero (nothing to split by).
    """
    require_non_negative(
        consideration=sale.consideration,
        goods_price=sale.goods_price,
        points=sale.points,
        point_price=sale.point_price,
    )
    points_price = Fraction(sale.point_price) * sale.points
    total = sale.goods_price + points_price
    if total == 0:
        raise ValueError("the goods and the points both have a stand-alone selling price of 0")
    points_share = round_half_up(sale.consideration * points_price / total)
    return Allocation(goods=sale.consideration - points_share, points=points_share)
