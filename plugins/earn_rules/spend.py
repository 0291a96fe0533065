"""Spend: points for a purchase, at a rate per 1.00 of the tenant's currency.

Rates are points per 100 minor units, so "1 point per 10 yuan" is a rate of 0.1. A
line's rate is its SKU's, else its category's, else the rule's. The total is rounded
once, then attributed to the purchase's lines so a partial refund takes back exactly
what the refunded lines earned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from marshmallow import Schema, fields, validate

from jifen.hookimpl import hookimpl
from jifen.i18n import N_, Message
from jifen.rules import Award, Context, EventView, MemberProfile, RuleType, attribute
from jifen.types import Pattern, RateField, StrictInteger, Text

ROUNDINGS = {"floor": ROUND_FLOOR, "round": ROUND_HALF_UP, "ceil": ROUND_CEILING}
# Wide enough that amount x rate, summed over an order's lines, is exact.
EXACT = 60


def decimal_text(number: Decimal) -> str:
    """1.50 as "1.5" and 10 as "10", never "1E+1"."""
    return format(number.normalize(), "f")


def money(minor: int) -> str:
    """Minor units as the major unit with two places: 12800 is "128.00"."""
    units, cents = divmod(abs(minor), 100)
    return f"{'-' if minor < 0 else ''}{units}.{cents:02d}"


def rate_reason(rate: Decimal, eligible: int, currency: str) -> Message:
    """ "1 point per 1.00 CNY on 128.00 CNY", or for a fractional rate "1 point per
    10.00 CNY on ...", else "1.5 points per 1.00 CNY on ..."."""
    params = {"amount": money(eligible), "currency": currency}
    per = Decimal(100) / rate if 0 < rate <= 1 else Decimal(0)
    if per and per == per.to_integral_value():
        return Message(
            N_("1 point per %(per)s %(currency)s on %(amount)s %(currency)s"),
            {"per": money(int(per)), **params},
        )
    return Message(
        N_("%(rate)s points per 1.00 %(currency)s on %(amount)s %(currency)s"),
        {"rate": decimal_text(rate), **params},
    )


def item_rates_reason(points: int, eligible: int, currency: str) -> Message:
    """ "12 points on 128.00 CNY at item rates" (lines earning at their own rates)."""
    params = {"points": points, "amount": money(eligible), "currency": currency}
    if points == 1:
        return Message(N_("1 point on %(amount)s %(currency)s at item rates"), params)
    return Message(N_("%(points)s points on %(amount)s %(currency)s at item rates"), params)


