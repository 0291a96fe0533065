"""Mall schemas: what the API accepts and returns."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from jifen.i18n import N_, Message
from jifen.mall.models import (
    AFTER_SALES_KINDS,
    AFTER_SALES_STATUSES,
    AUTHORIZATION_STATUSES,
    ORDER_STATUSES,
    PAYMENT_STATUSES,
    PRODUCT_KINDS,
    PRODUCT_STATUSES,
    REVIEW_STATUSES,
    REVIEW_TEXT,
)
from jifen.members import Address
from jifen.pagination import PageQuery, page_schema
from jifen.types import Instant, JsonObject, StrictInteger, Text

MAX_TAGS = 10
MAX_IMAGES = 10
MAX_QUANTITY = 100


class QueryInteger(fields.Integer):
    """An integer in a query string, where every value arrives as text ("99.5" is still
    refused)."""

    def __init__(self, *, minimum: int, maximum: int = 10**15, **kwargs: Any) -> None:
        super().__init__(strict=False, validate=validate.Range(minimum, maximum), **kwargs)


class CategoryIn(Schema):
    name = Text(required=True, min_length=1, max_length=100)
    parent_id = fields.UUID(load_default=None, allow_none=True)
    sort_order = StrictInteger(minimum=-1_000_000, maximum=1_000_000, load_default=0)


class CategoryChange(Schema):
    name = Text(min_length=1, max_length=100)
    parent_id = fields.UUID(allow_none=True)
    sort_order = StrictInteger(minimum=-1_000_000, maximum=1_000_000)


class CategoryOut(Schema):
    id = fields.UUID()
    name = fields.String()
    parent_id = fields.UUID(allow_none=True)
    sort_order = fields.Integer()


class CouponTerms(Schema):
    """What an issued coupon gives at the merchant's checkout."""

    type = fields.String(
        required=True, validate=validate.OneOf(["amount_off", "percent_off", "free_shipping"])
    )
    amount_off = StrictInteger(minimum=1, metadata={"description": "Minor units."})
    percent_off = StrictInteger(minimum=1, maximum=100)
    threshold = StrictInteger(
        minimum=0, load_default=0, metadata={"description": "Minimum order, minor units."}
    )
    valid_days = StrictInteger(
        minimum=1, maximum=3660, required=True, metadata={"description": "Valid for, from issue."}
    )

    @validates_schema
    def _amount_for_its_type(self, data: dict[str, Any], **_kwargs: object) -> None:
        for type_ in ("amount_off", "percent_off"):
            if data["type"] == type_ and data.get(type_) is None:
                raise ValidationError(
                    Message(N_("Required for %(type)s coupons."), {"type": type_}), type_
                )


class ServiceTerms(Schema):
    """A service voucher: where the member books it, and for how long it is good."""

    booking_url = fields.URL(required=True, schemes={"https", "http"})
    valid_days = StrictInteger(minimum=1, maximum=3660, required=True)


class BundlePart(Schema):
    product_id = fields.UUID(required=True)
    quantity = StrictInteger(minimum=1, maximum=MAX_QUANTITY, load_default=1)


