"""The member asks to be erased: a page saying what that means, and the request sent to
the merchant (jifen.members.erasure_requests), who erases them."""

from __future__ import annotations

from flask import redirect, url_for
from werkzeug import Response

from jifen.members.erasure_requests import ask
from jifen.storefront.mall import bp, check_form, member_here, render
from jifen.web import db_session, request_actor, services


@bp.route("/account/erasure")
def erasure() -> str:
    return render("erasure.html", asked_at=member_here().erasure_requested_at)


@bp.post("/account/erasure")
def ask_for_erasure() -> Response:
    """Send the request (once); back to the page, which says when it was sent."""
    member = member_here()
    check_form()
    ask(
        db_session(),
        member,
        actor=request_actor("member", str(member.id)),
        clock=services().clock,
    )
    return redirect(url_for(".erasure"), 303)
