"""The catalog: a tenant's categories and products, and finding products for members.

Products are written through the ORM (the tenant guard applies); their stock moves only
through `mall/sql.py`. Every change is audited.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import get_owned
from jifen.errors import ValidationFailed, refuse_total_too_large
from jifen.i18n import N_, Message
from jifen.mall import partners, sql
from jifen.mall.errors import (
    CategoryCycle,
    FlashSaleEnded,
    FlashSaleOverlap,
    StockBelowZero,
)
from jifen.mall.models import Category, FlashSale, Product
from jifen.mall.modes import RedeemModes, discounted
from jifen.members import TierView
from jifen.pagination import decode_cursor, page_of, read_page
from jifen.tenants import bump_revision
from jifen.types import new_id

# --- categories ----------------------------------------------------------------------


def get_category(session: Session, category_id: uuid.UUID) -> Category:
    return get_owned(session, Category, category_id, "category")


def list_categories(
    session: Session, *, limit: int, cursor: str | None = None
) -> tuple[list[Category], str | None]:
    """The tenant's categories in shelf order (parents name their children), a page at a
    time."""
    order = (Category.sort_order, Category.name, Category.id)
    return read_page(session.scalars, select(Category), order, (int, str, uuid.UUID), limit, cursor)


@dataclass
class CategoryNode:
    """A category and the categories under it, in shelf order."""

    category: Category
    children: list[CategoryNode]


def category_tree(
    session: Session, *, limit: int, cursor: str | None = None
) -> tuple[list[CategoryNode], str | None]:
    """A page of the top-level categories in shelf order, each with every category under
    it, and the next page's cursor. Read a level at a time: one query per depth."""
    order = (Category.sort_order, Category.name, Category.id)
    roots, next_cursor = read_page(
        session.scalars,
        select(Category).where(Category.parent_id.is_(None)),
        order,
        (int, str, uuid.UUID),
        limit,
        cursor,
    )
    nodes = {root.id: CategoryNode(root, []) for root in roots}
    level = list(nodes)
    while level:
        found: list[uuid.UUID] = []
        for start in range(0, len(level), 500):
            children = session.scalars(
                select(Category)
                .where(Category.parent_id.in_(level[start : start + 500]))
                .order_by(*order)
            )
            for child in children:
                if child.id not in nodes and child.parent_id in nodes:
                    nodes[child.id] = CategoryNode(child, [])
                    nodes[child.parent_id].children.append(nodes[child.id])
                    found.append(child.id)
        level = found
    return [nodes[root.id] for root in roots], next_cursor


def flatten(nodes: Sequence[CategoryNode], depth: int = 0) -> list[tuple[Category, int]]:
    """The categories of a tree in shelf order, each with its depth (0 at the top)."""
    flat: list[tuple[Category, int]] = []
    for node in nodes:
        flat.append((node.category, depth))
        flat.extend(flatten(node.children, depth + 1))
    return flat


def _descendants(session: Session, category_id: uuid.UUID) -> set[uuid.UUID]:
    """The category and every category under it."""
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for row in session.execute(select(Category.id, Category.parent_id)):
        children.setdefault(row.parent_id, []).append(row.id)
    found, todo = set(), [category_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, ()))
    return found


def create_category(
    session: Session, tenant_id: uuid.UUID, data: dict[str, Any], *, actor: Actor, clock: Clock
) -> Category:
    """A new category, under `parent_id` when given."""
    if data.get("parent_id") is not None:
        get_category(session, data["parent_id"])
    now = clock.now()
    category = Category(tenant_id=tenant_id, id=new_id(), created_at=now, updated_at=now, **data)
    session.add(category)
    session.flush()
    bump_revision(session, tenant_id)
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="category.create",
        object_type="category",
        object_id=category.id,
        after=_category_audit(category),
        now=now,
    )
    return category


def update_category(
    session: Session, category_id: uuid.UUID, changes: dict[str, Any], *, actor: Actor, clock: Clock
) -> Category:
    """Rename, reorder or move a category; it cannot move under itself."""
    category = get_category(session, category_id)
    before = _category_audit(category)
    parent_id = changes.get("parent_id")
    if parent_id is not None:
        get_category(session, parent_id)
        if parent_id in _descendants(session, category_id):
            raise CategoryCycle(details={"parent_id": str(parent_id)})
    for name, value in changes.items():
        setattr(category, name, value)
    category.updated_at = clock.now()
    session.flush()
    bump_revision(session, category.tenant_id)
    audit.record(
        session,
        tenant_id=category.tenant_id,
        actor=actor,
        action="category.update",
        object_type="category",
        object_id=category.id,
        before=before,
        after=_category_audit(category),
        now=category.updated_at,
    )
    return category


