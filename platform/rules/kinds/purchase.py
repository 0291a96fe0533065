"""`purchase`: a paid order. It earns by its amount and lines (the spend rules), counts
towards the member's tier by its money, and a referred member's first purchase pays
their inviter too, as a `referral` event recorded with it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from jifen.errors import JifenError
from jifen.i18n import N_
from jifen.rules.events import CheckedEvent, EventIn
from jifen.rules.kinds.base import Kind
from jifen.types import Instant, Pattern, StrictInteger, Text

if TYPE_CHECKING:
    from jifen.rules.batch import Batch
    from jifen.rules.engine import Evaluation

MAX_LINES = 500


class PurchaseLine(Schema):
    sku = Text(max_length=64, min_length=1, required=True)
    category = Text(max_length=64, load_default=None, allow_none=True)
    amount = StrictInteger(required=True)
    quantity = StrictInteger(minimum=1, load_default=1)


class PurchaseData(Schema):
    """A paid order: `amount` is what was paid (minor units), shipping included."""

    amount = StrictInteger(required=True)
    currency = fields.String(required=True, validate=Pattern(r"^[A-Z]{3}$"))
    shipping = StrictInteger(load_default=0)
    lines = fields.List(
        fields.Nested(PurchaseLine), load_default=list, validate=validate.Length(max=MAX_LINES)
    )
    store = Text(max_length=64, load_default=None, allow_none=True)
    channel = Text(max_length=32, load_default=None, allow_none=True)
    paid_at = Instant(load_default=None, allow_none=True)

    @validates_schema
    def _adds_up(self, data: dict[str, Any], **_: Any) -> None:
        if data["shipping"] > data["amount"]:
            raise ValidationError(N_("Shipping cannot exceed the amount."), "shipping")
        lines = data["lines"]
        if lines and sum(line["amount"] for line in lines) + data["shipping"] != data["amount"]:
            raise ValidationError(N_("The lines and shipping must add up to the amount."), "lines")


class Purchase(Kind):
    schema = PurchaseData()

    @classmethod
    def also_paid(cls, batch: Batch, rows: list[Any]) -> set[uuid.UUID]:
        """The inviters of referred members, when a referral rule may pay them."""
        if not batch.has_rule_type("referral"):
            return set()
        return {row.referrer for row in rows if row.referrer is not None}

    def order(self, item: CheckedEvent) -> tuple[str | None, int | None]:
        return item.given.event_id, item.data["amount"]

    def recorded(self, item: CheckedEvent, evaluation: Evaluation, result: dict[str, Any]) -> None:
        """A referred member's first purchase is a referral event of its own, recorded
        with it, so the referral rule pays the inviter; refused, it leaves a note."""
        assert item.member_id is not None
        inviter = self.batch.referrers.pop(item.member_id, None)
        if inviter is None:
            return
        data = {"inviter_id": str(inviter), "stage": "first_purchase"}
        given = EventIn(
            event_id=f"first_purchase:{item.member_id}",
            kind="referral",
            member_id=item.member_id,
            occurred_at=item.occurred_at,
            data=data,
        )
        derived = CheckedEvent(
            item.index,
            given,
            {**data, "inviter_id": inviter, "inviter_external_id": None},
            item.occurred_at,
            item.member_id,
            inviter,
        )
        try:
            referral = self.batch.process(derived, given.fingerprint())
        except JifenError as error:
            result["notes"].append(f"referral not paid: {error}")
        else:
            result["notes"].append(f"first purchase of a referred member: event {referral['id']}")