class SpendRule:
    name = "spend"
    title = N_("Points for spending")

    class Params(Schema):
        rate = RateField(
            load_default=Decimal(1),
            metadata={
                "description": 'Points per 1.00 spent; "1 point per 10.00" is "0.1".',
                "x-unit": "points per 1.00 of the currency",
                "example": "0.1",
            },
        )
        rounding = fields.String(
            validate=validate.OneOf(list(ROUNDINGS)),
            load_default="floor",
            metadata={
                "description": "How the order's points are rounded (round: half up).",
                "x-unit": "floor | round | ceil",
                "example": "round",
            },
        )
        minimum_spend = StrictInteger(
            load_default=0,
            metadata={
                "description": "An eligible amount below it earns nothing.",
                "x-unit": "minor units of the currency",
                "x-money": True,
                "example": 1000,
            },
        )
        category_rates = fields.Dict(
            keys=Text(min_length=1, max_length=128),
            values=RateField(),
            load_default=dict,
            validate=validate.Length(max=1000),
            metadata={
                "description": "Rates of purchase lines by category; they override the rate.",
                "x-unit": "points per 1.00 of the currency, by category",
                "example": {"digital": "0.5"},
            },
        )
        sku_rates = fields.Dict(
            keys=Text(min_length=1, max_length=128),
            values=RateField(),
            load_default=dict,
            validate=validate.Length(max=1000),
            metadata={
                "description": "Override category rates, which override the rate.",
                "x-unit": "points per 1.00 of the currency, by SKU",
                "example": {"SKU-1001": "2"},
            },
        )
        excluded_categories = fields.List(
            Text(min_length=1, max_length=128),
            load_default=list,
            validate=validate.Length(max=1000),
            metadata={
                "description": "Purchase lines of these categories earn nothing.",
                "x-unit": "categories",
                "example": ["gift-cards"],
            },
        )
        include_shipping = fields.Boolean(
            load_default=False,
            metadata={
                "description": "Whether shipping earns points, at the rule's rate.",
                "x-unit": "true | false",
                "example": True,
            },
        )
        currencies = fields.List(
            fields.String(validate=Pattern(r"^[A-Z]{3}$")),
            validate=validate.Length(min=1, max=50),
            load_default=None,
            metadata={
                "description": "Currencies that earn; default: the tenant's currency.",
                "x-unit": "ISO 4217 currency codes",
                "example": ["CNY", "HKD"],
            },
        )
        pending_days = StrictInteger(
            maximum=3650,
            load_default=0,
            metadata={
                "description": "Hold the points this many days (a return window).",
                "x-unit": "days",
                "example": 7,
            },
        )

    def phase(self, params: Mapping[str, Any]) -> str:
        return "earn"

    def evaluate(
        self, event: EventView, member: MemberProfile, params: Mapping[str, Any], ctx: Context
    ) -> list[Award]:
        if event.kind != "purchase":
            return []
        data = event.data
        currency = data.get("currency") or ctx.currency
        if currency not in (params["currencies"] or [ctx.currency]):
            return [
                Award(
                    0,
                    Message(N_("purchases in %(currency)s earn no points"), {"currency": currency}),
                )
            ]

        rate: Decimal = params["rate"]
        shipping = data.get("shipping") or 0
        shipping_counts = params["include_shipping"] and shipping > 0
        lines = data.get("lines") or []
        with localcontext(prec=EXACT):
            # Each weight is minor units x rate: points x 100.
            weights = [self._line_weight(line, params) for line in lines]
            if lines:
                eligible = sum(
                    line["amount"]
                    for line in lines
                    if line.get("category") not in params["excluded_categories"]
                )
                hundredfold = sum(weights, Decimal(0))
            else:
                eligible = data["amount"] - shipping
                hundredfold = eligible * rate
            if shipping_counts:
                eligible += shipping
                hundredfold += shipping * rate
            eligible = max(eligible, 0)
            if eligible < params["minimum_spend"]:
                return [
                    Award(
                        0,
                        Message(
                            N_(
                                "minimum spend %(minimum)s %(currency)s not reached"
                                " (%(spent)s %(currency)s)"
                            ),
                            {
                                "minimum": money(params["minimum_spend"]),
                                "spent": money(eligible),
                                "currency": currency,
                            },
                        ),
                    )
                ]
            raw = max(hundredfold, Decimal(0)) / 100
            points = int(raw.to_integral_value(rounding=ROUNDINGS[params["rounding"]]))

        uniform = all(
            self._line_rate(line, params) == rate
            for line in lines
            if line.get("category") not in params["excluded_categories"]
        )
        if uniform:
            reason = rate_reason(rate, eligible, currency)
        else:
            reason = item_rates_reason(points, eligible, currency)
        pending_until = None
        if params["pending_days"]:
            release = event.occurred_at + timedelta(days=params["pending_days"])
            pending_until = release if release > ctx.now else None
        return [
            Award(
                points,
                reason,
                multipliable=True,
                pending_until=pending_until,
                lines=self._attribution(points, lines, weights) if lines else None,
            )
        ]

    @staticmethod
    def _attribution(
        points: int, lines: Sequence[Mapping[str, Any]], weights: Sequence[Decimal]
    ) -> dict[int, int]:
        if not any(weights):
            # Only shipping earned (every line excluded): spread it by what lines cost.
            weights = [Decimal(line["amount"]) for line in lines]
        return attribute(points, weights)

    @staticmethod
    def _line_rate(line: Mapping[str, Any], params: Mapping[str, Any]) -> Decimal:
        category = line.get("category")
        rate: Decimal = params["sku_rates"].get(
            line.get("sku"), params["category_rates"].get(category, params["rate"])
        )
        return rate

    def _line_weight(self, line: Mapping[str, Any], params: Mapping[str, Any]) -> Decimal:
        if line.get("category") in params["excluded_categories"]:
            return Decimal(0)
        weight: Decimal = line["amount"] * self._line_rate(line, params)
        return max(weight, Decimal(0))


@hookimpl
def register_earn_rules() -> list[RuleType]:
    return [SpendRule()]