class ProductFields(Schema):
    """The fields a product is created with; changes take any of them."""

    kind = fields.String(validate=validate.OneOf(PRODUCT_KINDS))
    mode = Text(min_length=1, max_length=32)
    mode_params = JsonObject()
    name = Text(min_length=1, max_length=200)
    description = Text(max_length=4000)
    category_id = fields.UUID(allow_none=True)
    images = fields.List(
        Text(min_length=1, max_length=500), validate=validate.Length(max=MAX_IMAGES)
    )
    tags = fields.List(Text(min_length=1, max_length=32), validate=validate.Length(max=MAX_TAGS))
    points_price = StrictInteger(minimum=0)
    cash_price = StrictInteger(minimum=1, allow_none=True)
    currency = Text(min_length=3, max_length=3, allow_none=True)
    listed_from = Instant(allow_none=True)
    listed_until = Instant(allow_none=True)
    limit_per_day = StrictInteger(minimum=1, allow_none=True)
    limit_per_week = StrictInteger(minimum=1, allow_none=True)
    limit_ever = StrictInteger(minimum=1, allow_none=True)
    min_tier = Text(min_length=1, max_length=32, allow_none=True)
    tier_discounts = fields.Dict(
        keys=Text(min_length=1, max_length=32),
        values=StrictInteger(minimum=0, maximum=100),
        allow_none=True,
    )
    coupon = fields.Nested(CouponTerms, allow_none=True)
    service = fields.Nested(ServiceTerms, allow_none=True)
    bundle = fields.List(
        fields.Nested(BundlePart),
        allow_none=True,
        validate=validate.Length(min=2, max=10),
        metadata={"description": "Physical products sold together; each unit takes theirs."},
    )
    sort_order = StrictInteger(minimum=-1_000_000, maximum=1_000_000)
    status = fields.String(validate=validate.OneOf(PRODUCT_STATUSES))


class ProductIn(ProductFields):
    kind = fields.String(required=True, validate=validate.OneOf(PRODUCT_KINDS))
    mode = Text(min_length=1, max_length=32, load_default="exchange")
    name = Text(required=True, min_length=1, max_length=200)
    points_price = StrictInteger(minimum=0, required=True)
    stock = StrictInteger(
        minimum=0, load_default=None, allow_none=True, metadata={"description": "None: unlimited."}
    )
    status = fields.String(validate=validate.OneOf(PRODUCT_STATUSES), load_default="draft")


class ProductOut(Schema):
    id = fields.UUID()
    kind = fields.String()
    mode = fields.String()
    mode_params = fields.Dict()
    name = fields.String()
    description = fields.String()
    category_id = fields.UUID(allow_none=True)
    images = fields.List(fields.String())
    tags = fields.List(fields.String())
    points_price = fields.Integer()
    cash_price = fields.Integer(allow_none=True)
    currency = fields.String(allow_none=True)
    stock = fields.Integer(allow_none=True)
    sold = fields.Integer()
    listed_from = Instant(allow_none=True)
    listed_until = Instant(allow_none=True)
    limit_per_day = fields.Integer(allow_none=True)
    limit_per_week = fields.Integer(allow_none=True)
    limit_ever = fields.Integer(allow_none=True)
    min_tier = fields.String(allow_none=True)
    tier_discounts = fields.Dict(allow_none=True)
    coupon = fields.Dict(allow_none=True)
    service = fields.Dict(allow_none=True)
    bundle = fields.List(fields.Dict(), allow_none=True)
    sort_order = fields.Integer()
    status = fields.String()
    created_at = Instant()
    updated_at = Instant()
    member_price = fields.Integer(
        metadata={"description": "With member_id: what one unit costs that member, in points."}
    )


class ProductQuery(PageQuery):
    q = Text(min_length=1, max_length=100, metadata={"description": "Words of the name."})
    category_id = fields.UUID(metadata={"description": "This category and those under it."})
    kind = fields.String(validate=validate.OneOf(PRODUCT_KINDS))
    tag = Text(min_length=1, max_length=32)
    status = fields.String(validate=validate.OneOf(PRODUCT_STATUSES))
    min_points = QueryInteger(minimum=0)
    max_points = QueryInteger(minimum=0)
    member_id = fields.UUID(metadata={"description": "Price the items for this member."})
    affordable = fields.Boolean(
        load_default=False,
        metadata={"description": "With member_id: only what the member can afford now."},
    )
    on_sale = fields.Boolean(
        load_default=False, metadata={"description": "Only active items within their window."}
    )

    @validates_schema
    def _affordable_needs_member(self, data: dict[str, Any], **_kwargs: object) -> None:
        if data.get("affordable") and not data.get("member_id"):
            raise ValidationError(N_("Needs member_id."), "affordable")


