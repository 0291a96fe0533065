"""Tier multiplier: a member's tier scales the multipliable points earned so far."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from marshmallow import Schema, fields, validate

from jifen.hookimpl import hookimpl
from jifen.i18n import N_, Message
from jifen.rules import Award, Context, EventView, MemberProfile, RuleType
from jifen.types import RateField, Text
from jifen_plugins.earn_rules.spend import decimal_text


def extra_points(base: int, multiplier: Decimal) -> int:
    """What multiplying `base` adds, rounded down: 1.5x on 101 adds 50."""
    return int((base * multiplier).to_integral_value(rounding=ROUND_FLOOR)) - base


class TierMultiplierRule:
    name = "tier_multiplier"
    title = N_("Tier multiplier")

    class Params(Schema):
        rates = fields.Dict(
            keys=Text(min_length=1, max_length=64),
            values=RateField(minimum=Decimal(1)),
            validate=validate.Length(max=100),
            load_default=None,
            metadata={
                "description": "Multiplier by tier code; a tier not listed uses the "
                "multiplier set on the tier itself.",
                "x-unit": "times the points earned, by tier code",
                "example": {"gold": "1.5", "platinum": "2"},
            },
        )

    def phase(self, params: Mapping[str, Any]) -> str:
        return "multiply"

    def evaluate(
        self, event: EventView, member: MemberProfile, params: Mapping[str, Any], ctx: Context
    ) -> list[Award]:
        rates = params["rates"] or {}
        multiplier = rates.get(member.tier) if member.tier in rates else member.tier_multiplier
        if multiplier is None or multiplier <= 1:
            return []
        base = ctx.multipliable()
        if base <= 0:
            return []
        extra = extra_points(base, multiplier)
        if extra <= 0:
            return []
        times = decimal_text(multiplier)
        tier = member.tier_name or member.tier
        reason = (
            Message(N_("%(tier)s tier %(multiplier)sx"), {"tier": tier, "multiplier": times})
            if tier
            else Message(N_("member tier %(multiplier)sx"), {"multiplier": times})
        )
        return [Award(extra, reason, multipliable=True)]


@hookimpl
def register_earn_rules() -> list[RuleType]:
    return [TierMultiplierRule()]
