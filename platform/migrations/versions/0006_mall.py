"""The mall: categories, products with their stock, orders and their history, and the
coupons and service vouchers orders issue.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import enable_tenant_rls
from jifen.types import ID, Json, UTCDateTime

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "mall_categories",
    "products",
    "orders",
    "coupons",
    "order_events",
    "partners",
    "lottery_periods",
    "lottery_prizes",
    "lottery_draws",
    "payments",
    "mall_settings",
    "checkout_authorizations",
    "flash_sales",
    "product_codes",
)


def upgrade() -> None:
    op.create_table(
        "mall_categories",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("parent_id", ID(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["mall_categories.tenant_id", "mall_categories.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_table(
        "products",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("mode_params", Json, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column("category_id", ID(), nullable=True),
        sa.Column("images", Json, nullable=False),
        sa.Column("tags", Json, nullable=False),
        sa.Column("points_price", sa.BigInteger(), nullable=False),
        sa.Column("cash_price", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("stock", sa.BigInteger(), nullable=True),
        sa.Column("sold", sa.BigInteger(), nullable=False),
        sa.Column("listed_from", UTCDateTime(), nullable=True),
        sa.Column("listed_until", UTCDateTime(), nullable=True),
        sa.Column("limit_per_day", sa.Integer(), nullable=True),
        sa.Column("limit_per_week", sa.Integer(), nullable=True),
        sa.Column("limit_ever", sa.Integer(), nullable=True),
        sa.Column("min_tier", sa.String(length=32), nullable=True),
        sa.Column("tier_discounts", Json, nullable=True),
        sa.Column("fulfilment", Json, nullable=False),
        sa.Column("bundle", Json, nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("points_price >= 0", name="ck_products_points_price"),
        sa.CheckConstraint("sold >= 0", name="ck_products_sold"),
        sa.CheckConstraint("stock IS NULL OR stock >= 0", name="ck_products_stock"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "category_id"],
            ["mall_categories.tenant_id", "mall_categories.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index("ix_products_category", ["tenant_id", "category_id"], unique=False)
        batch_op.create_index(
            "ix_products_shelf", ["tenant_id", "status", "sort_order"], unique=False
        )

    op.create_table(
        "orders",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("member_id", ID(), nullable=False),
        sa.Column("product_id", ID(), nullable=False),
        sa.Column("flash_sale_id", ID(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("cash", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entry_id", ID(), nullable=True),
        sa.Column("hold_id", ID(), nullable=True),
        sa.Column("refund_entry_id", ID(), nullable=True),
        sa.Column("address", sa.String(length=4000), nullable=True),
        sa.Column("delivery", Json, nullable=True),
        sa.Column("details", Json, nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("points >= 0", name="ck_orders_points"),
        sa.CheckConstraint("quantity > 0", name="ck_orders_quantity"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_member", ["tenant_id", "member_id", "product_id", "local_day"], unique=False
        )
        batch_op.create_index(
            "ix_orders_status", ["tenant_id", "status", "created_at"], unique=False
        )

    op.create_table(
        "coupons",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("order_id", ID(), nullable=False),
        sa.Column("member_id", ID(), nullable=False),
        sa.Column("product_id", ID(), nullable=False),
        sa.Column("terms", Json, nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("redeemed_at", UTCDateTime(), nullable=True),
        sa.Column("redemption", Json, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["orders.tenant_id", "orders.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_coupons_code"),
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coupons_member", ["tenant_id", "member_id", "status"], unique=False
        )
        batch_op.create_index("ix_coupons_order", ["tenant_id", "order_id"], unique=False)

    op.create_table(
        "order_events",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("order_id", ID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("note", Json, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "order_id", "seq"),
    )
    op.create_table(
        "partners",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("used >= 0 AND used <= budget", name="ck_partners_budget"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_table(
        "lottery_periods",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("product_id", ID(), nullable=False),
        sa.Column("key", sa.String(length=10), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("seed", sa.String(length=500), nullable=False),
        sa.Column("seed_hash", sa.String(length=64), nullable=False),
        sa.Column("draws", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "product_id", "key"),
    )
    op.create_table(
        "lottery_prizes",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("product_id", ID(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("won", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("won >= 0", name="ck_lottery_prizes_won"),
        sa.ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "product_id", "code"),
    )
    op.create_table(
        "lottery_draws",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("product_id", ID(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("order_id", ID(), nullable=False),
        sa.Column("member_id", ID(), nullable=False),
        sa.Column("drawn", sa.String(length=32), nullable=False),
        sa.Column("prize", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id", "period"],
            ["lottery_periods.tenant_id", "lottery_periods.product_id", "lottery_periods.key"],
        ),
        sa.ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "product_id", "period", "n"),
    )
    op.create_table(
        "payments",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("order_id", ID(), nullable=True),
        sa.Column("member_id", ID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("instructions", sa.String(length=500), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_payments_amount"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_due", ["tenant_id", "status", "expires_at"])
        batch_op.create_index("ix_payments_order", ["tenant_id", "order_id"])
    op.create_table(
        "mall_settings",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("payment_provider", sa.String(length=32), nullable=False),
        sa.Column("payment_minutes", sa.Integer(), nullable=False),
        sa.Column("checkout_rate", sa.Integer(), nullable=False),
        sa.Column("checkout_step", sa.Integer(), nullable=False),
        sa.Column("checkout_cap_percent", sa.Integer(), nullable=False),
        sa.Column("topup_enabled", sa.Boolean(), nullable=False),
        sa.Column("topup_rate", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "checkout_authorizations",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("member_id", ID(), nullable=False),
        sa.Column("order_ref", sa.String(length=128), nullable=False),
        sa.Column("order_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("captured", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hold_id", ID(), nullable=False),
        sa.Column("entry_id", ID(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("points > 0", name="ck_checkout_points"),
        sa.CheckConstraint(
            "captured >= 0 AND captured <= points AND refunded >= 0 AND refunded <= captured",
            name="ck_checkout_amounts",
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.UniqueConstraint("tenant_id", "order_ref", name="uq_checkout_order_ref"),
    )
    op.create_table(
        "flash_sales",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("product_id", ID(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("points_price", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.BigInteger(), nullable=False),
        sa.Column("sold", sa.BigInteger(), nullable=False),
        sa.Column("limit_per_member", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("stock >= 0 AND sold >= 0", name="ck_flash_sales_stock"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_flash_sales_window"),
        sa.ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("flash_sales", schema=None) as batch_op:
        batch_op.create_index("ix_flash_sales_product", ["tenant_id", "product_id", "starts_at"])
    op.create_table(
        "product_codes",
        sa.Column("tenant_id", ID(), nullable=False),
        sa.Column("id", ID(), nullable=False),
        sa.Column("product_id", ID(), nullable=False),
        sa.Column("code", sa.String(length=500), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("order_id", ID(), nullable=True),
        sa.Column("issued_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.UniqueConstraint("tenant_id", "product_id", "code_hash", name="uq_product_codes_code"),
    )
    with op.batch_alter_table("product_codes", schema=None) as batch_op:
        batch_op.create_index("ix_product_codes_free", ["tenant_id", "product_id", "order_id"])
    for table in TENANT_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    op.drop_table("product_codes")
    op.drop_table("flash_sales")
    op.drop_table("checkout_authorizations")
    op.drop_table("mall_settings")
    op.drop_table("payments")
    op.drop_table("lottery_draws")
    op.drop_table("lottery_prizes")
    op.drop_table("lottery_periods")
    op.drop_table("partners")
    op.drop_table("order_events")
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index("ix_coupons_order")
        batch_op.drop_index("ix_coupons_member")

    op.drop_table("coupons")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_status")
        batch_op.drop_index("ix_orders_member")

    op.drop_table("orders")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index("ix_products_shelf")
        batch_op.drop_index("ix_products_category")

    op.drop_table("products")
    op.drop_table("mall_categories")
