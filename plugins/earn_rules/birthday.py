"""Birthday: points once a year, on the member's birthday or in its month.

A daily job emits `birthday` events; the rule decides whether today counts. A birthday
on 29 February is celebrated on 28 February in other years.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from typing import Any

from marshmallow import Schema, fields, validate

from jifen.hookimpl import hookimpl
from jifen.i18n import N_, Message
from jifen.rules import Award, Context, EventView, MemberProfile, RuleType
from jifen.types import StrictInteger


def is_birthday(birthday: date, day: date) -> bool:
    if (birthday.month, birthday.day) == (day.month, day.day):
        return True
    leap_day = (birthday.month, birthday.day) == (2, 29)
    return leap_day and (day.month, day.day) == (2, 28) and not calendar.isleap(day.year)


class BirthdayRule:
    name = "birthday"
    title = N_("Birthday gift")

    class Params(Schema):
        points = StrictInteger(
            minimum=1,
            required=True,
            metadata={"description": "Given once a year.", "x-unit": "points", "example": 88},
        )
        when = fields.String(
            validate=validate.OneOf(["day", "month"]),
            load_default="day",
            metadata={
                "description": "On the birthday itself, or any day of its month.",
                "x-unit": "day | month",
                "example": "month",
            },
        )

    def phase(self, params: Mapping[str, Any]) -> str:
        return "earn"

    def evaluate(
        self, event: EventView, member: MemberProfile, params: Mapping[str, Any], ctx: Context
    ) -> list[Award]:
        birthday = member.birthday
        if event.kind != "birthday" or birthday is None:
            return []
        if params["when"] == "day":
            today = is_birthday(birthday, ctx.local_date)
        else:
            today = birthday.month == ctx.local_date.month
        if not today or ctx.times(ctx.rule.id, "year") > 0:
            return []
        return [Award(params["points"], Message(N_("happy birthday")))]


@hookimpl
def register_earn_rules() -> list[RuleType]:
    return [BirthdayRule()]
