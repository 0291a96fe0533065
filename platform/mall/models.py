"""The mall's tables: a tenant's categories and products (with their stock), and the
orders members place, with every change of an order's status."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from jifen.db import Base, TenantScoped
from jifen.types import ID, Json, UTCDateTime

PRODUCT_KINDS = ("physical", "virtual", "coupon", "service")
PRODUCT_STATUSES = ("draft", "active", "archived")


class Category(TenantScoped, Base):
    """A shelf of the catalog; categories nest."""

    __tablename__ = "mall_categories"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "parent_id"], ["mall_categories.tenant_id", "mall_categories.id"]
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Product(TenantScoped, Base):
    """Something members can redeem: its kind (what is delivered), its redemption mode
    (how it is paid for) and price, stock, listing window, limits and audience.

    `stock` is what is left (None: unlimited) and `sold` what went out; both change only
    through one conditional UPDATE each (`mall/sql.py`), so concurrent orders never take
    more than there is.
    """

    __tablename__ = "products"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "category_id"], ["mall_categories.tenant_id", "mall_categories.id"]
        ),
        CheckConstraint("stock IS NULL OR stock >= 0", name="ck_products_stock"),
        CheckConstraint("sold >= 0", name="ck_products_sold"),
        CheckConstraint("points_price >= 0", name="ck_products_points_price"),
        Index("ix_products_shelf", "tenant_id", "status", "sort_order"),
        Index("ix_products_category", "tenant_id", "category_id"),
        # The mall's popular and new rows (jifen.mall.catalog.featured).
        Index("ix_products_popular", "tenant_id", "sold", "id"),
        Index("ix_products_new", "tenant_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(32))
    mode_params: Mapped[dict[str, Any]] = mapped_column(Json)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(4000), default="")
    category_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    images: Mapped[list[str]] = mapped_column(Json)
    tags: Mapped[list[str]] = mapped_column(Json)
    # What one unit costs before tier discounts: points, and money in minor units.
    points_price: Mapped[int] = mapped_column(BigInteger)
    cash_price: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    stock: Mapped[int | None] = mapped_column(BigInteger)
    sold: Mapped[int] = mapped_column(BigInteger, default=0)
    listed_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    listed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Units one member may take per tenant-local day, per week (Monday first), ever.
    limit_per_day: Mapped[int | None] = mapped_column(BigInteger)
    limit_per_week: Mapped[int | None] = mapped_column(BigInteger)
    limit_ever: Mapped[int | None] = mapped_column(BigInteger)
    # Members below this tier cannot redeem it (a tier-exclusive item).
    min_tier: Mapped[str | None] = mapped_column(String(32))
    # {tier code: percent off the points price}; None: each tier's own redemption discount.
    tier_discounts: Mapped[dict[str, int] | None] = mapped_column(Json)
    # What the kind needs: a coupon's definition, a service's booking link.
    fulfilment: Mapped[dict[str, Any]] = mapped_column(Json)
    # A bundle (套装): [{"product_id": ..., "quantity": n}] of physical products whose
    # stock each unit takes too.
    bundle: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


ORDER_STATUSES = (
    "created",
    "awaiting_payment",
    "awaiting_address",
    "paid",
    "fulfilled",
    "completed",
    "cancelled",
    "refunded",
)


class Order(TenantScoped, Base):
    """A member's redemption of a product, through one state machine for every kind and
    mode (see `jifen.mall.orders`)."""

    __tablename__ = "orders"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        ForeignKeyConstraint(["tenant_id", "member_id"], ["members.tenant_id", "members.id"]),
        CheckConstraint("quantity > 0", name="ck_orders_quantity"),
        CheckConstraint("points >= 0", name="ck_orders_points"),
        Index("ix_orders_member", "tenant_id", "member_id", "product_id", "local_day"),
        Index("ix_orders_status", "tenant_id", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ID)
    product_id: Mapped[uuid.UUID] = mapped_column(ID)
    # The flash sale it was bought in: its price, its own stock and limit.
    flash_sale_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(BigInteger)
    cash: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    # The ledger's side: the entry that spent the points, or the hold reserving them;
    # and the entry that gave them back.
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    hold_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    refund_entry_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    # The shipping address, encrypted (personal data); the merchant's delivery record
    # (carrier and tracking number, an issued code or coupon); what the mode recorded.
    address: Mapped[str | None] = mapped_column(String(4000))
    delivery: Mapped[dict[str, Any] | None] = mapped_column(Json)
    details: Mapped[dict[str, Any]] = mapped_column(Json)
    # The tenant-local day it was placed on: per-member limits count by it.
    local_day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderEvent(TenantScoped, Base):
    """One step of an order's life: the status it reached, who moved it, and why."""

    __tablename__ = "order_events"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"], ondelete="CASCADE"
        ),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[dict[str, Any] | None] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


AFTER_SALES_KINDS = ("not_received", "damaged", "wrong_item", "other")
AFTER_SALES_STATUSES = ("open", "resolved", "declined")


