"""Buying points (积分充值) where the merchant sells them: the member picks how many and
sees what they cost, pays through the merchant's payment provider, and the points are
credited once the payment succeeds (jifen.mall.topups), exactly once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import abort, redirect, request, url_for
from flask_babel import format_number
from werkzeug import Response

from jifen import idempotency
from jifen.errors import JifenError
from jifen.i18n import N_, translate
from jifen.mall import payments, topups
from jifen.mall import settings as mall_settings
from jifen.mall.models import MallSettings, Payment
from jifen.storefront.mall import (
    bp,
    check_form,
    claim_once,
    form_key,
    mall,
    member_here,
    new_form_key,
    render,
    whole_number,
)
from jifen.types import minor_units
from jifen.web import db_session, services

# What the page offers, in whole units of the mall's currency (¥10, ¥20...): each
# buys that many times the merchant's rate of points.
PRESETS = (10, 20, 50, 100)
MOST = 10**9  # points one top-up buys at most, as the API allows


@dataclass(frozen=True)
class Choice:
    points: int
    price: int  # minor units


@bp.route("/account/top-up")
def top_up() -> str:
    member_here()
    return render("top_up.html", **_page(_selling()))


@bp.post("/account/top-up")
def buy_points() -> tuple[str, int] | Response:
    """Start the top-up, once however often the form is sent, and go to its payment."""
    member = member_here()
    settings = _selling()
    check_form()
    key = form_key(request.form.get("key", ""))
    given = request.form.get("points", "").strip()[:20]
    points = whole_number(given, MOST)
    if points is None:
        problem = translate(
            N_("Enter a whole number of points from 1 to %(most)s."), {"most": format_number(MOST)}
        )
        return render("top_up.html", **_page(settings, given, problem)), 422
    svc, session, tenant = services(), db_session(), mall()
    try:
        # One payment per amount the page was sent with: a double tap starts one, and
        # coming back to the page for another amount starts another.
        claimed, stored = claim_once(f"topup-{points}", member.id, key, [points])
        if stored is not None:  # a double submit: the payment the first one started
            return redirect(url_for(".top_up_payment", payment_id=stored["payment_id"]), 303)
        with session.begin_nested():
            payment = topups.buy(session, svc, tenant.id, member.id, points, tenant.currency)
    except JifenError as refused:
        return render("top_up.html", **_page(settings, given, refused.translated())), refused.status
    idempotency.complete(session, claimed, 303, {"payment_id": str(payment.id)})
    return redirect(url_for(".top_up_payment", payment_id=payment.id), 303)


@bp.route("/account/top-up/<uuid:payment_id>")
def top_up_payment(payment_id: uuid.UUID) -> str:
    """One of the member's top-ups: what to pay and where, or how it ended; 404, the same
    page, for anyone else's."""
    member = member_here()
    payment = db_session().get(Payment, (mall().id, payment_id))
    if payment is None or payment.member_id != member.id or payment.purpose != "topup":
        abort(404)
    providers = services().payment_providers
    pay_url = None
    if payment.status in payments.SETTLEABLE and providers.has_page(payment.provider):
        slug = payment.provider.replace("_", "-")
        pay_url = url_for("pay.payment_page", slug=slug, payment_id=payment.id)
    return render("top_up_payment.html", payment=payment, pay_url=pay_url)


def sells_points() -> bool:
    """Whether this mall sells its members points."""
    return mall_settings.settings_of(db_session(), mall().id).topup_enabled


def _selling() -> MallSettings:
    """The mall's settings, where it sells points; 404 where it does not."""
    settings = mall_settings.settings_of(db_session(), mall().id)
    if not settings.topup_enabled:
        abort(404)
    return settings


def _page(settings: MallSettings, given: str = "", problem: str | None = None) -> dict[str, Any]:
    currency, rate = mall().currency, settings.topup_rate
    choices = [
        Choice(units * rate, topups.price_of(units * rate, rate, currency))
        for units in PRESETS
        if units * rate <= MOST
    ]
    return {
        "choices": choices,
        "rate": rate,
        "one_unit": minor_units(currency),
        "given": given,
        "problem": problem,
        "key": new_form_key(),
        "most": MOST,
    }
