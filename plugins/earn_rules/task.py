"""Tasks: fixed points for something a member did, a limited number of times.

One rule type covers registering, completing a profile, sharing, reviewing and the
merchant's own tasks: an instance listens to one event kind (and, for `task` events,
one task code) and pays at most `limit` times per `period`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from jifen.hookimpl import hookimpl
from jifen.i18n import N_, Message
from jifen.rules import PERIODS, Award, Context, EventView, MemberProfile, Offer, RuleType
from jifen.types import StrictInteger, Text

# The reason a task gives once its limit is reached, by the limit's period (None: ever).
LIMIT_REASONS = {
    None: N_("%(label)s: limit of %(limit)s reached"),
    "day": N_("%(label)s: daily limit of %(limit)s reached"),
    "week": N_("%(label)s: weekly limit of %(limit)s reached"),
    "month": N_("%(label)s: monthly limit of %(limit)s reached"),
    "year": N_("%(label)s: yearly limit of %(limit)s reached"),
}


class TaskRule:
    name = "task"
    title = N_("Task reward")

    class Params(Schema):
        event = Text(
            min_length=1,
            max_length=64,
            load_default="task",
            metadata={
                "description": "The event kind it rewards.",
                "x-unit": "event kind",
                "example": "registered",
            },
        )
        task = Text(
            min_length=1,
            max_length=64,
            load_default=None,
            metadata={
                "description": 'The task code; required for "task" events.',
                "x-unit": "task code",
                "example": "share",
            },
        )
        points = StrictInteger(
            minimum=1,
            required=True,
            metadata={"description": "Each time it rewards.", "x-unit": "points", "example": 20},
        )
        limit = StrictInteger(
            minimum=1,
            load_default=1,
            metadata={
                "description": "Rewarded events per member in the period.",
                "x-unit": "events",
                "example": 3,
            },
        )
        period = fields.String(
            validate=validate.OneOf(PERIODS),
            load_default=None,
            metadata={
                "description": "The limit's period; none: the limit is for ever.",
                "x-unit": "day | week | month | year",
                "example": "day",
            },
        )
        title = Text(
            min_length=1,
            max_length=100,
            load_default=None,
            metadata={
                "description": "Shown as the reason; default: the task code or event kind.",
                "x-unit": "text",
                "example": "shared a product",
            },
        )

        @validates_schema
        def _task_events_name_the_task(self, data: dict[str, Any], **_kwargs: object) -> None:
            if data.get("event", "task") == "task" and not data.get("task"):
                raise ValidationError(N_('Required for "task" events.'), "task")

    def phase(self, params: Mapping[str, Any]) -> str:
        return "earn"

    def offer(self, params: Mapping[str, Any]) -> Offer:
        return Offer(
            label=_label(params),
            points=params["points"],
            event=params["event"],
            limit=params["limit"],
            period=params["period"],
        )

    def evaluate(
        self, event: EventView, member: MemberProfile, params: Mapping[str, Any], ctx: Context
    ) -> list[Award]:
        if event.kind != params["event"]:
            return []
        if params["task"] is not None and event.data.get("task") != params["task"]:
            return []
        label = _label(params)
        limit, period = params["limit"], params["period"]
        if ctx.times(ctx.rule.id, period) >= limit:
            reason = Message(LIMIT_REASONS[period], {"label": label, "limit": limit})
            return [Award(0, reason)]
        return [Award(params["points"], Message(N_("%(label)s"), {"label": label}))]


def _label(params: Mapping[str, Any]) -> str:
    """What the merchant calls the task: its title, else its code or event kind."""
    return str(params["title"] or params["task"] or params["event"])


@hookimpl
def register_earn_rules() -> list[RuleType]:
    return [TaskRule()]