class AfterSalesRequest(TenantScoped, Base):
    """A member's request for help with an order whose goods shipped (售后): what went
    wrong, in their words, and the merchant's reply, which the member reads on the
    order's page. An order has at most one open at a time (`ux_after_sales_open`)."""

    __tablename__ = "after_sales_requests"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        ForeignKeyConstraint(["tenant_id", "member_id"], ["members.tenant_id", "members.id"]),
        CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="ck_after_sales_closed"),
        Index(
            "ux_after_sales_open",
            "tenant_id",
            "order_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_after_sales_order", "tenant_id", "order_id"),
        Index("ix_after_sales_member", "tenant_id", "member_id"),
        Index("ix_after_sales_status", "tenant_id", "status", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ID)
    member_id: Mapped[uuid.UUID] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(16))
    # In the member's words (required for `other`), and the merchant's answer to them.
    description: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    reply: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When it was resolved or declined, and who did it (a refund of the order resolves it).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_kind: Mapped[str | None] = mapped_column(String(16))
    closed_by_id: Mapped[str | None] = mapped_column(String(64))


COUPON_KINDS = ("coupon", "voucher")
COUPON_STATUSES = ("issued", "redeemed", "void")


class Coupon(TenantScoped, Base):
    """A code an order issued: a coupon for the merchant's checkout, or a service
    voucher. Codes are unique within the tenant; `terms` are the product's at issue."""

    __tablename__ = "coupons"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        UniqueConstraint("tenant_id", "code", name="uq_coupons_code"),
        Index("ix_coupons_order", "tenant_id", "order_id"),
        Index("ix_coupons_member", "tenant_id", "member_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[uuid.UUID] = mapped_column(ID)
    member_id: Mapped[uuid.UUID] = mapped_column(ID)
    product_id: Mapped[uuid.UUID] = mapped_column(ID)
    terms: Mapped[dict[str, Any]] = mapped_column(Json)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The merchant's checkout order it was used on, the order's amount and the discount.
    redemption: Mapped[dict[str, Any] | None] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Partner(TenantScoped, Base):
    """A brand that funds co-branded items: its budget and what redemptions have used of
    it, in minor units of its currency (settled with the merchant later)."""

    __tablename__ = "partners"
    __table_args__ = (CheckConstraint("used >= 0 AND used <= budget", name="ck_partners_budget"),)

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    budget: Mapped[int] = mapped_column(BigInteger)
    used: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LotteryPeriod(TenantScoped, Base):
    """A draw period of a lottery product. Its seed's sha256 is published before the
    period starts and the seed itself (kept encrypted) once it has ended, so anyone can
    recompute every draw of it. `draws` numbers the period's draws."""

    __tablename__ = "lottery_periods"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(10), primary_key=True)  # its first local day
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seed: Mapped[str] = mapped_column(String(500))
    seed_hash: Mapped[str] = mapped_column(String(64))
    draws: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LotteryPrize(TenantScoped, Base):
    """How many of a lottery prize have been won (its stock is in the product's table)."""

    __tablename__ = "lottery_prizes"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        CheckConstraint("won >= 0", name="ck_lottery_prizes_won"),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    won: Mapped[int] = mapped_column(BigInteger, default=0)


class LotteryDraw(TenantScoped, Base):
    """Draw `n` of a period: the prize the draw picked, and the one given (the
    consolation prize when the picked one had run out)."""

    __tablename__ = "lottery_draws"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id", "period"],
            ["lottery_periods.tenant_id", "lottery_periods.product_id", "lottery_periods.key"],
        ),
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ID)
    member_id: Mapped[uuid.UUID] = mapped_column(ID)
    drawn: Mapped[str] = mapped_column(String(32))
    prize: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ModeCounter(TenantScoped, Base):
    """A redeem mode's own counter under a key it chooses (numbered editions, stamps,
    draws): moved only by conditional updates, so concurrent orders get distinct values."""

    __tablename__ = "mode_counters"
    __table_args__ = (CheckConstraint("value >= 0", name="ck_mode_counters_value"),)

    mode: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


# requested -> pending -> succeeded | failed | expired | cancelled; succeeded ->
# refunding -> refunded (see `jifen.mall.payments`).
PAYMENT_STATUSES = (
    "requested",
    "pending",
    "succeeded",
    "failed",
    "expired",
    "cancelled",
    "refunding",
    "refunded",
)


