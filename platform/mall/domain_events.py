"""The mall's domain events: what the `payments` subscriber
(`jifen.mall.provider_calls`) takes to the payment providers after commit, orders' moves
and members' reviews and requests for help with them. Payloads carry ids and codes; a
subscriber reads the payment or the request itself, as it is when the event arrives."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from jifen.outbox.events import DomainEvent


@dataclass(frozen=True)
class PaymentRequested(DomainEvent):
    """A payment was written `requested`: its provider is to be asked to collect it.
    `description` is what the provider shows the member (a product's name)."""

    type = "payment.requested"
    aggregate = "payment"
    aggregate_field = "payment_id"

    payment_id: uuid.UUID
    description: str


@dataclass(frozen=True)
class RefundRequested(DomainEvent):
    """A succeeded payment is `refunding`: its provider is to give the money back."""

    type = "payment.refund_requested"
    aggregate = "payment"
    aggregate_field = "payment_id"

    payment_id: uuid.UUID


@dataclass(frozen=True)
class OrderMoved(DomainEvent):
    """An order took `steps` (its statuses in order, as its history records them: an
    order placed and delivered at once takes several in one go) and is now `status`."""

    type = "order.moved"
    aggregate = "order"
    aggregate_field = "order_id"

    order_id: uuid.UUID
    member_id: uuid.UUID
    product_id: uuid.UUID
    steps: list[str]
    status: str


@dataclass(frozen=True)
class ReviewSubmitted(DomainEvent):
    """A member reviewed what an order brought: `status` is `pending` while it waits for
    the merchant, `published` where the mall shows reviews at once."""

    type = "review.submitted"
    aggregate = "review"
    aggregate_field = "review_id"

    review_id: uuid.UUID
    order_id: uuid.UUID
    product_id: uuid.UUID
    member_id: uuid.UUID
    rating: int
    status: str


@dataclass(frozen=True)
class ReviewPublished(DomainEvent):
    """A review is shown on its product's page (the earn engine records a `review`
    event for its member)."""

    type = "review.published"
    aggregate = "review"
    aggregate_field = "review_id"

    review_id: uuid.UUID
    order_id: uuid.UUID
    product_id: uuid.UUID
    member_id: uuid.UUID
    rating: int


@dataclass(frozen=True)
class ReviewRejected(DomainEvent):
    """The merchant rejected a review, pending or published: it is not shown (what its
    publication earned is taken back)."""

    type = "review.rejected"
    aggregate = "review"
    aggregate_field = "review_id"

    review_id: uuid.UUID
    product_id: uuid.UUID
    member_id: uuid.UUID


@dataclass(frozen=True)
class AfterSalesOpened(DomainEvent):
    """A member asked for help with an order that shipped (`kind`: what went wrong):
    answer it (POST /after-sales/{id}:resolve or :decline)."""

    type = "after_sales.opened"
    aggregate = "after_sales"
    aggregate_field = "after_sales_id"

    after_sales_id: uuid.UUID
    order_id: uuid.UUID
    member_id: uuid.UUID
    kind: str


@dataclass(frozen=True)
class AfterSalesClosed(DomainEvent):
    """A request for help was answered: `status` resolved or declined (a refund of its
    order resolves it)."""

    type = "after_sales.closed"
    aggregate = "after_sales"
    aggregate_field = "after_sales_id"

    after_sales_id: uuid.UUID
    order_id: uuid.UUID
    member_id: uuid.UUID
    status: str
