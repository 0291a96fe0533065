"""Members' reviews in the console: the moderation queue (reviews waiting to be
published), the published ones and the rejected ones, newest first. Staff who handle
orders publish a waiting review, or reject one, waiting or published (taking it down),
with a reason its member reads beside it.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from werkzeug import Response

from jifen.console.access import current, staff_page
from jifen.console.orders import PAGE, cursor_of
from jifen.console.orders_forms import actor, load, posted
from jifen.console.pages import bp, render
from jifen.i18n import N_, translate
from jifen.mall import order_sheets, reviews, schemas
from jifen.mall.errors import ReviewStateConflict
from jifen.mall.models import REVIEW_STATUSES
from jifen.tenants import roles
from jifen.web import db_session, services


@bp.route("/reviews")
@staff_page(roles.VIEW)
def review_list() -> tuple[str, int]:
    """The reviews of one status (the queue, `pending`, unless another is asked for)."""
    return show_reviews(request.args.get("status", "pending"))


def show_reviews(
    tab: str, *, problems: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    """A tab of the reviews; after a refused form, its problem beside the review's
    form (`problems` by review id)."""
    if tab not in REVIEW_STATUSES:
        abort(404)
    session = db_session()
    found, next_cursor = reviews.search_reviews(
        session, status=tab, cursor=cursor_of(request.args), limit=PAGE
    )
    names = order_sheets.names_of(
        session,
        products=(review.product_id for review in found),
        members=(review.member_id for review in found),
    )
    return render(
        "console/reviews.html",
        found=found,
        names=names,
        tab=tab,
        tabs=REVIEW_STATUSES,
        next_cursor=next_cursor,
        first=request.args.get("cursor") is not None,
        operate=current().can(roles.OPERATE),
        problems=problems or {},
        values=posted(("reason",)) if problems else {},
    ), status


def _back(tab: str) -> str:
    """The tab a moderation came from (the queue when the form says none of ours)."""
    return tab if tab in REVIEW_STATUSES else "pending"


@bp.route("/reviews/<uuid:review_id>/publish", methods=["POST"])
@staff_page(roles.OPERATE)
def publish_review(review_id: uuid.UUID) -> tuple[str, int] | Response:
    """Show a waiting review on its product's page."""
    tab = _back(request.form.get("tab", ""))
    session = db_session()
    try:
        reviews.publish(session, review_id, actor=actor(), clock=services().clock)
    except ReviewStateConflict as refused:
        session.rollback()
        return show_reviews(tab, problems={str(review_id): refused.translated()}, status=409)
    flash(translate(N_("The review is published.")))
    return redirect(url_for("console.review_list", status=tab), 303)


@bp.route("/reviews/<uuid:review_id>/reject", methods=["POST"])
@staff_page(roles.OPERATE)
def reject_review(review_id: uuid.UUID) -> tuple[str, int] | Response:
    """Keep a review off its product's page, or take a published one down, with the
    reason its member reads."""
    tab = _back(request.form.get("tab", ""))
    session = db_session()
    reviews.get_review(session, review_id)  # another tenant's: 404 before any form
    rejection, problems = load(schemas.ReviewRejection(), posted(("reason",)))
    if problems:
        return show_reviews(tab, problems={str(review_id): problems["reason"]}, status=422)
    try:
        reviews.reject(
            session, review_id, rejection["reason"], actor=actor(), clock=services().clock
        )
    except ReviewStateConflict as refused:
        session.rollback()
        return show_reviews(tab, problems={str(review_id): refused.translated()}, status=409)
    flash(translate(N_("The review is rejected: its member reads your reason.")))
    return redirect(url_for("console.review_list", status=tab), 303)