class Payment(TenantScoped, Base):
    """Money a member pays through a payment provider: the cash part of a
    points-plus-cash order, or a points top-up. Points move only once it succeeded."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_payments_amount"),
        Index("ix_payments_due", "tenant_id", "status", "expires_at"),
        Index("ix_payments_order", "tenant_id", "order_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(16))  # "order" or "topup"
    order_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    member_id: Mapped[uuid.UUID] = mapped_column(ID)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # For a top-up: the points it buys.
    points: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    # The provider's own reference, and what it tells the member (where to pay).
    reference: Mapped[str | None] = mapped_column(String(128))
    instructions: Mapped[str | None] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MallSettings(TenantScoped, Base):
    """A tenant's mall settings: how members pay cash, what points are worth at the
    merchant's own checkout, whether members may buy points, and when their reviews
    are shown."""

    __tablename__ = "mall_settings"

    payment_provider: Mapped[str] = mapped_column(String(32))
    payment_minutes: Mapped[int] = mapped_column(Integer)
    # At the checkout (积分抵扣): `checkout_rate` points are worth one currency unit
    # (100 = 1.00 yuan); points are used in multiples of `checkout_step`, for at most
    # `checkout_cap_percent` of the order.
    checkout_rate: Mapped[int] = mapped_column(Integer)
    checkout_step: Mapped[int] = mapped_column(Integer)
    checkout_cap_percent: Mapped[int] = mapped_column(Integer)
    # Top-ups: members buy `topup_rate` points per currency unit, when enabled.
    topup_enabled: Mapped[bool] = mapped_column(Boolean)
    topup_rate: Mapped[int] = mapped_column(Integer)
    # Members' reviews: "before", each waits for the merchant; "after", shown at once
    # (the merchant may still reject it).
    review_moderation: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


AUTHORIZATION_STATUSES = ("authorized", "captured", "voided", "expired", "refunded")


class CheckoutAuthorization(TenantScoped, Base):
    """Points set aside at the merchant's own checkout (积分抵扣), like a card
    authorisation: captured when the order is paid, voided when it is abandoned, and
    refunded (in parts) when goods come back. One per checkout order (`order_ref`)."""

    __tablename__ = "checkout_authorizations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_ref", name="uq_checkout_order_ref"),
        CheckConstraint("points > 0", name="ck_checkout_points"),
        CheckConstraint(
            "captured >= 0 AND captured <= points AND refunded >= 0 AND refunded <= captured",
            name="ck_checkout_amounts",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ID)
    order_ref: Mapped[str] = mapped_column(String(128))
    order_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    points: Mapped[int] = mapped_column(BigInteger)
    # What the points are worth off the order, in minor units.
    value: Mapped[int] = mapped_column(BigInteger)
    captured: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16))
    hold_id: Mapped[uuid.UUID] = mapped_column(ID)
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlashSale(TenantScoped, Base):
    """A window in which a product sells at a special points price from stock of its
    own (秒杀), with an optional limit per member. Windows of one product never overlap."""

    __tablename__ = "flash_sales"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        CheckConstraint("stock >= 0 AND sold >= 0", name="ck_flash_sales_stock"),
        CheckConstraint("ends_at > starts_at", name="ck_flash_sales_window"),
        Index("ix_flash_sales_product", "tenant_id", "product_id", "starts_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ID)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    points_price: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(BigInteger)
    sold: Mapped[int] = mapped_column(BigInteger, default=0)
    limit_per_member: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProductCode(TenantScoped, Base):
    """One code of a virtual product's pool (a game card, a membership): encrypted at
    rest and shown only with the order it was issued to; a keyed hash finds duplicates."""

    __tablename__ = "product_codes"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        UniqueConstraint("tenant_id", "product_id", "code_hash", name="uq_product_codes_code"),
        Index("ix_product_codes_free", "tenant_id", "product_id", "order_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ID)
    code: Mapped[str] = mapped_column(String(500))
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Recommendation(TenantScoped, Base):
    """Members who redeemed `product_id` also redeemed `related_id`: how many did, over
    the last `jifen.mall.recommendations.WINDOW` (computed by a periodic job)."""

    __tablename__ = "recommendations"

    product_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    related_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    members: Mapped[int] = mapped_column(Integer)


REVIEW_STATUSES = ("pending", "published", "rejected")
REVIEW_TEXT = 500  # the most characters a review's text holds


class Review(TenantScoped, Base):
    """A member's review of what one of their orders brought (one per order): a rating of
    1 to 5 and words, shown on the product's page once `published` (see
    `jifen.mall.reviews`). Who moderated it is an actor, as on an order's steps."""

    __tablename__ = "reviews"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        ForeignKeyConstraint(["tenant_id", "member_id"], ["members.tenant_id", "members.id"]),
        UniqueConstraint("tenant_id", "order_id", name="uq_reviews_order"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews_rating"),
        # The product's page (its published reviews, latest first), the merchant's
        # moderation queue, and the member's own.
        Index("ix_reviews_product", "tenant_id", "product_id", "status", "created_at"),
        Index("ix_reviews_queue", "tenant_id", "status", "created_at"),
        Index("ix_reviews_member", "tenant_id", "member_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ID)
    product_id: Mapped[uuid.UUID] = mapped_column(ID)
    member_id: Mapped[uuid.UUID] = mapped_column(ID)
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(String(REVIEW_TEXT))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderator_kind: Mapped[str | None] = mapped_column(String(16))
    moderator_id: Mapped[str | None] = mapped_column(String(64))
    rejection_reason: Mapped[str | None] = mapped_column(String(200))
