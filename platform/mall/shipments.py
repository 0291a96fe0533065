"""Shipping orders in a batch: a warehouse's file of tracking numbers, read by the
console, ships every order it names or none.

All or nothing, because a file is one decision: when a row is wrong, the merchant fixes
the file and sends it again, and no row of the first attempt has shipped meanwhile
(nor told its member so). So the whole batch is checked before any order moves, and
each refused shipment is named by its place in the batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.clock import Clock
from jifen.errors import ValidationFailed
from jifen.i18n import N_, Message
from jifen.mall.errors import ShipmentsRefused
from jifen.mall.models import Order
from jifen.mall.orders import MOVES, ship

# The most shipments one batch takes (a day's parcels of a large merchant).
MAX_BATCH = 1000
# Why an order cannot ship, by its status (`MOVES["ship"]` allows "paid" only).
_NOT_SHIPPABLE = {
    "fulfilled": N_("This order has shipped already."),
    "completed": N_("This order has shipped already."),
    "cancelled": N_("This order was cancelled or refunded."),
    "refunded": N_("This order was cancelled or refunded."),
}
_WAITING = N_("This order is not ready to ship: it waits for payment or an address.")


@dataclass(frozen=True)
class Shipment:
    """One parcel: the order it carries, its carrier and tracking number."""

    order_id: uuid.UUID
    carrier: str
    tracking_number: str


def ship_all(
    session: Session, shipments: Sequence[Shipment], *, actor: Actor, clock: Clock
) -> list[Order]:
    """Ship every order of the batch (as `orders.ship` does each), or none: when any
    cannot be shipped (`refusals`), `ShipmentsRefused` gives the reasons by the
    shipment's index in the batch, before anything is written."""
    refused = refusals(session, shipments)
    if refused:
        raise ShipmentsRefused(details=refused)
    return [
        ship(session, s.order_id, s.carrier, s.tracking_number, actor=actor, clock=clock)
        for s in shipments
    ]


def refusals(session: Session, shipments: Sequence[Shipment]) -> dict[int, list[Message]]:
    """Why each shipment of the batch that cannot be made now cannot (no such order,
    not a physical one, not paid, or named twice), by its index; nothing is written.
    More than `MAX_BATCH` shipments are refused whole (ValidationFailed)."""
    if len(shipments) > MAX_BATCH:
        raise ValidationFailed(
            N_("At most %(most)s orders are shipped at once."), params={"most": MAX_BATCH}
        )
    ids = {shipment.order_id for shipment in shipments}
    found = {order.id: order for order in session.scalars(select(Order).where(Order.id.in_(ids)))}
    refused: dict[int, list[Message]] = {}
    seen: set[uuid.UUID] = set()
    for index, shipment in enumerate(shipments):
        reason = _refusal(found.get(shipment.order_id), shipment.order_id in seen)
        seen.add(shipment.order_id)
        if reason is not None:
            refused[index] = [Message(reason)]
    return refused


def _refusal(order: Order | None, again: bool) -> str | None:
    """Why the order cannot be shipped now (None: it can)."""
    if order is None:
        return N_("No order has this id.")
    if again:
        return N_("This order is on an earlier row too.")
    if order.kind != "physical":
        return N_("Only physical orders are shipped.")
    if order.status in MOVES["ship"][0]:
        return None
    return _NOT_SHIPPABLE.get(order.status, _WAITING)
