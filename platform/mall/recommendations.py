"""What the mall suggests to a member ("for you"): what members who redeemed what they
redeemed also redeemed (co-redemption), then what is popular in the categories they
redeem from, then what is popular, all on sale now and not redeemed by them yet.

Co-redemption is computed by a periodic job (`compute_all`), per tenant, from the
orders of the last `WINDOW` that were not cancelled or refunded: for each product, the
`KEPT` products the most members also redeemed, stored in `recommendations`. The rest
is read when asked for.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, aliased

from jifen.db import cross_tenant, tenant_of
from jifen.mall import catalog, sql
from jifen.mall.models import Order, Product, Recommendation

if TYPE_CHECKING:
    from collections.abc import Sequence

    from jifen.collaborators import Collaborators

WINDOW = timedelta(days=180)


class Identified(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


Popular = TypeVar("Popular", bound=Identified)  # products, or a page's copies of them
KEPT = 10  # related products kept per product
RECENT = 50  # a member's orders read to know their taste


def compute(session: Session, tenant_id: uuid.UUID, now: datetime) -> int:
    """Recompute the tenant's co-redemptions; how many pairs are kept."""
    first, second = aliased(Order), aliased(Order)
    since = now - WINDOW
    pairs = session.execute(
        select(first.product_id, second.product_id, func.count(func.distinct(first.member_id)))
        .join(
            second,
            (second.tenant_id == first.tenant_id)
            & (second.member_id == first.member_id)
            & (second.product_id != first.product_id),
        )
        .where(
            first.created_at >= since,
            second.created_at >= since,
            first.status.not_in(sql.UNDONE),
            second.status.not_in(sql.UNDONE),
        )
        .group_by(first.product_id, second.product_id)
    )
    related: dict[uuid.UUID, list[tuple[int, uuid.UUID]]] = defaultdict(list)
    for product_id, related_id, members in pairs:
        related[product_id].append((members, related_id))
    rows = [
        {"tenant_id": tenant_id, "product_id": product_id, "related_id": related_id, "members": n}
        for product_id, found in related.items()
        for n, related_id in sorted(found, key=lambda pair: (-pair[0], str(pair[1])))[:KEPT]
    ]
    session.execute(delete(Recommendation))
    if rows:
        session.execute(insert(Recommendation), rows)
    return len(rows)


def compute_all(services: Collaborators) -> int:
    """Periodic job: every tenant's co-redemptions, one transaction per tenant."""
    db = services.db
    with db.session() as session, cross_tenant(session, "recommendations"):
        tenant_ids = sorted(set(session.scalars(select(Order.tenant_id).distinct())))
    kept = 0
    for tenant_id in tenant_ids:
        with db.transaction(tenant_id=tenant_id) as session:
            kept += compute(session, tenant_id, services.clock.now())
    return kept


def for_member(
    session: Session,
    member_id: uuid.UUID,
    *,
    now: datetime,
    limit: int,
    popular: Sequence[Popular],
    drawn_modes: Sequence[str] = (),
) -> list[Product | Popular]:
    """Up to `limit` products on sale for the member (see the module's docstring);
    `popular` is what is popular now, the fallback (the caller has read it already)."""
    redeemed = sql.recently_redeemed(session.connection(), tenant_of(session), member_id, RECENT)
    seen = set(redeemed)
    picked: list[Product | Popular] = []

    def take(candidates: Sequence[Product | Popular]) -> None:
        for product in candidates:
            if product.id not in seen and len(picked) < limit:
                seen.add(product.id)
                picked.append(product)

    if redeemed:
        on_sale = catalog.on_sale_now(now, drawn_modes)
        scores = (
            select(Recommendation.related_id, func.sum(Recommendation.members).label("members"))
            .where(Recommendation.product_id.in_(redeemed))
            .group_by(Recommendation.related_id)
            .subquery()
        )
        take(
            session.scalars(
                select(Product)
                .join(scores, Product.id == scores.c.related_id)
                .where(*on_sale)
                .order_by(scores.c.members.desc(), Product.id)
                .limit(limit * 3)
            ).all()
        )
        categories = select(Product.category_id).where(Product.id.in_(redeemed))
        take(
            session.scalars(
                select(Product)
                .where(Product.category_id.in_(categories), *on_sale)
                .order_by(Product.sold.desc(), Product.id.desc())
                .limit(limit * 3)
            ).all()
        )
    take(popular)
    return picked
