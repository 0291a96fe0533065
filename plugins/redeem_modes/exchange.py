"""Exchange: an item for points alone (纯积分兑换), at its points price less the
member's tier discount."""

from __future__ import annotations

from marshmallow import Schema

from jifen.hookimpl import hookimpl
from jifen.mall import Item, Price, RedeemMode, Shopper, Till, points_price


class ExchangeMode:
    name = "exchange"
    title = "Points exchange"
    takes_cash = False

    class Params(Schema):
        """No settings: the product's points price is the price."""

    def quote(self, item: Item, shopper: Shopper, quantity: int) -> Price:
        return points_price(item, shopper, quantity)

    def redeem(self, item: Item, shopper: Shopper, quantity: int, price: Price, till: Till) -> str:
        if price.points:
            till.spend(price.points)
        till.take_stock(quantity)
        return "paid"

    def refund(self, item: Item, quantity: int, till: Till) -> None:
        till.give_back()
        till.return_stock(quantity)


@hookimpl
def register_redeem_modes() -> list[RedeemMode]:
    return [ExchangeMode()]