def move_category(
    session: Session, category_id: uuid.UUID, offset: int, *, actor: Actor, clock: Clock
) -> Category:
    """Move a category `offset` places among its siblings (negative: towards the top),
    stopping at either end. The siblings are numbered again in steps of 10, so that the
    order shown is the order kept."""
    category = get_category(session, category_id)
    siblings = list(
        session.scalars(
            select(Category)
            .where(
                Category.parent_id.is_(None)
                if category.parent_id is None
                else Category.parent_id == category.parent_id
            )
            .order_by(Category.sort_order, Category.name, Category.id)
        )
    )
    before = _category_audit(category)
    position = siblings.index(category) + offset
    siblings.remove(category)
    siblings.insert(max(0, min(len(siblings), position)), category)
    now = clock.now()
    for index, sibling in enumerate(siblings):
        if sibling.sort_order != index * 10:
            sibling.sort_order = index * 10
            sibling.updated_at = now
    session.flush()
    bump_revision(session, category.tenant_id)
    audit.record(
        session,
        tenant_id=category.tenant_id,
        actor=actor,
        action="category.move",
        object_type="category",
        object_id=category.id,
        before=before,
        after=_category_audit(category),
        now=now,
    )
    return category


def _category_audit(category: Category) -> dict[str, Any]:
    return {
        "name": category.name,
        "parent_id": str(category.parent_id) if category.parent_id else None,
        "sort_order": category.sort_order,
    }


# --- products ------------------------------------------------------------------------

# The kinds whose terms are kept in `Product.fulfilment`, under the kind's name.
KIND_TERMS = ("coupon", "service")
# What a product is made with unless given; a change starts from the stored values of
# these (and of the required fields).
DEFAULTS: dict[str, Any] = {
    "mode": "exchange",
    "status": "draft",
    "mode_params": {},
    "description": "",
    "category_id": None,
    "images": [],
    "tags": [],
    "cash_price": None,
    "currency": None,
    "listed_from": None,
    "listed_until": None,
    "limit_per_day": None,
    "limit_per_week": None,
    "limit_ever": None,
    "min_tier": None,
    "tier_discounts": None,
    "sort_order": 0,
    "bundle": None,
}
REQUIRED = ("kind", "name", "points_price")


def get_product(session: Session, product_id: uuid.UUID) -> Product:
    return get_owned(session, Product, product_id, "product")


def create_product(
    session: Session,
    tenant_id: uuid.UUID,
    data: dict[str, Any],
    *,
    modes: RedeemModes,
    tiers: list[TierView],
    actor: Actor,
    clock: Clock,
) -> Product:
    """A new product, checked as a whole: its kind's terms, its mode's settings, its
    category, tiers and window."""
    now = clock.now()
    fields = {**copy.deepcopy(DEFAULTS), **data}
    product = Product(
        tenant_id=tenant_id, id=new_id(), sold=0, fulfilment={}, created_at=now, updated_at=now
    )
    _apply(session, product, fields, modes=modes, tiers=tiers)
    session.add(product)
    session.flush()
    bump_revision(session, tenant_id)  # the mall's new row shows it at once
    _audit_product(session, product, actor, "product.create", None, now)
    return product


def update_product(
    session: Session,
    product_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    modes: RedeemModes,
    tiers: list[TierView],
    actor: Actor,
    clock: Clock,
) -> Product:
    """Change some of a product's fields; the result is checked as a whole. Stock moves
    through `change_stock`, never by setting it."""
    product = get_product(session, product_id)
    before = product_view(product)
    current = {name: getattr(product, name) for name in (*REQUIRED, *DEFAULTS)}
    current |= {kind: product.fulfilment.get(kind) for kind in KIND_TERMS}
    if "mode" in changes and "mode_params" not in changes:
        current["mode_params"] = {}
    _apply(session, product, current | changes, modes=modes, tiers=tiers)
    product.updated_at = clock.now()
    session.flush()
    bump_revision(session, product.tenant_id)
    _audit_product(session, product, actor, "product.update", before, product.updated_at)
    return product


