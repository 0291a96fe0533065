"""Members' reviews of what they redeemed, moderated by the merchant.

A member reviews an order of theirs once it is delivered (`fulfilled`: shipped goods,
or `completed`: codes and coupons at once, goods on arrival): a rating of 1 to 5 and a
few words. Under the mall's `review_moderation` setting it waits for the merchant
(`before`, `pending`) or is shown at once (`after`, `published`); the merchant publishes
a pending review or rejects one, pending or published, with a reason the member reads.
A rejected review stays rejected. Only published reviews are shown to anyone but their
author. Each step is audited and announced (`review.submitted`, `review.published`,
`review.rejected`): the earn engine records a `review` event for a published one, and
takes back what it gave when the review is rejected later.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import get_owned, rowcount
from jifen.errors import NotFound
from jifen.mall.domain_events import ReviewPublished, ReviewRejected, ReviewSubmitted
from jifen.mall.errors import NotReviewable, ReviewExists, ReviewStateConflict
from jifen.mall.models import Order, Product, Review
from jifen.mall.orders import get_order
from jifen.mall.settings import settings_of
from jifen.members import Member
from jifen.outbox.events import emit
from jifen.pagination import read_page
from jifen.types import new_id

_REVIEWS = Review.__table__
# An order is reviewed once what it brought has reached the member: completed (codes,
# coupons and vouchers at once; goods once the member says they arrived, or the merchant
# completes the order).
REVIEWABLE = ("completed",)
# Which moderations each status allows, and where they lead.
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "publish": (("pending",), "published"),
    "reject": (("pending", "published"), "rejected"),
}


def reviewable(order: Order) -> bool:
    """Whether the order's member may review it now (if they have not yet)."""
    return order.status in REVIEWABLE


def submit(
    session: Session,
    order_id: uuid.UUID,
    member_id: uuid.UUID,
    rating: int,
    text: str | None,
    *,
    actor: Actor,
    clock: Clock,
) -> Review:
    """The member's review of their order: `pending`, or `published` at once where the
    mall moderates after. Another member's order is no order (NotFound); one not
    delivered, cancelled or refunded is NotReviewable, a second review ReviewExists."""
    order = get_order(session, order_id)
    if order.member_id != member_id:
        raise NotFound("order", order_id)
    if not reviewable(order):
        raise NotReviewable(details={"status": order.status})
    now = clock.now()
    at_once = settings_of(session, order.tenant_id).review_moderation == "after"
    review = Review(
        tenant_id=order.tenant_id,
        id=new_id(),
        order_id=order.id,
        product_id=order.product_id,
        member_id=member_id,
        rating=rating,
        text=text or None,
        status="published" if at_once else "pending",
        created_at=now,
    )
    session.add(review)
    # The unique (tenant, order) index is the check, also against a review sent at the
    # same moment from another tab.
    try:
        session.flush()
    except IntegrityError:
        raise ReviewExists(details={"order_id": str(order_id)}) from None
    audit.record(
        session,
        tenant_id=review.tenant_id,
        actor=actor,
        action="review.submit",
        object_type="review",
        object_id=review.id,
        after={"order_id": str(order.id), "rating": rating, "status": review.status},
        now=now,
    )
    submitted = ReviewSubmitted(
        review.id, order.id, order.product_id, member_id, rating, review.status
    )
    emit(session, submitted, now=now, tenant_id=review.tenant_id, actor=actor)
    if at_once:
        _announce_published(session, review, actor, now)
    return review


def get_review(session: Session, review_id: uuid.UUID) -> Review:
    return get_owned(session, Review, review_id, "review")


def publish(session: Session, review_id: uuid.UUID, *, actor: Actor, clock: Clock) -> Review:
    """Show a pending review on its product's page."""
    review = _moderate(session, review_id, "publish", {}, actor=actor, clock=clock)
    _announce_published(session, review, actor, clock.now())
    return review


def reject(
    session: Session,
    review_id: uuid.UUID,
    reason: str | None,
    *,
    actor: Actor,
    clock: Clock,
) -> Review:
    """Keep a review off its product's page (a published one is taken down); the member
    reads the reason with it."""
    review = _moderate(
        session, review_id, "reject", {"rejection_reason": reason}, actor=actor, clock=clock
    )
    rejected = ReviewRejected(review.id, review.product_id, review.member_id)
    emit(session, rejected, now=clock.now(), tenant_id=review.tenant_id, actor=actor)
    return review


