"""Caps: at most `limit` points a member may earn per period, from all rules or some.

A cap runs last and trims with a negative award: with a daily cap of 60 and 20 already
granted today, an event that earned 50 keeps 40.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, validate

from jifen.hookimpl import hookimpl
from jifen.i18n import N_, Message
from jifen.rules import PERIODS, Award, Context, EventView, MemberProfile, RuleType
from jifen.types import StrictInteger

# The reason a cap gives, by its period.
REASONS = {
    "day": N_("daily cap of %(limit)s reached: %(allowed)s of %(earned)s granted"),
    "week": N_("weekly cap of %(limit)s reached: %(allowed)s of %(earned)s granted"),
    "month": N_("monthly cap of %(limit)s reached: %(allowed)s of %(earned)s granted"),
    "year": N_("yearly cap of %(limit)s reached: %(allowed)s of %(earned)s granted"),
}


def in_scope(award: Award, scope: frozenset[uuid.UUID]) -> bool:
    """Whether a cap limiting the `scope` rules counts `award` (an empty scope: all).

    Another cap's trim counts when it trimmed only rules in this scope, so two caps on
    the same rules do not both take back the same excess.
    """
    if not scope:
        return True
    if award.rule is not None and award.rule.id in scope:
        return True
    trimmed: list[str] = award.data.get("cap_scope") or []
    return award.points < 0 and bool(trimmed) and {uuid.UUID(i) for i in trimmed} <= scope


class CapRule:
    name = "caps"
    title = N_("Earning cap")

    class Params(Schema):
        period = fields.String(
            validate=validate.OneOf(PERIODS),
            required=True,
            metadata={
                "description": "The local calendar period the limit is for.",
                "x-unit": "day | week | month | year",
                "example": "day",
            },
        )
        limit = StrictInteger(
            required=True,
            metadata={
                "description": "The most a member earns in the period from the rules it"
                " limits; the excess is trimmed.",
                "x-unit": "points",
                "example": 5000,
            },
        )
        rules = fields.List(
            fields.UUID(),
            validate=validate.Length(max=100),
            load_default=list,
            metadata={
                "description": "The rule instances it limits; none: every rule.",
                "x-unit": "rule ids",
                "example": ["01890a5d-ac96-774b-bcce-b302099a8057"],
            },
        )

    def phase(self, params: Mapping[str, Any]) -> str:
        return "cap"

    def rule_ids(self, params: Mapping[str, Any]) -> list[uuid.UUID]:
        return list(params["rules"])

    def history_periods(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        return (params["period"],)

    def evaluate(
        self, event: EventView, member: MemberProfile, params: Mapping[str, Any], ctx: Context
    ) -> list[Award]:
        rules = list(dict.fromkeys(params["rules"]))
        scope = frozenset(rules)
        period, limit = params["period"], params["limit"]
        earned: dict[uuid.UUID, int] = {}
        for award in ctx.awards:
            member_id = award.member_id or event.member_id
            total = earned.setdefault(member_id, 0)
            if in_scope(award, scope):
                earned[member_id] = total + award.points
        data = {"cap_scope": [str(rule) for rule in rules]} if rules else {}
        trims = []
        for member_id, this in earned.items():
            already = ctx.granted(period, member_id=member_id, rule_ids=rules or None)
            allowed = max(0, limit - already)
            if this > allowed:
                reason = Message(
                    REASONS[period], {"limit": limit, "allowed": allowed, "earned": this}
                )
                trims.append(Award(-(this - allowed), reason, member_id=member_id, data=data))
        return trims


@hookimpl
def register_earn_rules() -> list[RuleType]:
    return [CapRule()]
