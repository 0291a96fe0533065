"""Points schemas: what the points API accepts and returns."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from jifen.i18n import N_, Message
from jifen.ledger.models import HOLD_KINDS, HOLD_STATUSES
from jifen.ledger.policy import EXPIRY_KINDS, SHORTFALLS, UNKNOWN_MEMBERS
from jifen.pagination import PageQuery, limit_field, page_schema
from jifen.types import MAX_SAFE_INTEGER, Instant, StrictInteger, Text

ENTRY_KINDS = (
    "earn",
    "redeem",
    "refund",
    "clawback",
    "reversal",
    "expire",
    "transfer",
    "adjust",
    "merge",
)


class Points(StrictInteger):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "metadata",
            {
                "description": "Whole points, 1 to 2^53 - 1. A wallet holds at most 2^53 - 1"
                " (balance plus held): more is refused with total_too_large."
            },
        )
        super().__init__(minimum=1, **kwargs)


class Reference(Text):
    def __init__(self) -> None:
        super().__init__(
            max_length=128,
            allow_none=True,
            metadata={"description": "Your own id for this, e.g. the order number."},
        )


class Memo(Text):
    def __init__(self) -> None:
        super().__init__(
            max_length=255, allow_none=True, metadata={"description": "Shown to the member."}
        )


class ShownMemo(fields.String):
    """A memo as read (see `jifen.ledger.memos`): the platform's own in the reader's
    language (`Accept-Language`, else the merchant's locale), anyone else's as written."""

    def __init__(self) -> None:
        super().__init__(
            allow_none=True,
            metadata={
                "description": "Shown to the member: the platform's own memos (top-up,"
                " lottery prize...) in the reader's language, yours as written."
            },
        )

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        shown = value.translated() if isinstance(value, Message) else value
        return super()._serialize(shown, attr, obj, **kwargs)


class Reason(Text):
    def __init__(self) -> None:
        super().__init__(required=True, min_length=1, max_length=255)


class Earn(Schema):
    member_id = fields.UUID(required=True)
    amount = Points(required=True)
    expires_at = Instant(
        allow_none=True,
        metadata={"description": "Default: from the merchant's expiry policy."},
    )
    reference = Reference()
    memo = Memo()


class EarnPending(Earn):
    available_at = Instant(
        allow_none=True,
        metadata={
            "description": "When the points become the member's (end of a return "
            "window). Without it they stay pending until captured or voided."
        },
    )


class Redeem(Schema):
    member_id = fields.UUID(required=True)
    amount = Points(required=True)
    reference = Reference()
    memo = Memo()


class Adjust(Schema):
    member_id = fields.UUID(required=True)
    amount = StrictInteger(
        minimum=-MAX_SAFE_INTEGER,
        required=True,
        metadata={"description": "Positive credits, negative takes points back; not 0."},
    )
    reason = Reason()
    expires_at = Instant(allow_none=True)

    @validates_schema
    def _not_zero(self, data: dict[str, Any], **_kwargs: object) -> None:
        if data.get("amount") == 0:
            raise ValidationError(N_("Must not be 0."), "amount")


class Transfer(Schema):
    from_member_id = fields.UUID(required=True)
    to_member_id = fields.UUID(required=True)
    amount = Points(required=True)
    reference = Reference()
    memo = Memo()


class Extend(Schema):
    member_id = fields.UUID(required=True)
    until = Instant(required=True)
    reason = Reason()
    lot_ids = fields.List(
        fields.UUID(),
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Only these lots; default: every lot expiring sooner."},
    )


class HoldCreate(Schema):
    member_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["reserve", "freeze"]))
    amount = Points(
        metadata={
            "description": "Required for a reservation; a freeze "
            "without it freezes every available point."
        }
    )
    timeout_minutes = StrictInteger(
        minimum=1, maximum=7 * 24 * 60, metadata={"description": "Reservations only."}
    )
    reference = Reference()
    memo = Memo()

    @validates_schema
    def _amount_for_reservations(self, data: dict[str, Any], **_kwargs: object) -> None:
        if data.get("kind") == "reserve" and "amount" not in data:
            raise ValidationError(N_("A reservation needs an amount."), "amount")


class HoldCapture(Schema):
    amount = Points(
        metadata={
            "description": "Reservations: capture this much and release "
            "the rest. Default: all of it."
        }
    )
    memo = Memo()


class Reversal(Schema):
    amount = Points(metadata={"description": "Reverse this much; default: all that is left."})
    reference = Reference()
    memo = Memo()


class Extended(Schema):
    points = fields.Integer(metadata={"description": "How many points now expire later."})


_NOW = (
    "The wallet's %s now: as the entry left it in the answer to the request that posted"
    " it, at the time of reading in GET /entries/{entry_id} (later entries included; see"
    " running_total for the wallet right after this one)."
)


class WalletChange(Schema):
    member_id = fields.UUID()
    amount = fields.Integer()
    running_total = fields.Integer(
        metadata={"description": "The wallet's balance + held - debt right after this entry."}
    )
    balance = fields.Integer(allow_none=True, metadata={"description": _NOW % "available points"})
    held = fields.Integer(allow_none=True, metadata={"description": _NOW % "held points"})
    debt = fields.Integer(allow_none=True, metadata={"description": _NOW % "debt"})


class Entry(Schema):
    id = fields.UUID()
    kind = fields.String(metadata={"enum": list(ENTRY_KINDS)})
    reference = fields.String(allow_none=True)
    memo = ShownMemo()
    reverses_entry_id = fields.UUID(allow_none=True)
    created_at = Instant()
    changes = fields.List(fields.Nested(WalletChange))
    data = fields.Dict(allow_none=True)
    repaid_debt = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Points of this entry that repaid the member's debt instead of"
            " reaching the balance: an earn of 50 by a member owing 30 has repaid_debt 30"
            " and adds 20 to the balance. 0 when no debt was repaid."
        },
    )
    incurred_debt = fields.Integer(
        allow_none=True,
        metadata={
            "description": "A clawback only: points the member had already spent, which"
            " they now owe (points policy shortfall `debt`); included in the change's"
            " amount."
        },
    )
    absorbed = fields.Integer(
        metadata={
            "description": "A clawback only: points the member had already spent, which"
            " the merchant carries (points policy shortfall `absorb`); taken from nobody,"
            " so not in the change's amount."
        },
    )


class Hold(Schema):
    id = fields.UUID()
    member_id = fields.UUID()
    kind = fields.String(metadata={"enum": list(HOLD_KINDS)})
    status = fields.String(metadata={"enum": list(HOLD_STATUSES)})
    amount = fields.Integer()
    reference = fields.String(allow_none=True)
    expires_at = Instant(allow_none=True)
    created_at = Instant()
    entry_id = fields.UUID(allow_none=True)


class Expiring(Schema):
    last_day = fields.Date()
    expires_at = Instant()
    points = fields.Integer()


class Summary(Schema):
    member_id = fields.UUID()
    balance = fields.Integer(metadata={"description": "Available now."})
    held = fields.Integer()
    pending = fields.Integer()
    debt = fields.Integer()
    expiring = fields.List(fields.Nested(Expiring))


class HistoryQuery(PageQuery):
    kind = fields.List(fields.String(validate=validate.OneOf(ENTRY_KINDS)))
    since = Instant()
    until = Instant()
    limit = limit_field(200)


class HistoryLine(Schema):
    entry_id = fields.UUID()
    kind = fields.String()
    amount = fields.Integer()
    running_total = fields.Integer()
    reference = fields.String(allow_none=True)
    memo = ShownMemo()
    reverses_entry_id = fields.UUID(allow_none=True)
    created_at = Instant()


HistoryPage = page_schema(HistoryLine, "HistoryPage")


class Liability(Schema):
    """Points now (outstanding to members_with_points), and, since the merchant began,
    where the clawed-back points that members had already spent went."""

    outstanding = fields.Integer(metadata={"description": "Points members have available."})
    held = fields.Integer()
    pending = fields.Integer()
    debt = fields.Integer(
        metadata={"description": "Points members owe now: incurred_debt - repaid_debt."}
    )
    incurred_debt = fields.Integer(
        metadata={
            "description": "Clawed-back points members had already spent and so came to"
            " owe (points policy shortfall `debt`): the sum of the clawbacks'"
            " incurred_debt."
        }
    )
    repaid_debt = fields.Integer(
        metadata={
            "description": "Of incurred_debt, what later credits (earns, transfers"
            " received, captured pending earns) repaid instead of reaching the balance:"
            " the sum of their entries' repaid_debt."
        }
    )
    absorbed = fields.Integer(
        metadata={
            "description": "Clawed-back points members had already spent that the merchant"
            " carries (points policy shortfall `absorb`): the sum of the clawbacks'"
            " absorbed."
        }
    )
    expiring_30_days = fields.Integer()
    expiring_90_days = fields.Integer()
    members_with_points = fields.Integer()


class Policy(Schema):
    """Every field optional on PATCH; the resulting policy is validated as a whole."""

    expiry = fields.String(validate=validate.OneOf(EXPIRY_KINDS))
    rolling_months = fields.Integer(strict=True, allow_none=True)
    clear_month = fields.Integer(strict=True, allow_none=True)
    clear_day = fields.Integer(strict=True, allow_none=True)
    cutoff_month = fields.Integer(strict=True, allow_none=True)
    cutoff_day = fields.Integer(strict=True, allow_none=True)
    clear_years = fields.Integer(strict=True, allow_none=True)
    notice_days = fields.List(fields.Integer(strict=True), validate=validate.Length(max=5))
    shortfall = fields.String(validate=validate.OneOf(SHORTFALLS))
    transfers_enabled = fields.Boolean()
    transfer_max = StrictInteger(minimum=1, allow_none=True)
    transfer_daily_max = StrictInteger(minimum=1, allow_none=True)
    hold_minutes = StrictInteger(minimum=1, maximum=7 * 24 * 60)
    unknown_members = fields.String(validate=validate.OneOf(UNKNOWN_MEMBERS))