ProductPage = page_schema(ProductOut, "ProductPage")


class StockChange(Schema):
    change = StrictInteger(
        minimum=-(10**12),
        required=True,
        metadata={
            "description": "Units to add (negative: to remove). Stock is at most 2^53 - 1:"
            " more is refused with total_too_large."
        },
    )


class QuoteQuery(Schema):
    member_id = fields.UUID(required=True)
    quantity = QueryInteger(minimum=1, maximum=MAX_QUANTITY, load_default=1)


class QuoteOut(Schema):
    points = fields.Integer()
    cash = fields.Integer()
    currency = fields.String(allow_none=True)
    notes = fields.List(fields.String())


class OrderIn(Schema):
    member_id = fields.UUID(required=True)
    product_id = fields.UUID(required=True)
    quantity = StrictInteger(minimum=1, maximum=MAX_QUANTITY, load_default=1)
    address = fields.Nested(Address, load_default=None, allow_none=True)
    address_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Instead of `address`: one of the member's saved addresses"
            " (GET /members/{member_id}/addresses). Another member's is 422"
            " `unknown_address`."
        },
    )

    @validates_schema
    def _one_address(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("address") is not None and data.get("address_id") is not None:
            raise ValidationError(
                Message(N_("Send an address or an address_id, not both.")), "address_id"
            )


class OrderStep(Schema):
    status = fields.String()
    actor_kind = fields.String()
    note = fields.Dict(allow_none=True)
    created_at = Instant()


class OrderOut(Schema):
    id = fields.UUID()
    member_id = fields.UUID()
    product_id = fields.UUID()
    product_name = fields.String()
    kind = fields.String()
    mode = fields.String()
    quantity = fields.Integer()
    points = fields.Integer()
    cash = fields.Integer(allow_none=True)
    currency = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(ORDER_STATUSES)})
    entry_id = fields.UUID(allow_none=True)
    refund_entry_id = fields.UUID(allow_none=True)
    address = fields.Nested(Address, allow_none=True)
    flash_sale_id = fields.UUID(allow_none=True)
    delivery = fields.Dict(allow_none=True)
    details = fields.Dict()
    history = fields.List(fields.Nested(OrderStep))
    created_at = Instant()
    updated_at = Instant()


class OrderQuery(PageQuery):
    member_id = fields.UUID()
    product_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))


OrderPage = page_schema(OrderOut, "OrderPage")


class OrderAddress(Schema):
    """The shipping address of an order `awaiting_address`."""

    address = fields.Nested(Address, required=True)


class Shipment(Schema):
    carrier = Text(required=True, min_length=1, max_length=64)
    tracking_number = Text(required=True, min_length=1, max_length=64)


class OrderNote(Schema):
    reason = Text(max_length=500, load_default=None, allow_none=True)


class AfterSalesIn(Schema):
    """A member's request for help with an order that shipped, as the mall's form sends
    it: what went wrong, and in their words (needed for `other`)."""

    kind = fields.String(
        required=True,
        validate=validate.OneOf(AFTER_SALES_KINDS, error=N_("Choose what went wrong.")),
        error_messages={"required": N_("Choose what went wrong.")},
    )
    description = Text(max_length=500, load_default="")

    @validates_schema
    def _described_when_other(self, data: dict[str, Any], **_kwargs: object) -> None:
        if data["kind"] == "other" and not data["description"]:
            raise ValidationError(Message(N_("Tell us what went wrong.")), "description")


class AfterSalesOut(Schema):
    id = fields.UUID()
    order_id = fields.UUID()
    member_id = fields.UUID()
    kind = fields.String(metadata={"enum": list(AFTER_SALES_KINDS)})
    description = fields.String(
        allow_none=True, metadata={"description": "In the member's words (always for `other`)."}
    )
    status = fields.String(metadata={"enum": list(AFTER_SALES_STATUSES)})
    reply = fields.String(
        allow_none=True,
        metadata={"description": "Your answer, shown to the member on the order's page."},
    )
    created_at = Instant()
    closed_at = Instant(allow_none=True)
    closed_by_kind = fields.String(
        allow_none=True,
        metadata={"description": "Who answered it: `api_key`, `user`, or `system`."},
    )
    closed_by_id = fields.String(allow_none=True)


