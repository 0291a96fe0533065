"""What staff who handle orders do with one from its page: ship it (its carrier and
tracking number), cancel it before it ships, or refund it once it has.

A refund gives back the whole order, as the service does (there is no partial refund):
its points to the lots they came from, its stock to the shelf, its coupons void, and
its cash through the payment provider, after commit. A refused form shows the order
again with the problem beside its field; nothing of it is kept (a 4xx rolls back).
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, url_for
from werkzeug import Response

from jifen.console.access import staff_page
from jifen.console.orders import show_order
from jifen.console.orders_forms import actor, load, posted
from jifen.console.pages import bp
from jifen.i18n import N_, translate
from jifen.mall import orders, schemas
from jifen.mall.errors import OrderStateConflict
from jifen.tenants import roles
from jifen.web import db_session, services


def done(order_id: uuid.UUID, notice: str) -> Response:
    flash(translate(notice))
    return redirect(url_for("console.order_page", order_id=order_id), 303)


@bp.route("/orders/<uuid:order_id>/ship", methods=["POST"])
@staff_page(roles.OPERATE)
def ship_order(order_id: uuid.UUID) -> tuple[str, int] | Response:
    """Ship a paid physical order: its carrier and tracking number, which its member
    reads."""
    values = posted(("carrier", "tracking_number"))
    shipment, problems = load(schemas.Shipment(), values)
    if problems:
        return show_order(order_id, problems=problems, values=values, status=422)
    try:
        orders.ship(
            db_session(),
            order_id,
            shipment["carrier"],
            shipment["tracking_number"],
            actor=actor(),
            clock=services().clock,
        )
    except OrderStateConflict as refused:
        return _conflict(order_id, refused, "carrier", values)
    return done(order_id, N_("The order is shipped."))


@bp.route("/orders/<uuid:order_id>/cancel", methods=["POST"])
@staff_page(roles.OPERATE)
def cancel_order(order_id: uuid.UUID) -> tuple[str, int] | Response:
    """Cancel an order before it ships: the points and the stock go back."""
    return _undo(order_id, "cancel", N_("The order is cancelled: its points went back."))


@bp.route("/orders/<uuid:order_id>/refund", methods=["POST"])
@staff_page(roles.OPERATE)
def refund_order(order_id: uuid.UUID) -> tuple[str, int] | Response:
    """Refund a shipped order whole: the points, the stock and any cash go back."""
    return _undo(order_id, "refund", N_("The order is refunded: its points went back."))


def _undo(order_id: uuid.UUID, move: str, notice: str) -> tuple[str, int] | Response:
    values = posted((f"{move}_reason",))
    note, problems = load(schemas.OrderNote(), {"reason": values[f"{move}_reason"]}, f"{move}_")
    if problems:
        return show_order(order_id, problems=problems, values=values, status=422)
    try:
        orders.undo(db_session(), services(), order_id, move, reason=note["reason"], actor=actor())
    except OrderStateConflict as refused:
        return _conflict(order_id, refused, f"{move}_reason", values)
    return done(order_id, notice)


def _conflict(
    order_id: uuid.UUID, refused: OrderStateConflict, field: str, values: dict[str, str]
) -> tuple[str, int]:
    """The order moved meanwhile (another tab, a colleague): its page as it is now, the
    refusal beside the form that was sent."""
    db_session().rollback()
    return show_order(
        order_id, problems={field: refused.translated()}, values=values, status=refused.status
    )
