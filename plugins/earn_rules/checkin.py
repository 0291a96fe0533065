"""Daily check-in: points for checking in, and bonuses on the days of a streak.

A streak counts consecutive check-in days; `missed_days_allowed` forgives short gaps,
and `cycle_days` makes it start over (a weekly calendar of bonuses is a 7-day cycle).
The rule is where a streak is counted, since its parameters define it (with
`next_streak`); the platform stores each check-in's streak from its awards'
`data["streak"]`, which is why a check-in that earns nothing still returns a 0-point
award.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from jifen.hookimpl import hookimpl
from jifen.i18n import N_, Message
from jifen.rules import (
    Award,
    Context,
    EventView,
    MemberProfile,
    Offer,
    RuleType,
    next_streak,
)
from jifen.types import StrictInteger


class StreakBonus(Schema):
    day = StrictInteger(
        minimum=1,
        maximum=3660,
        required=True,
        metadata={
            "description": "The day of the streak that earns the bonus.",
            "x-unit": "days",
            "example": 7,
        },
    )
    points = StrictInteger(
        minimum=1,
        required=True,
        metadata={"description": "The bonus.", "x-unit": "points", "example": 50},
    )


class CheckinRule:
    name = "checkin"
    title = N_("Daily check-in")

    class Params(Schema):
        points = StrictInteger(
            load_default=10,
            metadata={"description": "Every check-in.", "x-unit": "points", "example": 10},
        )
        streak_bonuses = fields.List(
            fields.Nested(StreakBonus),
            load_default=list,
            validate=validate.Length(max=100),
            metadata={
                "description": "Extra points on reaching a streak's day.",
                "x-unit": "bonuses (day, points)",
                "example": [{"day": 7, "points": 50}],
            },
        )
        cycle_days = StrictInteger(
            maximum=3660,
            load_default=0,
            metadata={
                "description": "After this day the streak starts again; 0: never.",
                "x-unit": "days",
                "example": 7,
            },
        )
        missed_days_allowed = StrictInteger(
            maximum=365,
            load_default=0,
            metadata={
                "description": "Days a member may miss without losing the streak.",
                "x-unit": "days",
                "example": 1,
            },
        )

        @validates_schema
        def _bonus_days(self, data: dict[str, Any], **_kwargs: object) -> None:
            days = [bonus["day"] for bonus in data.get("streak_bonuses", [])]
            if len(set(days)) != len(days):
                raise ValidationError(N_("Each day may have one bonus."), "streak_bonuses")
            cycle = data.get("cycle_days", 0)
            if cycle and any(day > cycle for day in days):
                raise ValidationError(
                    Message(
                        N_(
                            "A streak restarts after day %(cycle)s: a later bonus is never reached."
                        ),
                        {"cycle": cycle},
                    ),
                    "streak_bonuses",
                )

    def phase(self, params: Mapping[str, Any]) -> str:
        return "earn"

    def offer(self, params: Mapping[str, Any]) -> Offer:
        label = Message(N_("Check in every day"))
        return Offer(label, params["points"], "checkin", limit=1, period="day")

    def evaluate(
        self, event: EventView, member: MemberProfile, params: Mapping[str, Any], ctx: Context
    ) -> list[Award]:
        if event.kind != "checkin":
            return []
        streak = next_streak(
            ctx.last_checkin(),
            ctx.local_date,
            missed_days_allowed=params["missed_days_allowed"],
            cycle_days=params["cycle_days"],
        )
        data = {"streak": streak}
        awards = []
        daily = Message(N_("daily check-in, day %(streak)s"), {"streak": streak})
        if params["points"]:
            awards.append(Award(params["points"], daily, data=data))
        for bonus in params["streak_bonuses"]:
            if bonus["day"] == streak:
                streaked = Message(N_("%(streak)s-day check-in streak"), {"streak": streak})
                awards.append(Award(bonus["points"], streaked, data=data))
        return awards or [Award(0, daily, data=data)]


@hookimpl
def register_earn_rules() -> list[RuleType]:
    return [CheckinRule()]