def _apply(
    session: Session,
    product: Product,
    fields: dict[str, Any],
    *,
    modes: RedeemModes,
    tiers: list[TierView],
) -> None:
    errors: dict[str, list[str]] = {}
    kind = fields["kind"]
    terms = {}
    for field_kind in KIND_TERMS:
        value = fields.pop(field_kind, None)
        if kind == field_kind and value is None:
            errors[field_kind] = [Message(N_("Required for %(kind)s products."), {"kind": kind})]
        elif kind != field_kind and value is not None:
            errors[field_kind] = [Message(N_("Only for %(kind)s products."), {"kind": field_kind})]
        elif value is not None:
            terms[field_kind] = value
    mode = modes.get(fields["mode"])
    parsed = modes.parse(fields["mode"], fields["mode_params"])
    if parsed.get("partner_id") is not None:  # a co-branded item names its funder
        partners.get_partner(session, parsed["partner_id"])
    fields["mode_params"] = modes.stored(fields["mode"], parsed)
    if (fields.get("cash_price") is None) != (fields.get("currency") is None):
        errors["currency"] = [Message(N_("A cash price needs its currency, and only it."))]
    if fields.get("cash_price") is not None and not mode.takes_cash:
        errors["cash_price"] = [
            Message(N_("The %(mode)s mode takes no cash."), {"mode": mode.name})
        ]
    if fields.get("cash_price") is None and mode.takes_cash:
        errors["cash_price"] = [Message(N_("Required for the %(mode)s mode."), {"mode": mode.name})]
    if fields.get("currency") is not None:
        fields["currency"] = fields["currency"].upper()
    start, end = fields.get("listed_from"), fields.get("listed_until")
    if start is not None and end is not None and end <= start:
        errors["listed_until"] = [Message(N_("Must be after listed_from."))]
    known = {tier.code for tier in tiers}
    if fields.get("min_tier") is not None and fields["min_tier"] not in known:
        errors["min_tier"] = [
            Message(N_("No such tier; the tiers are %(tiers)s."), {"tiers": str(sorted(known))})
        ]
    unknown = sorted(set(fields.get("tier_discounts") or {}) - known)
    if unknown:
        errors["tier_discounts"] = [
            Message(N_("No such tiers: %(tiers)s."), {"tiers": str(unknown)})
        ]
    if fields.get("category_id") is not None:
        get_category(session, fields["category_id"])
    if fields.get("bundle") is not None:
        fields["bundle"] = _bundle(session, product, fields, errors)
    stock = fields.pop("stock", product.stock)
    if product.kind is not None and "virtual" in (product.kind, fields["kind"]):
        if product.kind != fields["kind"]:
            errors["kind"] = [
                Message(N_("A product cannot become virtual, or stop being virtual."))
            ]
    elif fields["kind"] == "virtual":  # a new virtual product
        if stock:
            errors["stock"] = [Message(N_("A virtual product's stock is its codes: upload them."))]
        stock = 0
    if errors:
        raise ValidationFailed(details=errors)
    for name, value in fields.items():
        setattr(product, name, value)
    product.stock = stock
    product.fulfilment = terms


