"""A member cancels their own order of goods not shipped yet: the points go back to the
lots they came from, the stock to the shelf, cash paid back through the provider."""

from __future__ import annotations

import uuid

from flask import flash, redirect, url_for
from flask_babel import format_number
from werkzeug import Response

from jifen.errors import JifenError
from jifen.i18n import N_, translate
from jifen.mall import orders
from jifen.storefront.mall import bp, check_form, mall, render
from jifen.storefront.redeem import member_may_cancel, own_order
from jifen.web import db_session, request_actor, services

REASON = "cancelled by the member in the mall"


@bp.post("/orders/<uuid:order_id>/cancel")
def cancel_order(order_id: uuid.UUID) -> tuple[str, int] | Response:
    """Cancel one of the member's orders that `member_may_cancel`; back to the order
    page, which says what came back. Anything else is refused on a page, nothing done."""
    check_form()
    found = own_order(order_id)
    if not member_may_cancel(found):
        message = translate(N_("This order can no longer be cancelled here."))
        return render("refused.html", message=message), 409
    try:
        with db_session().begin_nested():
            cancelled = orders.undo(
                db_session(),
                services(),
                found.id,
                "cancel",
                reason=REASON,
                actor=request_actor("member", str(found.member_id)),
            )
    except JifenError as refused:  # moved on meanwhile (shipped, or cancelled in another tab)
        return render("refused.html", message=refused.translated()), refused.status
    flash(
        translate(
            N_("Order cancelled: %(points)s %(points_name)s are back."),
            {"points": format_number(cancelled.points), "points_name": mall().points_name},
        )
    )
    return redirect(url_for(".order", order_id=found.id), 303)
