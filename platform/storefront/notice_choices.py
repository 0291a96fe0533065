"""The member's notices: which kinds they get, switched on or off, each choice kept with
when it was made (jifen.members.notices)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug import Response

from jifen.i18n import N_, translate
from jifen.members.notices import TOPICS, choices_of, choose
from jifen.storefront.mall import bp, check_form, member_here, render
from jifen.web import db_session, request_actor, services


@bp.route("/account/notices")
def notices() -> str:
    member = member_here()
    return render("notices.html", topics=TOPICS, choices=choices_of(db_session(), member.id))


@bp.post("/account/notices")
def choose_notices() -> Response:
    """The form's switches, each topic on when ticked; back to the page, which says so."""
    member = member_here()
    check_form()
    choose(
        db_session(),
        member.id,
        {topic.name: request.form.get(topic.name) == "on" for topic in TOPICS},
        chosen_in="mall",
        actor=request_actor("member", str(member.id)),
        clock=services().clock,
    )
    flash(translate(N_("Your choices are saved.")))
    return redirect(url_for(".notices"), 303)
