"""Lottery (积分抽奖): a draw costs the product's points price; the prize comes from a
weighted table with per-prize stock and a consolation prize, and every draw can be
recomputed by anyone once the period's seed is revealed (see `jifen.mall.lottery`).

A prize may credit points at once (`points`) and may be the product itself
(`goods`): shipped for a physical product, issued for a coupon, a service or a virtual
product's code. An order is one draw. The product's stock is what it has left to give
as a prize, taken only when it is won (a goods prize whose product ran out yields the
consolation prize), so a wheel is drawn whatever its stock, and a physical wheel asks
for an address only when its product is won (`delivery_drawn`).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from jifen.errors import ValidationFailed
from jifen.hookimpl import hookimpl
from jifen.i18n import N_, Message
from jifen.mall import Draws, Item, Price, RedeemMode, Shopper, Till, points_price
from jifen.types import StrictInteger, Text

MAX_PRIZES = 50


class Prize(Schema):
    code = Text(required=True, min_length=1, max_length=32)
    name = Text(required=True, min_length=1, max_length=100)
    weight = StrictInteger(required=True, maximum=10**9)
    stock = StrictInteger(load_default=None, allow_none=True)
    points = StrictInteger(load_default=0, maximum=10**9)
    goods = fields.Boolean(load_default=False)


class LotteryMode:
    name = "lottery"
    title = "Lottery draw"
    takes_cash = False
    delivery_drawn = True

    class Params(Schema):
        prizes = fields.List(
            fields.Nested(Prize), required=True, validate=validate.Length(min=2, max=MAX_PRIZES)
        )
        consolation = Text(
            required=True,
            min_length=1,
            max_length=32,
            metadata={"description": "The code of the prize given when a drawn one ran out."},
        )
        period = fields.String(validate=validate.OneOf(["day", "week"]), load_default="day")

        @validates_schema
        def _a_table_that_can_be_drawn(self, data: dict[str, Any], **_kwargs: object) -> None:
            codes = [prize["code"] for prize in data["prizes"]]
            if len(set(codes)) != len(codes):
                raise ValidationError(N_("Prize codes must be unique."), "prizes")
            if sum(prize["weight"] for prize in data["prizes"]) <= 0:
                raise ValidationError(N_("At least one prize needs a weight."), "prizes")
            consolation = next(
                (p for p in data["prizes"] if p["code"] == data["consolation"]), None
            )
            if consolation is None:
                raise ValidationError(N_("Must be the code of one of the prizes."), "consolation")
            if consolation["stock"] is not None or consolation["goods"]:
                raise ValidationError(
                    N_("The consolation prize can never run out: no stock, no goods."),
                    "consolation",
                )

    def quote(self, item: Item, shopper: Shopper, quantity: int) -> Price:
        if quantity != 1:
            raise ValidationFailed(
                details={"quantity": [Message(N_("A lottery order is one draw."))]}
            )
        return points_price(item, shopper, 1)

    def redeem(self, item: Item, shopper: Shopper, quantity: int, price: Price, till: Till) -> str:
        if price.points:
            till.spend(price.points)
        prizes = item.params["prizes"]
        draws: Draws = till.service("lottery")
        drawn = draws.draw([prize["weight"] for prize in prizes], item.params["period"])
        picked = prizes[drawn.index]
        given = picked
        if not draws.take_prize(picked["code"], picked["stock"]):  # it ran out
            given = next(p for p in prizes if p["code"] == item.params["consolation"])
            draws.take_prize(given["code"], None)
        elif picked["goods"] and not till.take_stock_if_left(1):  # the product ran out
            draws.return_prize(picked["code"])
            given = next(p for p in prizes if p["code"] == item.params["consolation"])
            draws.take_prize(given["code"], None)
        draws.record(drawn, picked=picked["code"], given=given["code"])
        till.record(
            draw={
                "period": drawn.period,
                "n": drawn.n,
                "seed_hash": drawn.seed_hash,
                "drawn": picked["code"],
                "prize": given["code"],
            }
        )
        if given["points"]:
            prize = Message(N_("lottery prize: %(prize)s"), {"prize": given["name"]})
            till.award(given["points"], prize)
        till.record(
            prize={k: given[k] for k in ("code", "name", "points", "goods")},
            stock_taken=given["goods"],
        )
        return "paid" if given["goods"] else "completed"

    def refund(self, item: Item, quantity: int, till: Till) -> None:
        till.give_back()
        drawn = till.recorded.get("draw")
        if drawn:  # the prize goes back; the draw itself stays on record
            till.service("lottery").return_prize(drawn["prize"])
        # Draws recorded before `stock_taken` took a unit each, whatever they gave.
        if till.recorded.get("stock_taken", True):
            till.return_stock(1)


@hookimpl
def register_redeem_modes() -> list[RedeemMode]:
    return [LotteryMode()]
