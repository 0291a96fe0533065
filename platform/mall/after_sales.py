"""After-sales (售后): a member asks for help with an order whose goods have shipped (it
has not arrived, it came damaged, the wrong item came, or something else, in their
words), and the merchant answers it, resolved or declined, with a reply the member reads
on the order's page.

An order has at most one request open at a time: the service checks, and a partial
unique index (`ux_after_sales_open`) holds when two arrive at once. A refund of the
order resolves its open request, in the refund's transaction (`order_moved`, an
in-transaction subscriber). Each step is audited and announced (`after_sales.opened`,
`after_sales.closed`), with ids and codes only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import SYSTEM, Actor
from jifen.clock import Clock
from jifen.db import get_owned, rowcount
from jifen.errors import NotFound
from jifen.mall.domain_events import AfterSalesClosed, AfterSalesOpened, OrderMoved
from jifen.mall.errors import AfterSalesOpen, AfterSalesStateConflict, NotShipped
from jifen.mall.models import AfterSalesRequest, Order
from jifen.mall.orders import MOVES, get_order
from jifen.outbox.events import emit
from jifen.pagination import read_page
from jifen.types import new_id

_REQUESTS = AfterSalesRequest.__table__
# An order's statuses once its goods have left the merchant: shipped, then delivered.
SHIPPED = (MOVES["ship"][1], MOVES["complete"][1])
# The merchant's answers, and the status each leaves a request in.
CLOSES = {"resolve": "resolved", "decline": "declined"}


@dataclass(frozen=True)
class OnOrder:
    """An order's requests for help, newest first, and whether its member may ask now."""

    requests: list[AfterSalesRequest]
    may_ask: bool


def shipped(order: Order) -> bool:
    """Whether the order's goods have shipped (or arrived): help can be asked for."""
    return order.kind == "physical" and order.status in SHIPPED


def on_order(session: Session, order: Order) -> OnOrder:
    """The order's requests, and whether another may be opened (shipped, none open)."""
    requests = list(
        session.scalars(
            select(AfterSalesRequest)
            .where(AfterSalesRequest.order_id == order.id)
            .order_by(AfterSalesRequest.id.desc())
        )
    )
    waiting = any(request.status == "open" for request in requests)
    return OnOrder(requests, shipped(order) and not waiting)