def _bundle(
    session: Session, product: Product, fields: dict[str, Any], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """A bundle's parts, checked: distinct physical products that are no bundles."""
    parts = fields["bundle"]
    if fields["kind"] != "physical":
        errors["bundle"] = [Message(N_("Only physical products are bundles."))]
    # Stored parts name their products as text: one type for comparing.
    ids = [uuid.UUID(str(part["product_id"])) for part in parts]
    if len(set(ids)) != len(ids) or product.id in ids:
        errors["bundle"] = [Message(N_("Each part once, and not the bundle itself."))]
    for part_id in ids:
        part = get_product(session, part_id)
        if part.kind != "physical" or part.bundle:
            errors["bundle"] = [Message(N_("Parts are physical products, not bundles."))]
    return [{"product_id": str(p["product_id"]), "quantity": p["quantity"]} for p in parts]


def change_stock(
    session: Session, product_id: uuid.UUID, change: int, *, actor: Actor, clock: Clock
) -> Product:
    """Add units to a product's stock, or remove them (never below zero), in one
    conditional update: it is safe while members are ordering."""
    product = get_product(session, product_id)
    if product.stock is None:
        raise ValidationFailed(
            N_("This product's stock is unlimited."), details={"stock": [Message(N_("Unlimited."))]}
        )
    if product.kind == "virtual":
        raise ValidationFailed(
            N_("A virtual product's stock is its codes: upload them."),
            details={"stock": [Message(N_("Follows the codes."))]},
        )
    if not sql.restock(session.connection(), product.tenant_id, product.id, change):
        refuse_total_too_large("stock", product.stock + change)
        raise StockBelowZero(details={"stock": product.stock, "change": change})
    session.refresh(product)
    bump_revision(session, product.tenant_id)
    audit.record(
        session,
        tenant_id=product.tenant_id,
        actor=actor,
        action="product.stock",
        object_type="product",
        object_id=product.id,
        after={"change": change, "stock": product.stock},
        now=clock.now(),
    )
    return product


def _audit_product(
    session: Session,
    product: Product,
    actor: Actor,
    action: str,
    before: dict[str, Any] | None,
    now: datetime,
) -> None:
    after = product_view(product)
    audit.record(
        session,
        tenant_id=product.tenant_id,
        actor=actor,
        action=action,
        object_type="product",
        object_id=product.id,
        before=_jsonable(before) if before else None,
        after=_jsonable(after),
        now=now,
    )


def _jsonable(view: dict[str, Any]) -> dict[str, Any]:
    return {
        key: str(value) if isinstance(value, uuid.UUID | datetime) else value
        for key, value in view.items()
    }


def product_view(product: Product, *, member_price: int | None = None) -> dict[str, Any]:
    """A product as the API shows it; `member_price` when priced for a member."""
    view = {
        column.key: getattr(product, column.key)
        for column in Product.__table__.columns
        if column.key not in ("tenant_id", "fulfilment")
    }
    view |= {kind: product.fulfilment.get(kind) for kind in KIND_TERMS}
    if member_price is not None:
        view["member_price"] = member_price
    return view


# --- finding products ----------------------------------------------------------------


@dataclass(frozen=True)
class Buyer:
    """A member the catalog is priced for: their tier and the points they can spend now."""

    tier: TierView | None
    balance: int


class Priced(Protocol):
    """What prices a product for a member: a Product, or a page's copy of its prices."""

    @property
    def points_price(self) -> int: ...

    @property
    def tier_discounts(self) -> dict[str, int] | None: ...


def discount_for(product: Priced, tier: TierView | None) -> int:
    """The percent off this product's points price for a member of `tier`."""
    if tier is None:
        return 0
    if product.tier_discounts is not None:
        return int(product.tier_discounts.get(tier.code, 0))
    return tier.redemption_discount_percent


def unit_price(product: Priced, tier: TierView | None, sale_price: int | None = None) -> int:
    """What one costs a member of `tier`: a running flash sale's price (final, no tier
    discount on top), else the points price less the tier's discount."""
    if sale_price is not None:
        return sale_price
    return discounted(product.points_price, discount_for(product, tier))


def sale_prices(
    session: Session, product_ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, int]:
    """The price of each of these products' flash sale running now, if it has one."""
    if not product_ids:
        return {}
    rows = session.execute(
        select(FlashSale.product_id, FlashSale.points_price).where(
            FlashSale.product_id.in_(product_ids),
            FlashSale.starts_at <= now,
            FlashSale.ends_at > now,
        )
    )
    return {product_id: price for product_id, price in rows}


@dataclass(frozen=True)
class SaleWindow:
    product_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    points_price: int


def sales_ending_after(session: Session, now: datetime) -> list[SaleWindow]:
    """The tenant's flash sales running at `now` or to come: the schedule that prices
    its products at any later instant (`running_prices`)."""
    rows = session.execute(
        select(FlashSale.product_id, FlashSale.starts_at, FlashSale.ends_at, FlashSale.points_price)
        .where(FlashSale.ends_at > now)
        .order_by(FlashSale.starts_at)
    )
    return [SaleWindow(*row) for row in rows]


def running_prices(schedule: Sequence[SaleWindow], now: datetime) -> dict[uuid.UUID, int]:
    """The price of each product whose flash sale in `schedule` runs at `now` (the same
    as `sale_prices` reads, for every product at once)."""
    return {s.product_id: s.points_price for s in schedule if s.starts_at <= now < s.ends_at}


def name_matches(q: str) -> list[ColumnElement[bool]]:
    """The conditions for a product whose name holds every word of `q` (any case)."""
    conditions: list[ColumnElement[bool]] = []
    for word in q.split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Product.name.ilike(f"%{escaped}%", escape="\\"))
    return conditions


