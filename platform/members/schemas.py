"""Member schemas: what the API accepts and returns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from jifen.i18n import N_
from jifen.members.models import ORIGINS, STATUSES, TIER_BASES
from jifen.pagination import PageQuery, limit_field, page_schema
from jifen.types import Instant, Pattern, RateField, StrictInteger, Text

MAX_TAGS = 20
MAX_LABEL = 20


class Tag(Text):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(min_length=1, max_length=32, **kwargs)


class MemberCreate(Schema):
    external_id = Text(
        required=True,
        min_length=1,
        max_length=128,
        metadata={"description": "The merchant's own id for this member (e.g. an OpenID)."},
    )
    name = Text(max_length=100, allow_none=True)
    phone = Text(max_length=32, allow_none=True)
    email = Text(max_length=254, allow_none=True)
    birthday = fields.Date(allow_none=True)
    tags = fields.List(Tag(), validate=validate.Length(max=MAX_TAGS))


class MemberUpdate(MemberCreate):
    external_id = Text(min_length=1, max_length=128)
    status = fields.String(validate=validate.OneOf(["active", "frozen"]))


class Member(Schema):
    id = fields.UUID()
    external_id = fields.String(
        allow_none=True,
        metadata={
            "description": "Your id for the member; null for one the mall made at a code"
            " sign-in (origin `code`) until you give one (PATCH) or merge it into yours."
        },
    )
    origin = fields.String(
        metadata={
            "enum": list(ORIGINS),
            "description": "merchant: registered under your id; code: made by the mall"
            " for a visitor who signed in with a code.",
        }
    )
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    birthday = fields.Date(allow_none=True)
    tags = fields.List(fields.String())
    status = fields.String(metadata={"enum": list(STATUSES)})
    tier = fields.String(
        allow_none=True, metadata={"description": "The code of the member's tier (see /tiers)."}
    )
    tier_since = Instant(allow_none=True)
    erasure_requested_at = Instant(
        allow_none=True,
        metadata={
            "description": "When the member asked, in the mall, to be erased: erase them"
            " (POST /members/{id}/erasure) without undue delay."
        },
    )
    merged_into = fields.UUID(
        allow_none=True,
        metadata={"description": "Status merged: the member everything of this one moved to."},
    )
    merged_at = Instant(allow_none=True)
    created_at = Instant()
    updated_at = Instant()


class Address(Schema):
    """Where a physical item goes (stored encrypted: it is personal data)."""

    name = Text(required=True, min_length=1, max_length=100)
    phone = Text(required=True, min_length=3, max_length=32)
    region = Text(
        required=True,
        min_length=1,
        max_length=200,
        metadata={"description": "Province, city and district, e.g. 上海市 浦东新区."},
    )
    line = Text(required=True, min_length=1, max_length=300)
    postal_code = Text(max_length=16, load_default=None, allow_none=True)


class Label(Text):
    """What a member calls a saved address (Home, Office)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=MAX_LABEL, load_default=None, allow_none=True, **kwargs)


class LabelledAddress(Address):
    """An address with the label the member gives it (the mall's address book form)."""

    label = Label()


class SavedAddressIn(Schema):
    address = fields.Nested(Address, required=True)
    label = Label()
    is_default = fields.Boolean(
        load_default=False,
        metadata={"description": "Pick it first from now on (the first saved always is)."},
    )


class SavedAddress(Schema):
    id = fields.UUID()
    address = fields.Nested(Address)
    label = fields.String(allow_none=True)
    is_default = fields.Boolean(
        metadata={"description": "The one picked first: exactly one while any are kept."}
    )
    created_at = Instant()
    updated_at = Instant()


# The default first, then the newest first; at most ten, all on one page.
SavedAddressPage = page_schema(SavedAddress, "SavedAddressPage")


class MergeIn(Schema):
    """The member to merge into: by our id or by yours, one of them."""

    into_id = fields.UUID(metadata={"description": "The member's id (ours)."})
    into_external_id = Text(
        min_length=1, max_length=128, metadata={"description": "Your id for the member."}
    )

    @validates_schema
    def _one_target(self, data: dict[str, Any], **_: Any) -> None:
        if ("into_id" in data) == ("into_external_id" in data):
            raise ValidationError(N_("Give into_id or into_external_id, one of them."), "into_id")


class CardCodeIn(Schema):
    code = Text(
        required=True,
        min_length=1,
        max_length=64,
        metadata={"description": "The 18 digits a scanner read (spaces are ignored)."},
    )


class MemberQuery(PageQuery):
    external_id = Text(min_length=1, max_length=128)
    phone = Text(max_length=32)
    email = Text(max_length=254)
    tag = Tag()
    name = Text(min_length=1, max_length=100)
    status = fields.String(validate=validate.OneOf(STATUSES))
    origin = fields.String(
        validate=validate.OneOf(ORIGINS),
        metadata={
            "description": "code: the members the mall made for visitors who signed in with"
            " a code (give them your id, or merge them into yours); merchant: yours."
        },
    )
    erasure_requested = fields.Boolean(
        metadata={"description": "true: members who asked in the mall to be erased, not yet."}
    )
    limit = limit_field(200)


MemberPage = page_schema(Member, "MemberPage")


class TierIn(Schema):
    """A tier: reached by `basis` >= `threshold` (points, or spend in minor units, over
    `window_days` for a windowed basis); kept `grace_days` after no longer qualifying."""

    code = fields.String(required=True, validate=Pattern(r"^[a-z0-9_-]{1,32}$"))
    name = Text(max_length=64, min_length=1, required=True)
    rank = StrictInteger(maximum=1000, required=True)
    basis = fields.String(required=True, validate=validate.OneOf(TIER_BASES))
    threshold = StrictInteger(required=True)
    window_days = StrictInteger(minimum=1, maximum=3650, load_default=None, allow_none=True)
    grace_days = StrictInteger(maximum=3650, load_default=0)
    earn_multiplier = RateField(minimum=Decimal(1), maximum=Decimal(100), load_default=Decimal(1))
    redemption_discount_percent = StrictInteger(maximum=100, load_default=0)


class TierLadder(Schema):
    tiers = fields.List(fields.Nested(TierIn), required=True, validate=validate.Length(max=20))


class SignInKey(Schema):
    id = fields.String(metadata={"description": "The key's id: a link names it as `key`."})
    created_at = Instant()
    revoked_at = Instant(
        allow_none=True, metadata={"description": "Since when its links open nothing."}
    )


class NewSignInKey(SignInKey):
    secret = fields.String(
        metadata={
            "description": "The key's secret, shown only in this answer: the merchant's"
            " server signs members' sign-in links with it (docs/storefront.md)."
        }
    )


SignInKeyPage = page_schema(SignInKey, "SignInKeyPage")
