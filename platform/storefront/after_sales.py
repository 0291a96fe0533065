"""A member asks for help with an order whose goods have shipped, from the order's page
(jifen.mall.after_sales): what went wrong and, in their words, more. The request and the
merchant's reply are shown on that page."""

from __future__ import annotations

import uuid

from flask import flash, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug import Response

from jifen.errors import JifenError
from jifen.field_messages import field_messages, rendered
from jifen.i18n import N_, translate
from jifen.mall import after_sales
from jifen.mall.schemas import AfterSalesIn
from jifen.storefront.mall import bp, check_form, mall, render
from jifen.storefront.redeem import order_page, own_order
from jifen.web import db_session, request_actor, services


@bp.post("/orders/<uuid:order_id>/help")
def ask_for_help(order_id: uuid.UUID) -> tuple[str, int] | Response:
    """Send the request; back to the order's page, which shows it. A form with something
    wrong comes back with it said by each field; an order not shipped, or one already
    waiting for an answer, is refused on a page, and nothing is sent."""
    check_form()
    found = own_order(order_id)
    # A browser ends a textarea's lines in CRLF; the text is kept with LF (no CR stored).
    given = {
        name: request.form.get(name, "").replace("\r\n", "\n") for name in AfterSalesIn().fields
    }
    try:
        asked = AfterSalesIn().load({k: v for k, v in given.items() if v})
    except ValidationError as error:
        problems = rendered(field_messages(error.messages))
        return order_page(found, help_given=given, help_problems=problems), 422
    try:
        with db_session().begin_nested():
            after_sales.open_request(
                db_session(),
                found.id,
                found.member_id,
                asked["kind"],
                asked["description"],
                actor=request_actor("member", str(found.member_id)),
                clock=services().clock,
            )
    except JifenError as refused:
        return render("refused.html", message=refused.translated()), refused.status
    flash(translate(N_("Your request is sent. %(name)s answers it here."), {"name": mall().name}))
    return redirect(url_for(".order", order_id=found.id), 303)