def search_products(
    session: Session,
    *,
    now: datetime,
    buyer: Buyer | None = None,
    q: str | None = None,
    category_id: uuid.UUID | None = None,
    kind: str | None = None,
    mode: str | None = None,
    tag: str | None = None,
    status: str | None = None,
    min_points: int | None = None,
    max_points: int | None = None,
    affordable: bool = False,
    on_sale: bool = False,
    drawn_modes: Sequence[str] = (),
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Product], str | None]:
    """Products matching every filter, in shelf order (sort order, then age), and the
    next page's cursor. Prices filter on the points price before tier discounts, except
    `affordable`, which keeps what the buyer can pay for now at their own price."""
    query: Select[Product] = select(Product)
    if q is not None:
        query = query.where(*name_matches(q))
    if category_id is not None:
        query = query.where(Product.category_id.in_(_descendants(session, category_id)))
    if kind is not None:
        query = query.where(Product.kind == kind)
    if mode is not None:
        query = query.where(Product.mode == mode)
    if status is not None:
        query = query.where(Product.status == status)
    if min_points is not None:
        query = query.where(Product.points_price >= min_points)
    if max_points is not None:
        query = query.where(Product.points_price <= max_points)
    if on_sale:
        query = query.where(*on_sale_now(now, drawn_modes))
    query = query.order_by(Product.sort_order, Product.id)
    after = decode_cursor(cursor, int, uuid.UUID) if cursor is not None else None
    found: list[Product] = []
    # Tags and affordability are checked here (JSON tags and per-tier prices have no
    # portable index): a page is filled from as many rows as it takes.
    while len(found) <= limit:
        page = query
        if after is not None:
            page = page.where(
                or_(
                    Product.sort_order > after[0],
                    and_(Product.sort_order == after[0], Product.id > after[1]),
                )
            )
        rows = list(session.scalars(page.limit(limit + 1)))
        sales = sale_prices(session, [p.id for p in rows], now) if affordable else {}
        for product in rows:
            if tag is not None and tag not in product.tags:
                continue
            price = unit_price(product, buyer.tier, sales.get(product.id)) if buyer else 0
            if affordable and buyer is not None and price > buyer.balance:
                continue
            found.append(product)
        if len(rows) <= limit:
            break
        after = (rows[-1].sort_order, rows[-1].id)
    return page_of(found, limit, lambda product: (product.sort_order, product.id))


