"""A member says their goods arrived (确认收货): a shipped order is completed, and its
page then asks for their review (jifen.mall.reviews reviews what reached the member)."""

from __future__ import annotations

import uuid

from flask import flash, redirect, url_for
from werkzeug import Response

from jifen.errors import JifenError
from jifen.i18n import N_, translate
from jifen.mall import orders
from jifen.storefront.mall import bp, check_form, render
from jifen.storefront.redeem import member_may_confirm, own_order
from jifen.web import db_session, request_actor, services


@bp.post("/orders/<uuid:order_id>/received")
def confirm_received(order_id: uuid.UUID) -> tuple[str, int] | Response:
    """Complete one of the member's shipped orders; back to its page. Anything else
    (not shipped yet, completed already in another tab) is refused on a page."""
    check_form()
    found = own_order(order_id)
    if not member_may_confirm(found):
        message = translate(N_("Only goods that have shipped can be confirmed as received."))
        return render("refused.html", message=message), 409
    try:
        with db_session().begin_nested():
            orders.complete(
                db_session(),
                found.id,
                actor=request_actor("member", str(found.member_id)),
                clock=services().clock,
            )
    except JifenError as refused:
        return render("refused.html", message=refused.translated()), refused.status
    flash(translate(N_("Thank you: the order is complete. How was it?")))
    return redirect(url_for(".order", order_id=found.id), 303)
