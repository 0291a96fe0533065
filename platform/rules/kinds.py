"""Event kinds and the payload (`data`) each carries, validated before any rule sees it.

Built-in kinds have a schema each; a tenant's custom kinds carry any JSON object of
limited size. `birthday` is emitted by the birthday job only.
"""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from jifen.types import StrictInteger, Text

MAX_LINES = 500
MAX_FREE_DATA = 16_384  # bytes of JSON
REFERRAL_STAGES = ("registered", "first_purchase")
EMITTED_ONLY = frozenset({"birthday"})


class PurchaseLine(Schema):
    sku = Text(max_length=64, min_length=1, required=True)
    category = Text(max_length=64, load_default=None, allow_none=True)
    amount = StrictInteger(required=True)
    quantity = StrictInteger(minimum=1, load_default=1)


class Purchase(Schema):
    """A paid order: `amount` is what was paid (minor units), shipping included."""

    amount = StrictInteger(required=True)
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))
    shipping = StrictInteger(load_default=0)
    lines = fields.List(
        fields.Nested(PurchaseLine), load_default=list, validate=validate.Length(max=MAX_LINES)
    )
    store = Text(max_length=64, load_default=None, allow_none=True)
    channel = Text(max_length=32, load_default=None, allow_none=True)
    paid_at = fields.AwareDateTime(load_default=None, allow_none=True)

    @validates_schema
    def _adds_up(self, data: dict[str, Any], **_: Any) -> None:
        if data["shipping"] > data["amount"]:
            raise ValidationError("Shipping cannot exceed the amount.", "shipping")
        lines = data["lines"]
        if lines and sum(line["amount"] for line in lines) + data["shipping"] != data["amount"]:
            raise ValidationError("The lines and shipping must add up to the amount.", "lines")


class RefundLine(Schema):
    index = StrictInteger(maximum=MAX_LINES - 1, required=True)
    amount = StrictInteger(minimum=1, required=True)


class Refund(Schema):
    """Money returned on an earlier purchase, as an amount or by line (index, amount)."""

    order_id = Text(max_length=128, min_length=1, required=True)
    amount = StrictInteger(minimum=1, load_default=None)
    lines = fields.List(
        fields.Nested(RefundLine), load_default=None, validate=validate.Length(min=1)
    )

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_: Any) -> None:
        if (data["amount"] is None) == (data["lines"] is None):
            raise ValidationError("Give either amount or lines.", "amount")


class Task(Schema):
    task = Text(max_length=64, min_length=1, required=True)


class Referral(Schema):
    inviter_id = fields.UUID(load_default=None)
    inviter_external_id = Text(max_length=128, min_length=1, load_default=None)
    stage = fields.String(required=True, validate=validate.OneOf(REFERRAL_STAGES))

    @validates_schema
    def _one_inviter(self, data: dict[str, Any], **_: Any) -> None:
        if (data["inviter_id"] is None) == (data["inviter_external_id"] is None):
            raise ValidationError("Give either inviter_id or inviter_external_id.", "inviter_id")


SCHEMAS: dict[str, Schema] = {
    "purchase": Purchase(),
    "refund": Refund(),
    "task": Task(),
    "referral": Referral(),
}
# Built-in kinds whose data is free-form (a review's rating, a share's channel...).
FREE_FORM = frozenset(
    {"checkin", "profile_completed", "review", "share", "registered", "redeemed", "birthday"}
)
BUILT_IN = frozenset(SCHEMAS) | FREE_FORM


def check_data(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The kind's payload, validated (raises marshmallow's ValidationError)."""
    schema = SCHEMAS.get(kind)
    if schema is not None:
        return schema.load(data)
    if len(json.dumps(data, separators=(",", ":"))) > MAX_FREE_DATA:
        raise ValidationError(f"At most {MAX_FREE_DATA} bytes of JSON.", "data")
    return data