def open_on(session: Session, order_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these orders have a request open."""
    return set(
        session.scalars(
            select(AfterSalesRequest.order_id).where(
                AfterSalesRequest.order_id.in_(set(order_ids)), AfterSalesRequest.status == "open"
            )
        )
    )


def get_request(session: Session, after_sales_id: uuid.UUID) -> AfterSalesRequest:
    return get_owned(session, AfterSalesRequest, after_sales_id, "after_sales")


def search(
    session: Session,
    *,
    status: str | None = None,
    order_id: uuid.UUID | None = None,
    member_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[AfterSalesRequest], str | None]:
    """Requests matching every filter, newest first, and the next page's cursor."""
    query = select(AfterSalesRequest)
    if status is not None:
        query = query.where(AfterSalesRequest.status == status)
    if order_id is not None:
        query = query.where(AfterSalesRequest.order_id == order_id)
    if member_id is not None:
        query = query.where(AfterSalesRequest.member_id == member_id)
    order = (AfterSalesRequest.id,)
    return read_page(session.scalars, query, order, (uuid.UUID,), limit, cursor, descending=True)


def open_request(
    session: Session,
    order_id: uuid.UUID,
    member_id: uuid.UUID,
    kind: str,
    description: str | None,
    *,
    actor: Actor,
    clock: Clock,
) -> AfterSalesRequest:
    """The member asks for help with their order (`kind` and `description` as
    `schemas.AfterSalesIn` loads them). Another member's order is NotFound, as a missing
    one; before its goods ship, NotShipped; while a request waits, AfterSalesOpen."""
    order = get_order(session, order_id)
    if order.member_id != member_id:
        raise NotFound("order", order_id)
    if not shipped(order):
        raise NotShipped(details={"kind": order.kind, "status": order.status})
    waiting = session.scalar(
        select(AfterSalesRequest.id).where(
            AfterSalesRequest.order_id == order.id, AfterSalesRequest.status == "open"
        )
    )
    if waiting is not None:
        raise AfterSalesOpen(details={"after_sales_id": str(waiting)})
    now = clock.now()
    request = AfterSalesRequest(
        tenant_id=order.tenant_id,
        id=new_id(),
        order_id=order.id,
        member_id=member_id,
        kind=kind,
        description=description or None,
        status="open",
        reply=None,
        created_at=now,
        closed_at=None,
        closed_by_kind=None,
        closed_by_id=None,
    )
    try:
        with session.begin_nested():
            session.add(request)
    except IntegrityError:  # opened meanwhile by a request that committed first
        raise AfterSalesOpen() from None
    audit.record(
        session,
        tenant_id=order.tenant_id,
        actor=actor,
        action="after_sales.open",
        object_type="after_sales",
        object_id=request.id,
        after={"order_id": str(order.id), "kind": kind},
        now=now,
    )
    opened = AfterSalesOpened(request.id, order.id, member_id, kind)
    emit(session, opened, now=now, tenant_id=order.tenant_id, actor=actor)
    return request


def resolve(
    session: Session, after_sales_id: uuid.UUID, reply: str, *, actor: Actor, clock: Clock
) -> AfterSalesRequest:
    """The merchant helped (sent the goods again, say): the request is resolved, with the
    reply the member reads."""
    return _close(session, after_sales_id, "resolve", reply, actor=actor, now=clock.now())


def decline(
    session: Session, after_sales_id: uuid.UUID, reply: str, *, actor: Actor, clock: Clock
) -> AfterSalesRequest:
    """The merchant will not help: the request is declined, the reply saying why."""
    return _close(session, after_sales_id, "decline", reply, actor=actor, now=clock.now())


def _close(
    session: Session,
    after_sales_id: uuid.UUID,
    answer: str,
    reply: str | None,
    *,
    actor: Actor,
    now: datetime,
) -> AfterSalesRequest:
    """Close an open request (the check and the change are one statement: two answers
    cannot both land), audit and announce it."""
    request = get_request(session, after_sales_id)
    status = CLOSES[answer]
    closed = session.execute(
        update(_REQUESTS)
        .where(
            _REQUESTS.c.tenant_id == request.tenant_id,
            _REQUESTS.c.id == request.id,
            _REQUESTS.c.status == "open",
        )
        .values(
            status=status,
            reply=reply,
            closed_at=now,
            closed_by_kind=actor.kind,
            closed_by_id=actor.id,
        )
    )
    session.refresh(request)
    if rowcount(closed) != 1:
        raise AfterSalesStateConflict(details={"status": request.status})
    audit.record(
        session,
        tenant_id=request.tenant_id,
        actor=actor,
        action=f"after_sales.{answer}",
        object_type="after_sales",
        object_id=request.id,
        before={"status": "open"},
        after={"status": status},
        now=now,
    )
    event = AfterSalesClosed(request.id, request.order_id, request.member_id, status)
    emit(session, event, now=now, tenant_id=request.tenant_id, actor=actor)
    return request


def order_moved(
    _services: object, session: Session, moved: OrderMoved, *, now: datetime, actor: Actor | None
) -> None:
    """An order refunded: its open request is resolved by the refund (with no reply of
    its own: the order's page says it was refunded)."""
    if moved.status != MOVES["refund"][1]:
        return
    waiting = session.scalar(
        select(AfterSalesRequest.id).where(
            AfterSalesRequest.order_id == moved.order_id, AfterSalesRequest.status == "open"
        )
    )
    if waiting is not None:
        _close(session, waiting, "resolve", None, actor=actor or SYSTEM, now=now)
