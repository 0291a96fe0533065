"""The mall's home page, and the daily check-in on it."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, request, url_for
from flask_babel import format_number
from werkzeug import Response

from jifen.i18n import N_, translate
from jifen.ledger import history
from jifen.mall import catalog, recommendations
from jifen.members import streak_on
from jifen.rules import recording
from jifen.rules.errors import AlreadyCheckedIn
from jifen.rules.events import EventIn
from jifen.storefront.mall import bp, check_form, mall, render, signed_in_member, tier_of
from jifen.storefront.shelves import Card, Shown, shelves
from jifen.tenants import revisions
from jifen.tenants import service as tenants
from jifen.web import db_session, request_actor, services

FEATURED = 6  # products in each of the home page's rows
KEEP_ROWS = 30  # seconds a process keeps the popular and new rows: what sells moves them


@bp.route("/")
def home() -> str:
    """The mall's front: the member's points and check-in, the categories, and what is
    popular and new, priced for the member."""
    session, svc = db_session(), services()
    member = signed_in_member()
    points = streak_today = tier = None
    if member is not None:
        points = history.glance(session, member.id, clock=svc.clock, timezone=mall().timezone)
        streak_today = streak_on(session, member.id, today())
        tier = tier_of(member)
    now, drawn = svc.clock.now(), svc.redeem_modes.drawing_delivery()
    categories = shelves()
    popular = row("popular", FEATURED * 3)
    new = row("new", FEATURED)
    for_you = (
        recommendations.for_member(
            session, member.id, now=now, limit=FEATURED, popular=popular, drawn_modes=drawn
        )
        if member is not None
        else []
    )
    # What "for you" shows already (its fallback is what is popular) is not repeated.
    picked = {product.id for product in for_you}
    popular = [product for product in popular if product.id not in picked][:FEATURED]
    cards = Card.all_of([*for_you, *popular, *new], tier)
    shown = {card.product.id: card for card in cards}
    return render(
        "home.html",
        points=points,
        streak_today=streak_today,
        categories=[c for c in categories if c.parent_id is None],
        for_you=[shown[p.id] for p in for_you],
        popular=[shown[p.id] for p in popular],
        new=[shown[p.id] for p in new],
    )


def row(by: str, limit: int) -> list[Shown]:
    """The mall's popular or new row (catalog.featured), shared by its members: a
    process reads it at most once every KEEP_ROWS seconds, and at once after the
    merchant changes a product (that raises the tenant's revision)."""
    svc = services()
    now = svc.clock.now()

    def read() -> list[Shown]:
        drawn = svc.redeem_modes.drawing_delivery()
        found = catalog.featured(db_session(), now=now, by=by, limit=limit, drawn_modes=drawn)
        return [Shown.of(product) for product in found]

    return revisions.kept(mall(), f"{by}:{limit}@{int(now.timestamp()) // KEEP_ROWS}", read)


def today() -> date:
    """The tenant's local day now: the day a check-in counts for."""
    return tenants.day_in(mall().timezone, services().clock.now())


@bp.post("/check-in")
def check_in() -> Response:
    """The signed-in member checks in for today, through the earn engine (a `checkin`
    event, whose rules pay the streak), and is sent back with what it earned. The
    event's id is the member's day, so a double submit records one check-in."""
    check_form()
    # The calendar's button comes back to the calendar; the home page's, home.
    back = url_for(".check_ins" if request.form.get("from") == "calendar" else ".home")
    member = signed_in_member()
    if member is None:
        return redirect(back, 303)
    svc = services()
    event = EventIn(event_id=f"checkin:{member.id}:{today()}", kind="checkin", member_id=member.id)
    try:
        outcome = recording.record(
            db_session(),
            event,
            rule_types=svc.rule_types,
            actor=request_actor("member", str(member.id)),
            clock=svc.clock,
            keyring=svc.keyring,
        )
    except AlreadyCheckedIn:
        flash(translate(N_("You have already checked in today.")))
        return redirect(back, 303)
    earned = (outcome.result or {}).get("points") or 0
    flash(
        translate(
            N_("Checked in: +%(points)s %(points_name)s."),
            {"points": format_number(earned), "points_name": mall().points_name},
        )
    )
    return redirect(back, 303)
