"""Co-branded items (联名商品): exchanged for points like any item, and funded in part
by a partner brand. Each redemption uses the partner's cost share from its budget and
records the partner on the order for settlement; a refund gives back what it used."""

from __future__ import annotations

import uuid

from marshmallow import Schema, fields

from jifen.hookimpl import hookimpl
from jifen.mall import Budgets, Item, Price, RedeemMode, Shopper, Till
from jifen.types import StrictInteger
from jifen_plugins.redeem_modes.exchange import ExchangeMode


class CoBrandedMode:
    name = "co_branded"
    title = "Co-branded (partner-funded)"
    takes_cash = False

    class Params(Schema):
        partner_id = fields.UUID(required=True, metadata={"description": "See /partners."})
        cost_share = StrictInteger(
            required=True,
            metadata={"description": "What the partner pays per unit, in its minor units."},
        )

    def quote(self, item: Item, shopper: Shopper, quantity: int) -> Price:
        return ExchangeMode().quote(item, shopper, quantity)

    def redeem(self, item: Item, shopper: Shopper, quantity: int, price: Price, till: Till) -> str:
        status = ExchangeMode().redeem(item, shopper, quantity, price, till)
        if item.params["cost_share"]:
            budgets: Budgets = till.service("partners")
            funded = budgets.use(item.params["partner_id"], item.params["cost_share"] * quantity)
            till.record(partner=funded)  # for settlement with the partner
        return status

    def refund(self, item: Item, quantity: int, till: Till) -> None:
        ExchangeMode().refund(item, quantity, till)
        funded = till.recorded.get("partner")
        if funded:
            till.service("partners").give_back(uuid.UUID(funded["id"]), funded["funded"])


@hookimpl
def register_redeem_modes() -> list[RedeemMode]:
    return [CoBrandedMode()]
