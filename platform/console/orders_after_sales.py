"""After-sales (售后) in the console: members' requests for help with orders that
shipped, the open ones first, and the answer to one, given on its order's page (where
the goods, the address, the history and the refund are): resolved or declined, with a
reply the member reads on the order's page in the mall.

To give the points back, staff refund the order, which resolves its open request too.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from werkzeug import Response

from jifen.console.access import staff_page
from jifen.console.orders import PAGE, cursor_of, show_order
from jifen.console.orders_forms import actor, load, posted
from jifen.console.pages import bp, render
from jifen.i18n import N_, translate
from jifen.mall import after_sales, order_sheets, schemas
from jifen.mall.errors import AfterSalesStateConflict
from jifen.mall.models import AFTER_SALES_STATUSES
from jifen.tenants import roles
from jifen.web import db_session, services

# The list's tabs: each status, and all of them.
TABS = (*AFTER_SALES_STATUSES, "all")
NOTICES = {
    "resolve": N_("The request is resolved: the member reads your reply."),
    "decline": N_("The request is declined: the member reads your reply."),
}


@bp.route("/after-sales")
@staff_page(roles.VIEW)
def after_sales_list() -> str:
    """Members' requests for help, newest first: the open ones unless another tab is
    asked for."""
    tab = request.args.get("status", "open")
    if tab not in TABS:
        abort(404)
    session = db_session()
    found, next_cursor = after_sales.search(
        session,
        status=None if tab == "all" else tab,
        cursor=cursor_of(request.args),
        limit=PAGE,
    )
    return render(
        "console/orders_after_sales.html",
        lines=order_sheets.requests_listed(session, found),
        tab=tab,
        tabs=TABS,
        next_cursor=next_cursor,
        first=request.args.get("cursor") is not None,
    )


@bp.route("/after-sales/<uuid:after_sales_id>/answer", methods=["POST"])
@staff_page(roles.OPERATE)
def answer_after_sales(after_sales_id: uuid.UUID) -> tuple[str, int] | Response:
    """Resolve or decline a request (the button pressed says which), with the reply the
    member reads."""
    session = db_session()
    order_id = after_sales.get_request(session, after_sales_id).order_id
    values = posted(("reply", "answer"))
    answer = values["answer"]
    reply, problems = load(schemas.AfterSalesReply(), {"reply": values["reply"]})
    if answer not in after_sales.CLOSES:
        problems["reply"] = translate(N_("Choose whether you resolve or decline it."))
    if problems:
        return show_order(order_id, problems=problems, values=values, status=422)
    close = after_sales.resolve if answer == "resolve" else after_sales.decline
    try:
        close(session, after_sales_id, reply["reply"], actor=actor(), clock=services().clock)
    except AfterSalesStateConflict as refused:
        session.rollback()
        problems = {"reply": refused.translated()}
        return show_order(order_id, problems=problems, values=values, status=409)
    flash(translate(NOTICES[answer]))
    return redirect(url_for("console.order_page", order_id=order_id), 303)
