"""Points plus cash (积分+现金): e.g. 2,000 points + 300.00 yuan. The points are held
and the order awaits payment while the member pays the cash part through the merchant's
payment provider; they are spent when the payment succeeds and released when it fails
or times out."""

from __future__ import annotations

from dataclasses import replace

from marshmallow import Schema

from jifen.hookimpl import hookimpl
from jifen.mall import Item, Price, RedeemMode, Shopper, Till, points_price


class PointsCashMode:
    name = "points_cash"
    title = "Points plus cash"
    takes_cash = True

    class Params(Schema):
        """No settings: the product's points and cash prices are the price."""

    def quote(self, item: Item, shopper: Shopper, quantity: int) -> Price:
        assert item.cash_price is not None and item.currency is not None
        price = points_price(item, shopper, quantity)
        return replace(price, cash=item.cash_price * quantity, currency=item.currency)

    def redeem(self, item: Item, shopper: Shopper, quantity: int, price: Price, till: Till) -> str:
        if price.points:
            till.reserve(price.points)
        till.take_stock(quantity)
        assert price.currency is not None
        till.charge(price.cash, price.currency)
        return "awaiting_payment"

    def refund(self, item: Item, quantity: int, till: Till) -> None:
        till.give_back()
        till.return_stock(quantity)


@hookimpl
def register_redeem_modes() -> list[RedeemMode]:
    return [PointsCashMode()]
