"""The earn engine's API shapes: events in, results out; rules and their versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from jifen.i18n import N_, Message
from jifen.pagination import PageQuery, page_schema
from jifen.rules.models import RULE_STATUSES
from jifen.types import Instant, JsonObject, Pattern, StrictInteger, Text

KIND = Pattern(r"^[a-z][a-z0-9_]{0,31}$", error=N_("Lower-case letters, digits and _."))


class EventIn(Schema):
    """An event. `id` is the merchant's own id for it (an order id for a purchase), unique
    per kind: a repeat with the same content replays the first result."""

    id = Text(max_length=128, min_length=1, required=True)
    kind = fields.String(required=True, validate=KIND)
    member_id = fields.UUID(load_default=None)
    external_id = Text(max_length=128, min_length=1, load_default=None)
    occurred_at = Instant(load_default=None)
    data = JsonObject(
        load_default=dict,
        metadata={
            "description": "The kind's payload. purchase: amount, currency, shipping, lines"
            " [{sku, category, amount, quantity}], store, channel, paid_at. refund:"
            " order_id and amount or lines [{index, amount}]. task: task. referral:"
            " inviter_id or inviter_external_id, stage (registered | first_purchase)."
        },
    )

    @validates_schema
    def _one_member(self, data: dict[str, Any], **_: Any) -> None:
        if (data["member_id"] is None) == (data["external_id"] is None):
            raise ValidationError(N_("Give either member_id or external_id."), "member_id")


class EventBatch(Schema):
    events = fields.List(
        fields.Dict(),
        required=True,
        validate=validate.Length(min=1, max=10_000),
        metadata={"description": "Up to 10,000 events, each as for POST /events."},
    )


class Posting(Schema):
    member_id = fields.String()
    points = fields.Integer()
    entry_id = fields.String(allow_none=True)
    hold_id = fields.String(allow_none=True)
    pending_until = fields.String(allow_none=True)
    repaid_debt = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Of `points`, what repaid the member's debt instead of reaching"
            " the balance (0 without debt). Null while pending: a pending earn repays debt"
            " when it is captured."
        },
    )
    incurred_debt = fields.Integer(
        metadata={
            "description": "A refund's clawback: of the points taken back, those the member"
            " had already spent and now owes (points policy shortfall `debt`)."
        }
    )
    absorbed = fields.Integer(
        metadata={
            "description": "A refund's clawback: of the points taken back, those the member"
            " had already spent and the merchant carries (shortfall `absorb`)."
        }
    )
    lapsed = fields.Integer(
        metadata={
            "description": "A refund's clawback: of the points taken back, those that had"
            " expired unused. The rest of `points` came from the member's balance."
        }
    )


class AwardOut(Schema):
    rule_id = fields.String(allow_none=True)
    rule_name = fields.String(allow_none=True)
    rule_type = fields.String(allow_none=True)
    phase = fields.String()
    member_id = fields.String()
    points = fields.Integer()
    reason = fields.Method(
        "_reason",
        metadata={
            "type": "string",
            "description": "Why, in the reader's language (`Accept-Language`, else the"
            " merchant's locale); awards recorded before reasons were translated keep"
            " their English text.",
        },
    )
    arm = fields.String(allow_none=True)

    @staticmethod
    def _reason(award: Mapping[str, Any]) -> str:
        """The stored award's message rendered now; an older award's stored text."""
        message = award.get("message")
        return Message.read(message).translated() if message else str(award["reason"])


class EventResult(Schema):
    """What an event earned: every award with its rule and reason, and what was posted
    (an entry, or a pending hold during a return window). The awards sum to `points`."""

    id = fields.String()
    event_id = fields.String()
    kind = fields.String()
    member_id = fields.String()
    occurred_at = fields.String()
    points = fields.Integer()
    status = fields.String(metadata={"description": "posted | pending | none"})
    postings = fields.List(fields.Nested(Posting))
    awards = fields.List(fields.Nested(AwardOut))
    notes = fields.List(fields.String())


class EventOutcome(EventResult):
    """An event read back: its result as first answered, and the events that followed
    from it since, each with its own awards."""

    later_events = fields.List(
        fields.Nested(EventResult),
        metadata={
            "description": "Events recorded because of this one, oldest first: a"
            " purchase's refunds (which take its points back) and, for a referred member's"
            " first purchase, the referral stage it reached; for a referral, its"
            " first-purchase stage, which pays the inviter."
        },
    )


class ErrorOut(Schema):
    code = fields.String()
    message = fields.String()
    details = fields.Raw()


class BatchItem(Schema):
    index = fields.Integer()
    status = fields.String(metadata={"description": "recorded | replayed | failed"})
    result = fields.Nested(EventResult, allow_none=True)
    error = fields.Nested(ErrorOut, allow_none=True)


class BatchResult(Schema):
    recorded = fields.Integer()
    replayed = fields.Integer()
    failed = fields.Integer()
    items = fields.List(fields.Nested(BatchItem))


class EventKindIn(Schema):
    kind = fields.String(required=True, validate=KIND)
    title = Text(max_length=100, min_length=1, required=True)


class EventKindOut(Schema):
    kind = fields.String()
    title = fields.String()
    built_in = fields.Boolean()


EventKindPage = page_schema(EventKindOut, "EventKindPage")


# --- rules ----------------------------------------------------------------------------


class Audience(Schema):
    """Who a rule applies to: everyone (omit it), some tiers, some tags, or a stable
    random share of members (an A/B test: the rest are the control arm)."""

    tiers = fields.List(Text(max_length=32, min_length=1), validate=validate.Length(min=1, max=20))
    tags = fields.List(Text(max_length=32, min_length=1), validate=validate.Length(min=1, max=20))
    share = StrictInteger(minimum=1, maximum=99)
    salt = Text(max_length=64, min_length=1)

    @validates_schema
    def _one_kind(self, data: dict[str, Any], **_: Any) -> None:
        given = [k for k in ("tiers", "tags", "share") if k in data]
        if len(given) != 1:
            raise ValidationError(N_("Give exactly one of tiers, tags or share."), "audience")
        if "salt" in data and "share" not in data:
            raise ValidationError(N_("A salt goes with a share."), "salt")


class RuleIn(Schema):
    name = Text(max_length=100, min_length=1, required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    params = JsonObject(
        load_default=dict,
        metadata={
            "description": "The type's parameters: see `GET /rule-types`, or the schema"
            " `RuleParams.<type>` of this document."
        },
    )
    priority = StrictInteger(minimum=-1000, maximum=1000, load_default=0)
    exclusive = fields.Boolean(load_default=False)
    audience = fields.Nested(Audience, load_default=None, allow_none=True)
    starts_at = Instant(load_default=None, allow_none=True)
    ends_at = Instant(load_default=None, allow_none=True)
    status = fields.String(validate=validate.OneOf(("draft", "active")), load_default="draft")


class RuleChange(Schema):
    """Any of a rule's fields; the result is validated as a whole."""

    name = Text(max_length=100, min_length=1)
    params = JsonObject()
    priority = StrictInteger(minimum=-1000, maximum=1000)
    exclusive = fields.Boolean()
    audience = fields.Nested(Audience, allow_none=True)
    starts_at = Instant(allow_none=True)
    ends_at = Instant(allow_none=True)


