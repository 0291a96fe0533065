"""What a lottery's prize table implies for one draw: each prize's chance and the points
a draw gives back on average."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jifen.mall.lottery import implied_odds


def prize(code: str, weight: int, points: int = 0, goods: bool = False) -> dict:
    return {"code": code, "name": code, "weight": weight, "points": points, "goods": goods}


def test_each_prize_has_its_weight_share_and_a_draw_gives_back_the_weighted_points():
    odds = implied_odds(
        [prize("big", 1, points=1_000), prize("small", 9, points=50), prize("mug", 10, goods=True)]
    )
    assert [p.chance for p in odds.prizes] == [Decimal("0.05"), Decimal("0.45"), Decimal("0.5")]
    # (1 x 1000 + 9 x 50) / 20 points a draw, and the mug half the time.
    assert odds.points_per_draw == Decimal("72.5")
    assert odds.goods_chance == Decimal("0.5")


def test_chances_are_exact_decimals_that_add_up_to_one():
    odds = implied_odds([prize("a", 1), prize("b", 1), prize("c", 1)])
    assert sum(p.chance for p in odds.prizes).quantize(Decimal("1E-20")) == 1
    assert odds.points_per_draw == 0


def test_a_table_of_zero_weights_has_no_odds():
    with pytest.raises(ValueError):
        implied_odds([prize("a", 0), prize("b", 0)])