def _moderate(
    session: Session,
    review_id: uuid.UUID,
    move: str,
    values: dict[str, Any],
    *,
    actor: Actor,
    clock: Clock,
) -> Review:
    """Move the review by one conditional update (two moderators at once: one wins, the
    other is told its state), and audit it."""
    review = get_review(session, review_id)
    allowed, status = MOVES[move]
    before = review.status
    now = clock.now()
    moved = session.execute(
        update(_REVIEWS)
        .where(
            _REVIEWS.c.tenant_id == review.tenant_id,
            _REVIEWS.c.id == review.id,
            _REVIEWS.c.status.in_(allowed),
        )
        .values(
            status=status,
            moderated_at=now,
            moderator_kind=actor.kind,
            moderator_id=actor.id,
            **values,
        )
    )
    session.refresh(review)
    if rowcount(moved) == 0:
        raise ReviewStateConflict(
            details={"status": review.status, "move": move, "allowed_from": list(allowed)}
        )
    audit.record(
        session,
        tenant_id=review.tenant_id,
        actor=actor,
        action=f"review.{move}",
        object_type="review",
        object_id=review.id,
        before={"status": before},
        after={"status": status, **values},
        now=now,
    )
    return review


def _announce_published(session: Session, review: Review, actor: Actor, now: datetime) -> None:
    published = ReviewPublished(
        review.id, review.order_id, review.product_id, review.member_id, review.rating
    )
    emit(session, published, now=now, tenant_id=review.tenant_id, actor=actor)


# --- reading -------------------------------------------------------------------------


def search_reviews(
    session: Session,
    *,
    status: str | None = None,
    product_id: uuid.UUID | None = None,
    member_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Review], str | None]:
    """Reviews matching every filter, newest first, and the next page's cursor."""
    query = select(Review)
    if status is not None:
        query = query.where(Review.status == status)
    if product_id is not None:
        query = query.where(Review.product_id == product_id)
    if member_id is not None:
        query = query.where(Review.member_id == member_id)
    order = (Review.created_at, Review.id)
    return read_page(
        session.scalars, query, order, (datetime, uuid.UUID), limit, cursor, descending=True
    )


def of_order(session: Session, order_id: uuid.UUID) -> Review | None:
    """The order's review, if it has one."""
    return session.scalar(select(Review).where(Review.order_id == order_id))


def of_member(session: Session, member_id: uuid.UUID, limit: int) -> list[tuple[Review, str]]:
    """The member's latest reviews, each with its product's name."""
    query = (
        select(Review, Product.name)
        .join(Product, and_(Product.tenant_id == Review.tenant_id, Product.id == Review.product_id))
        .where(Review.member_id == member_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(limit)
    )
    return [(review, name) for review, name in session.execute(query)]


def awaiting_review(session: Session, member_id: uuid.UUID, limit: int) -> list[tuple[Order, str]]:
    """The member's latest delivered orders they have not reviewed, each with its
    product's name."""
    reviewed = select(Review.id).where(Review.order_id == Order.id).exists()
    query = (
        select(Order, Product.name)
        .join(Product, and_(Product.tenant_id == Order.tenant_id, Product.id == Order.product_id))
        .where(Order.member_id == member_id, Order.status.in_(REVIEWABLE), ~reviewed)
        .order_by(Order.id.desc())
        .limit(limit)
    )
    return [(order, name) for order, name in session.execute(query)]


@dataclass(frozen=True)
class Shown:
    """A published review as others read it: its reviewer by name (None: no name, or
    erased), for the page to half hide."""

    id: uuid.UUID
    rating: int
    text: str | None
    created_at: datetime
    reviewer: str | None


# What others read of a review (its reviewer's name, for the page to half hide).
_SHOWN: tuple[Any, ...] = (Review.id, Review.rating, Review.text, Review.created_at, Member.name)


@dataclass(frozen=True)
class Summary:
    """A product's published reviews at a glance: how many, their average rating (to a
    tenth), and the latest."""

    count: int
    average: Decimal | None
    latest: list[Shown]


def _published(product_id: uuid.UUID) -> Select[Any]:
    return (
        select(*_SHOWN)
        .join(Member, and_(Member.tenant_id == Review.tenant_id, Member.id == Review.member_id))
        .where(Review.product_id == product_id, Review.status == "published")
    )


def _shown(row: Any) -> Shown:
    return Shown(row.id, row.rating, row.text, row.created_at, row.name)


def summary(session: Session, product_id: uuid.UUID, latest: int) -> Summary:
    """The product's published reviews: their count and average, and the `latest`, in one
    statement (its page's only one for reviews)."""
    rows = session.execute(
        _published(product_id)
        .add_columns(
            func.count().over().label("reviews"), func.sum(Review.rating).over().label("stars")
        )
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(latest)
    ).all()
    if not rows:
        return Summary(0, None, [])
    count, stars = rows[0].reviews, rows[0].stars
    average = (Decimal(stars) / count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Summary(count, average, [_shown(row) for row in rows])


def published_page(
    session: Session, product_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[Shown], str | None]:
    """A page of the product's published reviews, newest first."""
    rows, next_cursor = read_page(
        session.execute,
        _published(product_id),
        (Review.created_at, Review.id),
        (datetime, uuid.UUID),
        limit,
        cursor,
        descending=True,
    )
    return [_shown(row) for row in rows], next_cursor