class RuleOut(Schema):
    id = fields.UUID()
    name = fields.String()
    type = fields.String()
    phase = fields.String()
    params = fields.Dict()
    priority = fields.Integer()
    exclusive = fields.Boolean()
    audience = fields.Dict(allow_none=True)
    starts_at = Instant(allow_none=True)
    ends_at = Instant(allow_none=True)
    status = fields.String()
    version = fields.Integer()
    created_at = Instant()
    updated_at = Instant()


class RuleQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(RULE_STATUSES), load_default=None)


RulePage = page_schema(RuleOut, "RulePage")


class RuleVersionOut(Schema):
    version = fields.Integer()
    snapshot = fields.Dict()
    actor_kind = fields.String()
    actor_id = fields.String(allow_none=True)
    created_at = Instant()


RuleVersionPage = page_schema(RuleVersionOut, "RuleVersionPage")


class RuleTypeOut(Schema):
    name = fields.String()
    title = fields.String()
    params = fields.Dict(
        metadata={
            "description": "Each parameter by name, as a JSON Schema property: its `type`"
            " and bounds, `description`, `x-unit` (what it counts: points, minor units,"
            " days...), `example` and `default`. The OpenAPI document has the same as the"
            " schema `RuleParams.<type>`.",
            "example": {
                "rate": {
                    "type": "string",
                    "format": "decimal",
                    "default": "1",
                    "description": 'Points per 1.00 spent; "1 point per 10.00" is "0.1".',
                    "x-unit": "points per 1.00 of the currency",
                    "example": "0.1",
                }
            },
        }
    )
    required = fields.List(fields.String(), metadata={"description": "Parameters to give."})


RuleTypePage = page_schema(RuleTypeOut, "RuleTypePage")


class Simulate(Schema):
    """An event to evaluate without posting, under the current rules or `rules` (drafts
    given inline: each as for POST /rules)."""

    event = fields.Dict(required=True)
    rules = fields.List(fields.Dict(), load_default=None, validate=validate.Length(max=100))


class Backtest(Schema):
    start = Instant(required=True)
    end = Instant(required=True)
    rules = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=100))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["end"] <= data["start"]:
            raise ValidationError(N_("end must be after start."), "end")


class SimulationOut(Schema):
    points = fields.Integer()
    awards = fields.List(fields.Nested(AwardOut))
    notes = fields.List(fields.String())


class RuleCost(Schema):
    rule_id = fields.String(allow_none=True)
    rule_name = fields.String(allow_none=True)
    rule_type = fields.String()
    points = fields.Integer()


class BacktestOut(Schema):
    events = fields.Integer()
    truncated = fields.Boolean()
    would_issue = fields.Integer()
    issued = fields.Integer()
    by_rule = fields.List(fields.Nested(RuleCost))
    issued_by_rule = fields.List(fields.Nested(RuleCost))


class ArmReport(Schema):
    arm = fields.String()
    members = fields.Integer()
    events = fields.Integer()
    points = fields.Integer()
    rule_points = fields.Integer()


class RuleReport(Schema):
    rule_id = fields.UUID()
    arms = fields.List(fields.Nested(ArmReport))
