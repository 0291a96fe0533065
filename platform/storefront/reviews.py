"""Reviews in the mall: a member reviews a delivered order from its page (a rating of 1 to
5 and a few words) and finds their reviews, and the orders waiting for one, under their
account; a product's page shows its published reviews, each reviewer's name half
hidden (jifen.mall.reviews). Nothing pending or rejected is shown to anyone but its
author."""

from __future__ import annotations

import dataclasses
import uuid

from flask import flash, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug import Response

from jifen.errors import JifenError
from jifen.field_messages import field_messages, rendered
from jifen.i18n import N_, translate
from jifen.mall import reviews
from jifen.mall.schemas import ReviewIn
from jifen.storefront.mall import (
    bp,
    check_form,
    half_hidden,
    mall,
    member_here,
    next_page,
    product_on_sale,
    render,
)
from jifen.storefront.redeem import order_page, own_order
from jifen.web import db_session, request_actor, services

LATEST = 3  # the reviews a product's page shows; the rest on their own pages
PAGE = 20
MINE = 100  # the member's latest reviews their page lists
AWAITING = 20  # the member's latest orders waiting for a review their page lists


def for_others(shown: list[reviews.Shown]) -> list[reviews.Shown]:
    """Published reviews as anyone may read them: each reviewer's name half hidden (a
    review without one is shown as by a member)."""
    return [
        dataclasses.replace(review, reviewer=half_hidden(review.reviewer))
        if review.reviewer
        else review
        for review in shown
    ]


def product_summary(product_id: uuid.UUID) -> reviews.Summary:
    """What a product's page shows of its reviews (one statement)."""
    found = reviews.summary(db_session(), product_id, LATEST)
    return dataclasses.replace(found, latest=for_others(found.latest))


@bp.post("/orders/<uuid:order_id>/review")
def review_order(order_id: uuid.UUID) -> tuple[str, int] | Response:
    """The member's review of their delivered order; back to the order's page, which
    shows it. A rating or words the form refuses are said on that page; an order
    reviewed already, or not delivered, is refused on a page of its own."""
    check_form()
    found = own_order(order_id)
    # A browser sends a textarea's line breaks as CR LF: kept as one LF, as typed.
    given = {
        "rating": request.form.get("rating", "").strip(),
        "text": request.form.get("text", "").replace("\r\n", "\n"),
    }
    try:
        loaded = ReviewIn().load({name: value for name, value in given.items() if value})
    except ValidationError as error:
        problems = rendered(field_messages(error.messages))
        return order_page(found, review_given=given, review_problems=problems), 422
    try:
        with db_session().begin_nested():
            review = reviews.submit(
                db_session(),
                found.id,
                found.member_id,
                loaded["rating"],
                loaded["text"],
                actor=request_actor("member", str(found.member_id)),
                clock=services().clock,
            )
    except JifenError as refused:  # reviewed already (another tab), or no longer delivered
        return render("refused.html", message=refused.translated()), refused.status
    if review.status == "published":
        flash(translate(N_("Thank you! Your review is published.")))
    else:
        says = N_("Thank you! Your review is shown once %(name)s approves it.")
        flash(translate(says, {"name": mall().name}))
    return redirect(url_for(".order", order_id=found.id), 303)


@bp.route("/account/reviews")
def my_reviews() -> str:
    """The member's reviews with what became of each, and the orders waiting for one."""
    member = member_here()
    session = db_session()
    return render(
        "my_reviews.html",
        reviews=reviews.of_member(session, member.id, MINE),
        awaiting=reviews.awaiting_review(session, member.id, AWAITING),
    )


@bp.route("/shop/<uuid:product_id>/reviews")
def product_reviews(product_id: uuid.UUID) -> str:
    """A product's published reviews, newest first, a page at a time."""
    found = product_on_sale(product_id)
    cursor = request.args.get("cursor")
    shown, next_cursor = reviews.published_page(db_session(), found.id, cursor=cursor, limit=PAGE)
    more = next_page(".product_reviews", {"product_id": found.id}, next_cursor)
    return render("product_reviews.html", product=found, reviews=for_others(shown), more_url=more)