def product_names(session: Session, product_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of these products (a page's worth), by id."""
    if not product_ids:
        return {}
    rows = session.execute(select(Product.id, Product.name).where(Product.id.in_(set(product_ids))))
    return {product_id: name for product_id, name in rows}


def featured(
    session: Session, *, now: datetime, by: str, limit: int, drawn_modes: Sequence[str] = ()
) -> list[Product]:
    """Products on sale now, the most redeemed first (`by="popular"`) or the newest."""
    # Each order is one of the products' indexes, read backwards: six rows, no sort.
    order = (
        (Product.sold.desc(), Product.id.desc())
        if by == "popular"
        else (Product.created_at.desc(),)
    )
    query = select(Product).where(*on_sale_now(now, drawn_modes)).order_by(*order).limit(limit)
    return list(session.scalars(query))


def on_sale_now(now: datetime, drawn_modes: Sequence[str]) -> tuple[Any, ...]:
    """What a product on sale now is: active, within its window, with stock left."""
    return (
        Product.status == "active",
        or_(Product.listed_from.is_(None), Product.listed_from <= now),
        or_(Product.listed_until.is_(None), Product.listed_until > now),
        # A lottery is drawn whatever its stock (the goods it may give).
        or_(Product.stock.is_(None), Product.stock > 0, Product.mode.in_(drawn_modes)),
    )


# --- flash sales ---------------------------------------------------------------------


def create_flash_sale(
    session: Session,
    product_id: uuid.UUID,
    data: dict[str, Any],
    *,
    actor: Actor,
    clock: Clock,
) -> FlashSale:
    """A flash-sale window for a product: its price and its own stock; windows of one
    product may not overlap."""
    product = get_product(session, product_id)
    if data["ends_at"] <= data["starts_at"]:
        raise ValidationFailed(details={"ends_at": [Message(N_("Must be after starts_at."))]})
    clash = sql.overlapping_sale(
        session.connection(), product.tenant_id, product.id, data["starts_at"], data["ends_at"]
    )
    if clash is not None:
        raise FlashSaleOverlap(details={"flash_sale_id": str(clash.id)})
    now = clock.now()
    sale = FlashSale(
        tenant_id=product.tenant_id,
        id=new_id(),
        product_id=product.id,
        sold=0,
        created_at=now,
        **data,
    )
    session.add(sale)
    session.flush()
    bump_revision(session, product.tenant_id)  # the mall's pages keep the schedule
    audit.record(
        session,
        tenant_id=product.tenant_id,
        actor=actor,
        action="flash_sale.create",
        object_type="product",
        object_id=product.id,
        after=_jsonable({**data, "flash_sale_id": sale.id}),
        now=now,
    )
    return sale


def flash_sales_of(
    session: Session, product_id: uuid.UUID, *, limit: int, cursor: str | None = None
) -> tuple[list[FlashSale], str | None]:
    """A page of the product's flash sales, latest first."""
    product = get_product(session, product_id)
    return read_page(
        session.scalars,
        select(FlashSale).where(FlashSale.product_id == product.id),
        (FlashSale.starts_at, FlashSale.id),
        (datetime, uuid.UUID),
        limit,
        cursor,
        descending=True,
    )


FLASH_SALE_STATES = ("running", "upcoming", "ended")


def get_flash_sale(session: Session, sale_id: uuid.UUID) -> FlashSale:
    return get_owned(session, FlashSale, sale_id, "flash_sale")


def list_flash_sales(
    session: Session,
    *,
    now: datetime,
    state: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[FlashSale], str | None]:
    """A page of the tenant's flash sales of every product, latest start first;
    `state` keeps those running at `now`, still to come, or ended."""
    query = select(FlashSale)
    if state == "running":
        query = query.where(FlashSale.starts_at <= now, FlashSale.ends_at > now)
    elif state == "upcoming":
        query = query.where(FlashSale.starts_at > now)
    elif state == "ended":
        query = query.where(FlashSale.ends_at <= now)
    return read_page(
        session.scalars,
        query,
        (FlashSale.starts_at, FlashSale.id),
        (datetime, uuid.UUID),
        limit,
        cursor,
        descending=True,
    )


def end_flash_sale(session: Session, sale_id: uuid.UUID, *, actor: Actor, clock: Clock) -> str:
    """End a flash sale now: a running one stops selling (its window closes now), one
    that has not started and sold nothing is called off (removed). "ended" or
    "called_off"; `FlashSaleEnded` for one whose window has closed already."""
    sale = get_flash_sale(session, sale_id)
    now = clock.now()
    if sale.ends_at <= now:
        raise FlashSaleEnded(details={"ends_at": sale.ends_at.isoformat()})
    before = _jsonable(_sale_audit(sale))
    if sale.starts_at > now and sale.sold == 0:
        session.delete(sale)
        outcome = "called_off"
    else:
        # The window must stay non-empty (a sale that started this very instant).
        sale.ends_at = max(now, sale.starts_at + timedelta(microseconds=1))
        outcome = "ended"
    session.flush()
    bump_revision(session, sale.tenant_id)  # the mall's pages keep the schedule
    audit.record(
        session,
        tenant_id=sale.tenant_id,
        actor=actor,
        action=f"flash_sale.{'cancel' if outcome == 'called_off' else 'end'}",
        object_type="product",
        object_id=sale.product_id,
        before=before,
        after=None if outcome == "called_off" else _jsonable(_sale_audit(sale)),
        now=now,
    )
    return outcome


def _sale_audit(sale: FlashSale) -> dict[str, Any]:
    return {
        "flash_sale_id": sale.id,
        "starts_at": sale.starts_at,
        "ends_at": sale.ends_at,
        "points_price": sale.points_price,
        "stock": sale.stock,
        "sold": sale.sold,
    }
