"""The mall's shelves: products found by words, category, kind and points, and a
product's own page, priced for the signed-in member (their tier's discount, a flash
sale's price) with what limits its redemption."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from jifen.errors import JifenError
from jifen.field_messages import field_messages, rendered
from jifen.mall import catalog, lottery, orders, sql
from jifen.mall.models import PRODUCT_KINDS, FlashSale, Product
from jifen.mall.schemas import QueryInteger
from jifen.members import TierView
from jifen.members.models import Member
from jifen.pagination import MAX_CURSOR
from jifen.storefront.mall import (
    balance_of,
    bp,
    ladder,
    mall,
    next_page,
    product_on_sale,
    render,
    signed_in_member,
    tier_of,
)
from jifen.storefront.reviews import product_summary
from jifen.tenants import revisions
from jifen.types import Text
from jifen.web import db_session, services

PAGE = 20  # products a shelf shows at a time
CATEGORIES = 100  # the most categories the filter offers


class ShelfQuery(Schema):
    """A shelf's filters, as its form sends them (an empty field is no filter)."""

    class Meta:
        unknown = EXCLUDE  # a campaign's tracking parameters, say

    q = Text(max_length=100)
    category_id = fields.UUID()
    kind = fields.String(validate=validate.OneOf(PRODUCT_KINDS))
    min_points = QueryInteger(minimum=0)
    max_points = QueryInteger(minimum=0)
    affordable = fields.Boolean(load_default=False)
    cursor = Text(max_length=MAX_CURSOR)


@dataclass(frozen=True)
class Shown:
    """What a card shows of a product: plain values, which a page may keep between
    requests (jifen.tenants.revisions) where a row could not outlive its session."""

    id: uuid.UUID
    kind: str
    name: str
    images: tuple[str, ...]
    points_price: int
    tier_discounts: dict[str, int] | None
    cash_price: int | None
    currency: str | None

    @classmethod
    def of(cls, product: Product) -> Shown:
        return cls(
            product.id,
            product.kind,
            product.name,
            tuple(product.images),
            product.points_price,
            product.tier_discounts,
            product.cash_price,
            product.currency,
        )


@dataclass(frozen=True)
class Card:
    """A product as a shelf shows it: its price for the member, and the price before
    their discount when that differs."""

    product: Shown
    points: int
    list_points: int

    @classmethod
    def of(cls, product: Shown, tier: TierView | None, sale_price: int | None) -> Card:
        return cls(product, catalog.unit_price(product, tier, sale_price), product.points_price)

    @classmethod
    def all_of(cls, products: Sequence[Product | Shown], tier: TierView | None) -> list[Card]:
        """The products' cards, each at a running flash sale's price where it has one."""
        sales = sale_prices()
        return [
            cls.of(p if isinstance(p, Shown) else Shown.of(p), tier, sales.get(p.id))
            for p in products
        ]


@bp.route("/shop")
def shelf() -> tuple[str, int] | str:
    session, svc = db_session(), services()
    member = signed_in_member()
    categories = shelves()
    given = {name: value for name, value in request.args.items() if value.strip()}
    context: dict[str, Any] = {"categories": categories, "kinds": PRODUCT_KINDS, "given": given}
    try:
        query = ShelfQuery().load(given)
    except ValidationError as error:
        problems = rendered(field_messages(error.messages))
        return render("shelf.html", cards=[], problems=problems, **context), 400
    tier = _tier(member)
    buyer = catalog.Buyer(tier, balance_of(member)) if member is not None else None
    try:
        rows, next_cursor = catalog.search_products(
            session,
            now=svc.clock.now(),
            buyer=buyer,
            on_sale=True,
            drawn_modes=svc.redeem_modes.drawing_delivery(),
            limit=PAGE,
            **query,
        )
    except JifenError as error:  # a cursor from elsewhere
        return render("shelf.html", cards=[], problems={"": error.translated()}, **context), 400
    cards = Card.all_of(rows, tier)
    return render(
        "shelf.html",
        cards=cards,
        more_url=next_page(".shelf", given, next_cursor),
        category=_category(categories, query.get("category_id")),
        **context,
    )


@dataclass(frozen=True)
class Shelf:
    """A category as the mall's pages show it."""

    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str


def sale_prices() -> dict[uuid.UUID, int]:
    """The price of each of the mall's products on a flash sale now, from its schedule
    of sales (read once a revision: a new sale raises it)."""
    now = services().clock.now()
    schedule = revisions.kept(
        mall(), "flash sales", lambda: catalog.sales_ending_after(db_session(), now)
    )
    return catalog.running_prices(schedule, now)


def shelves() -> list[Shelf]:
    """The mall's first CATEGORIES categories in shelf order (read once a revision)."""

    def read() -> list[Shelf]:
        categories, _ = catalog.list_categories(db_session(), limit=CATEGORIES)
        return [Shelf(c.id, c.parent_id, c.name) for c in categories]

    return revisions.kept(mall(), "shelves", read)


def _category(categories: list[Shelf], category_id: uuid.UUID | None) -> Shelf | None:
    return next((c for c in categories if c.id == category_id), None)


def _tier(member: Member | None) -> TierView | None:
    return tier_of(member) if member is not None else None


@bp.route("/shop/<uuid:product_id>")
def product(product_id: uuid.UUID) -> str:
    """A product on sale, priced for the member; a lottery with its published odds; its
    reviews at a glance."""
    session, svc = db_session(), services()
    now = svc.clock.now()
    found = product_on_sale(product_id)
    member = signed_in_member()
    shelved = sql.shelf(session.connection(), mall().id, found.id, now)
    sale = session.get(FlashSale, (mall().id, shelved.sale_id)) if shelved.sale_id else None
    price = (
        orders.quote(session, found.id, member.id, 1, modes=svc.redeem_modes, now=now)
        if member is not None
        else None
    )
    return render(
        "product.html",
        product=found,
        price=price,
        sale=sale,
        left=sale.stock if sale is not None else found.stock,
        on_sale=_on_sale(found, now),
        min_tier=next((t for t in ladder() if t.code == found.min_tier), None),
        odds=lottery.published(svc, found) if found.mode == "lottery" else None,
        reviews=product_summary(found.id),
        now=now,
    )


def _on_sale(product: Product, now: datetime) -> bool:
    return (product.listed_from is None or product.listed_from <= now) and (
        product.listed_until is None or now < product.listed_until
    )