class AfterSalesQuery(PageQuery):
    status = fields.String(
        validate=validate.OneOf(AFTER_SALES_STATUSES),
        metadata={"description": "`open`: waiting for your answer."},
    )
    order_id = fields.UUID()
    member_id = fields.UUID()


AfterSalesPage = page_schema(AfterSalesOut, "AfterSalesPage")


class AfterSalesReply(Schema):
    reply = Text(
        required=True,
        min_length=1,
        max_length=1000,
        metadata={"description": "What the member reads on the order's page."},
    )

    @validates_schema
    def _not_blank(self, data: dict[str, Any], **_kwargs: object) -> None:
        if not data["reply"]:  # only spaces, stripped
            raise ValidationError(Message(N_("Write a reply for the member.")), "reply")


class CouponUse(Schema):
    order_ref = Text(
        required=True,
        min_length=1,
        max_length=128,
        metadata={"description": "The checkout's own order id: a retry with it is safe."},
    )
    order_amount = StrictInteger(
        load_default=None, allow_none=True, metadata={"description": "Minor units."}
    )


class CouponCheck(Schema):
    order_amount = QueryInteger(
        minimum=0,
        metadata={
            "description": "Optional. The order's amount in minor units: with it, the answer"
            " says what the coupon would take off (`discount`, `free_shipping`), or refuses"
            " an order below its threshold; without it, only whether it can be used now."
        },
    )


class CouponOut(Schema):
    code = fields.String()
    kind = fields.String(metadata={"enum": ["coupon", "voucher"]})
    status = fields.String(metadata={"enum": ["issued", "redeemed", "void"]})
    terms = fields.Dict()
    valid_until = Instant()
    member_id = fields.UUID()
    order_id = fields.UUID()
    product_id = fields.UUID()
    redeemed_at = Instant(allow_none=True)
    redemption = fields.Dict(allow_none=True)
    discount = fields.Integer(
        metadata={"description": "Checking with order_amount: what it would take off."}
    )
    free_shipping = fields.Boolean()


class CouponQuery(PageQuery):
    member_id = fields.UUID(required=True)


class PartnerIn(Schema):
    name = Text(required=True, min_length=1, max_length=100)
    currency = Text(required=True, min_length=3, max_length=3)
    budget = StrictInteger(required=True, metadata={"description": "Minor units."})


class PartnerOut(Schema):
    id = fields.UUID()
    name = fields.String()
    currency = fields.String()
    budget = fields.Integer()
    used = fields.Integer()
    created_at = Instant()
    updated_at = Instant()


class BudgetChange(Schema):
    change = StrictInteger(
        minimum=-(10**15),
        required=True,
        metadata={
            "description": "Minor units to add (negative: to take). A budget is at most"
            " 2^53 - 1: more is refused with total_too_large."
        },
    )


class PrizeOdds(Schema):
    code = fields.String()
    name = fields.String()
    weight = fields.Integer()
    chance = fields.String(metadata={"description": "weight / total weight, as a decimal."})
    stock = fields.Integer(allow_none=True)
    won = fields.Integer()
    points = fields.Integer()
    goods = fields.Boolean()


class PeriodOut(Schema):
    key = fields.String(metadata={"description": "The period's first local day."})
    starts_at = Instant()
    ends_at = Instant()
    seed_hash = fields.String(metadata={"description": "sha256 of the seed, hex."})
    seed = fields.String(
        allow_none=True, metadata={"description": "Hex; revealed once the period has ended."}
    )
    draws = fields.Integer()


