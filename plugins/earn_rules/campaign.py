"""Campaigns: promotions on chosen days — a points multiplier ("2x member day"), a fixed
bonus, or a spend threshold ("spend 500.00 get 100").

A campaign runs on the days its schedule names: given dates, ISO weekdays (1 is Monday)
or days of the month, in the tenant's time zone. A day matching any of the lists counts;
without lists every day does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from jifen.hookimpl import hookimpl
from jifen.i18n import N_, Message
from jifen.rules import Award, Context, EventView, MemberProfile, RuleType
from jifen.types import RateField, StrictInteger, Text
from jifen_plugins.earn_rules.spend import decimal_text, money
from jifen_plugins.earn_rules.tier_multiplier import extra_points

KINDS = ("multiplier", "bonus", "threshold")
# A threshold campaign's reason, by (labelled, reached more than once).
THRESHOLD_REASONS = {
    (False, False): N_("spend %(threshold)s get %(points)s"),
    (False, True): N_("spend %(threshold)s get %(points)s, %(times)s times"),
    (True, False): N_("%(label)s: spend %(threshold)s get %(points)s"),
    (True, True): N_("%(label)s: spend %(threshold)s get %(points)s, %(times)s times"),
}


def scheduled(params: Mapping[str, Any], day: date) -> bool:
    """Whether the campaign runs on the tenant's local `day`."""
    dates, weekdays, month_days = params["dates"], params["weekdays"], params["month_days"]
    if not (dates or weekdays or month_days):
        return True
    return day in dates or day.isoweekday() in weekdays or day.day in month_days


class CampaignRule:
    name = "campaign"
    title = N_("Campaign")

    class Params(Schema):
        kind = fields.String(
            validate=validate.OneOf(KINDS),
            required=True,
            metadata={
                "description": "multiplier: multiplies the points earned so far; bonus: fixed"
                " points per event; threshold: points for spending at least `threshold`.",
                "x-unit": "multiplier | bonus | threshold",
                "example": "multiplier",
            },
        )
        multiplier = RateField(
            minimum=Decimal(1),
            min_inclusive=False,
            load_default=None,
            metadata={
                "description": "Multiplier campaigns: e.g. 2 for double points.",
                "x-unit": "times the points earned",
                "example": "2",
            },
        )
        points = StrictInteger(
            minimum=1,
            load_default=None,
            metadata={
                "description": "Bonus and threshold campaigns: the points given.",
                "x-unit": "points",
                "example": 50,
            },
        )
        threshold = StrictInteger(
            minimum=1,
            load_default=None,
            metadata={
                "description": "Threshold campaigns: the spend that earns the points"
                " (shipping not counted).",
                "x-unit": "minor units of the currency",
                "x-money": True,
                "example": 50000,
            },
        )
        per_multiple = fields.Boolean(
            load_default=False,
            metadata={
                "description": "Threshold campaigns: pay for every full multiple.",
                "x-unit": "true | false",
                "example": True,
            },
        )
        events = fields.List(
            Text(min_length=1, max_length=64),
            validate=validate.Length(min=1, max=50),
            load_default=lambda: ["purchase"],
            metadata={
                "description": "The event kinds it applies to.",
                "x-unit": "event kinds",
                "example": ["purchase", "checkin"],
            },
        )
        dates = fields.List(
            fields.Date(),
            validate=validate.Length(max=366),
            load_default=list,
            metadata={
                "description": "Local days it runs on; with no dates, weekdays or month_days,"
                " every day.",
                "x-unit": "dates (YYYY-MM-DD)",
                "example": ["2026-11-11"],
            },
        )
        weekdays = fields.List(
            StrictInteger(minimum=1, maximum=7),
            validate=validate.Length(max=7),
            load_default=list,
            metadata={
                "description": "Days of the week it runs on.",
                "x-unit": "ISO weekdays (1: Monday ... 7: Sunday)",
                "example": [6, 7],
            },
        )
        month_days = fields.List(
            StrictInteger(minimum=1, maximum=31),
            validate=validate.Length(max=31),
            load_default=list,
            metadata={
                "description": "Days of the month it runs on (a member day).",
                "x-unit": "days of the month",
                "example": [8, 18, 28],
            },
        )
        label = Text(
            min_length=1,
            max_length=100,
            load_default=None,
            metadata={
                "description": "Shown in the reason, as written.",
                "x-unit": "text",
                "example": "member day",
            },
        )

        @validates_schema
        def _kind_settings(self, data: dict[str, Any], **_kwargs: object) -> None:
            kind = data.get("kind")
            needs = {
                "multiplier": kind == "multiplier",
                "points": kind in ("bonus", "threshold"),
                "threshold": kind == "threshold",
            }
            errors: dict[str, list[str]] = {}
            for name, needed in needs.items():
                if needed and data.get(name) is None:
                    errors[name] = [Message(N_("Required for %(kind)s campaigns."), {"kind": kind})]
                elif not needed and data.get(name) is not None:
                    errors[name] = [Message(N_("Not used by %(kind)s campaigns."), {"kind": kind})]
            if data.get("per_multiple") and kind != "threshold":
                errors["per_multiple"] = [Message(N_("Only for threshold campaigns."))]
            if kind == "threshold" and data.get("events", ["purchase"]) != ["purchase"]:
                errors["events"] = [Message(N_("Threshold campaigns count purchases only."))]
            if errors:
                raise ValidationError(errors)

    def phase(self, params: Mapping[str, Any]) -> str:
        return "multiply" if params["kind"] == "multiplier" else "bonus"

    def evaluate(
        self, event: EventView, member: MemberProfile, params: Mapping[str, Any], ctx: Context
    ) -> list[Award]:
        if event.kind not in params["events"] or not scheduled(params, ctx.local_date):
            return []
        label = params["label"]
        if params["kind"] == "multiplier":
            base = ctx.multipliable()
            multiplier: Decimal = params["multiplier"]
            extra = extra_points(base, multiplier) if base > 0 else 0
            if extra <= 0:
                return []
            times = {"multiplier": decimal_text(multiplier), "label": label}
            reason = (
                Message(N_("%(multiplier)sx %(label)s"), times)
                if label
                else Message(N_("%(multiplier)sx points"), times)
            )
            return [Award(extra, reason, multipliable=True)]
        if params["kind"] == "bonus":
            bonus = Message(N_("%(label)s"), {"label": label}) if label else None
            return [Award(params["points"], bonus or Message(N_("campaign bonus")))]
        return self._threshold(event, params, ctx)

    @staticmethod
    def _threshold(event: EventView, params: Mapping[str, Any], ctx: Context) -> list[Award]:
        data = event.data
        if (data.get("currency") or ctx.currency) != ctx.currency:
            return []
        spent = data.get("amount", 0) - (data.get("shipping") or 0)
        threshold, points = params["threshold"], params["points"]
        times = spent // threshold if params["per_multiple"] else int(spent >= threshold)
        if times <= 0:
            return []
        label = params["label"]
        reasons = THRESHOLD_REASONS[bool(label), times > 1]
        values = {"threshold": money(threshold), "points": points, "times": times}
        return [Award(points * times, Message(reasons, values | {"label": label}))]


@hookimpl
def register_earn_rules() -> list[RuleType]:
    return [CampaignRule()]