class LotteryOut(Schema):
    prizes = fields.List(fields.Nested(PrizeOdds))
    consolation = fields.String()
    period = fields.String(metadata={"enum": ["day", "week"]})
    periods = fields.List(fields.Nested(PeriodOut), metadata={"description": "Newest first."})


class DrawQuery(PageQuery):
    period = Text(required=True, min_length=10, max_length=10)


class DrawOut(Schema):
    n = fields.Integer()
    drawn = fields.String()
    prize = fields.String()
    order_id = fields.UUID()


REVIEW_MODERATION = ("before", "after")
REVIEW_MODERATION_DOC = (
    "Members' reviews: `before`, each waits for you to publish it (POST"
    " /reviews/{review_id}:publish); `after`, each is shown at once, and you may still"
    " reject it."
)


class SettingsOut(Schema):
    payment_provider = fields.String()
    payment_minutes = fields.Integer()
    checkout_rate = fields.Integer(metadata={"description": "Points worth one currency unit."})
    checkout_step = fields.Integer(metadata={"description": "Points are used in multiples."})
    checkout_cap_percent = fields.Integer()
    topup_enabled = fields.Boolean()
    topup_rate = fields.Integer(metadata={"description": "Points sold per currency unit."})
    review_moderation = fields.String(
        metadata={"enum": list(REVIEW_MODERATION), "description": REVIEW_MODERATION_DOC}
    )


class SettingsChange(Schema):
    payment_provider = Text(min_length=1, max_length=32)
    payment_minutes = StrictInteger(minimum=1, maximum=7 * 24 * 60)
    checkout_rate = StrictInteger(minimum=1, maximum=1_000_000)
    checkout_step = StrictInteger(minimum=1, maximum=1_000_000)
    checkout_cap_percent = StrictInteger(minimum=1, maximum=100)
    topup_enabled = fields.Boolean()
    topup_rate = StrictInteger(minimum=1, maximum=1_000_000)
    review_moderation = fields.String(
        validate=validate.OneOf(REVIEW_MODERATION), metadata={"description": REVIEW_MODERATION_DOC}
    )


class PaymentOut(Schema):
    id = fields.UUID()
    provider = fields.String()
    purpose = fields.String(metadata={"enum": ["order", "topup"]})
    order_id = fields.UUID(allow_none=True)
    member_id = fields.UUID()
    amount = fields.Integer(metadata={"description": "Minor units."})
    currency = fields.String()
    points = fields.Integer(allow_none=True)
    status = fields.String(
        metadata={
            "enum": list(PAYMENT_STATUSES),
            "description": "`requested` until the provider has it (asked after commit),"
            " then `pending` until it `succeeded`, `failed` or `expired` (a requested one"
            " the provider never answered for expires too), or is `cancelled` with its"
            " order; a refund is `refunding` until the provider has given the money back"
            " (`refunded`), also for money that arrived after the payment ended unpaid.",
        }
    )
    reference = fields.String(allow_none=True)
    instructions = fields.String(allow_none=True)
    expires_at = Instant(
        metadata={
            "description": "When the payment window closes; it starts when the"
            " provider has the payment (while `requested`, a window's length from now)."
        }
    )
    created_at = Instant()
    updated_at = Instant()


class TopupIn(Schema):
    member_id = fields.UUID(required=True)
    points = StrictInteger(minimum=1, maximum=10**9, required=True)
    currency = Text(min_length=3, max_length=3, load_default=None)


class CheckoutQuoteIn(Schema):
    member_id = fields.UUID(required=True)
    order_amount = StrictInteger(required=True, metadata={"description": "Minor units."})
    currency = Text(min_length=3, max_length=3, load_default=None)


class CheckoutQuoteOut(Schema):
    member_id = fields.UUID()
    order_amount = fields.Integer()
    currency = fields.String()
    max_points = fields.Integer()
    value = fields.Integer(metadata={"description": "What max_points take off, minor units."})
    balance = fields.Integer()
    rate = fields.Integer()
    step = fields.Integer()
    cap_percent = fields.Integer()


class AuthorizeIn(CheckoutQuoteIn):
    points = StrictInteger(minimum=1, required=True)
    order_ref = Text(
        required=True,
        min_length=1,
        max_length=128,
        metadata={"description": "The checkout's own order id; one authorization each."},
    )


class AuthorizationOut(Schema):
    id = fields.UUID()
    member_id = fields.UUID()
    order_ref = fields.String()
    order_amount = fields.Integer()
    currency = fields.String()
    points = fields.Integer()
    value = fields.Integer()
    captured = fields.Integer()
    refunded = fields.Integer()
    status = fields.String(metadata={"enum": list(AUTHORIZATION_STATUSES)})
    hold_id = fields.UUID()
    entry_id = fields.UUID(allow_none=True)
    created_at = Instant()
    updated_at = Instant()


class PointsPart(Schema):
    points = StrictInteger(
        minimum=1, load_default=None, allow_none=True, metadata={"description": "None: all."}
    )


class FlashSaleIn(Schema):
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    points_price = StrictInteger(required=True)
    stock = StrictInteger(required=True)
    limit_per_member = StrictInteger(minimum=1, load_default=None, allow_none=True)


class FlashSaleOut(Schema):
    id = fields.UUID()
    product_id = fields.UUID()
    starts_at = Instant()
    ends_at = Instant()
    points_price = fields.Integer()
    stock = fields.Integer()
    sold = fields.Integer()
    limit_per_member = fields.Integer(allow_none=True)


class CodesUpload(Schema):
    csv = Text(
        required=True,
        min_length=1,
        max_length=5_000_000,
        metadata={
            "description": 'CSV text: one code a line in the first column ("code" header optional).'
        },
    )


class RejectedLine(Schema):
    line = fields.Integer()
    reason = fields.String()


class CodesReport(Schema):
    added = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.List(fields.Nested(RejectedLine))
    stock = fields.Integer(metadata={"description": "Codes left in the pool."})


# --- lists: the shape every list answers (jifen.pagination) ---------------------------

CategoryPage = page_schema(CategoryOut, "CategoryPage")
FlashSalePage = page_schema(FlashSaleOut, "FlashSalePage")
CouponPage = page_schema(CouponOut, "CouponPage")
PartnerPage = page_schema(PartnerOut, "PartnerPage")
DrawPage = page_schema(DrawOut, "DrawPage")


class ReviewOut(Schema):
    id = fields.UUID()
    order_id = fields.UUID()
    product_id = fields.UUID()
    member_id = fields.UUID()
    rating = fields.Integer(metadata={"minimum": 1, "maximum": 5})
    text = fields.String(
        allow_none=True, metadata={"description": "As the member wrote it: show it as text."}
    )
    status = fields.String(
        metadata={
            "enum": list(REVIEW_STATUSES),
            "description": "`pending` until you publish or reject it; only `published`"
            " reviews are shown on the product's page. A rejected review stays rejected.",
        }
    )
    created_at = Instant()
    moderated_at = Instant(allow_none=True)
    moderator_kind = fields.String(
        allow_none=True, metadata={"description": "Who moderated it: `api_key`, `user`..."}
    )
    moderator_id = fields.String(allow_none=True)
    rejection_reason = fields.String(
        allow_none=True, metadata={"description": "Shown to the member with their review."}
    )


class ReviewQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(REVIEW_STATUSES))
    product_id = fields.UUID()


ReviewPage = page_schema(ReviewOut, "ReviewPage")


class ReviewRejection(Schema):
    reason = Text(
        max_length=200,
        load_default=None,
        allow_none=True,
        metadata={"description": "Why, in words the member reads beside their review."},
    )


class ReviewIn(Schema):
    """A member's review as the mall's form sends it (every value as text)."""

    rating = QueryInteger(minimum=1, maximum=5, required=True)
    text = Text(max_length=REVIEW_TEXT, load_default="")
