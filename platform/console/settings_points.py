"""How points behave once earned: when they expire and the reminders before (the
points policy, jifen.ledger.policy), whether members give them to each other and how
many; and what they are worth at the merchant's own checkout (jifen.mall.settings)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import flask_babel
from flask import flash, redirect, request, url_for
from werkzeug import Response

from jifen.console.access import current, staff_page
from jifen.console.pages import bp
from jifen.console.settings import page
from jifen.console.settings_forms import problems_of_error, ticked, whole
from jifen.console.setup import actor
from jifen.errors import JifenError
from jifen.i18n import N_, format_money, translate
from jifen.ledger import policy
from jifen.mall import settings as mall_settings
from jifen.tenants import roles
from jifen.tenants.models import Tenant
from jifen.types import MAX_SAFE_INTEGER, minor_units
from jifen.web import db_session, services

EXPIRY = {
    "rolling": N_("Some months after they are earned"),
    "calendar": N_("On a clear date each year"),
    "none": N_("Never"),
}
# The inputs of the points form; a refusal about another of the policy's fields (the
# cut-off, which the API sets) is shown beside the expiry.
POLICY_INPUTS = (
    "expiry",
    "rolling_months",
    "clear_month",
    "clear_day",
    "clear_years",
    "notice_days",
    "transfer_max",
    "transfer_daily_max",
)
CHECKOUT_INPUTS = ("checkout_rate", "checkout_step", "checkout_cap_percent")
_WHOLE = N_("A whole number from %(least)s to %(most)s.")
_LIMIT = N_("A whole number of points, 1 or more; empty for no limit.")
_DAYS_APART = re.compile(r"[\s,，、;；]+")


@bp.route("/settings/points", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def settings_points() -> tuple[str, int] | Response:
    """When points expire, the reminders before, and transfers between members."""
    tenant = current().tenant
    assert tenant is not None
    session = db_session()
    now = policy.policy_of(session, tenant.id)
    values = _policy_values(now)
    problems: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip()[:64] for name in POLICY_INPUTS}
        values["transfers_enabled"] = "on" if ticked(request.form, "transfers_enabled") else ""
        changes, problems = _policy_changes(values)
        if not problems:
            try:
                policy.set_policy(
                    session, tenant.id, changes, actor=actor(), clock=services().clock
                )
            except JifenError as refused:
                problems = _beside_inputs(problems_of_error(refused, default_field="expiry"))
        if not problems:
            flash(translate(N_("Expiry and transfers are saved.")))
            return redirect(url_for("console.settings_points"), 303)
    return page(
        "console/settings_points.html",
        values=values,
        problems=problems,
        expiry_choices={kind: translate(label) for kind, label in EXPIRY.items()},
        months=_month_names(),
        earned_today=_earned_today(now),
        tenant=tenant,
    ), (422 if problems else 200)


def _policy_values(now: policy.Policy) -> dict[str, str]:
    def text(value: int | None) -> str:
        return "" if value is None else str(value)

    return {
        "expiry": now.expiry,
        "rolling_months": text(now.rolling_months) or "24",
        "clear_month": text(now.clear_month) or "12",
        "clear_day": text(now.clear_day) or "31",
        "clear_years": text(now.clear_years) or "1",
        "notice_days": ", ".join(str(days) for days in now.notice_days),
        "transfers_enabled": "on" if now.transfers_enabled else "",
        "transfer_max": text(now.transfer_max),
        "transfer_daily_max": text(now.transfer_daily_max),
    }


def _policy_changes(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The policy's fields the form sets, or the problems of what it says."""
    problems: dict[str, str] = {}
    changes: dict[str, Any] = {"transfers_enabled": bool(values["transfers_enabled"])}

    def number(name: str, least: int, most: int, *, optional: bool = False) -> int | None:
        if optional and not values[name]:
            return None
        found = whole(values[name].replace(",", ""), least=least, most=most)
        if found is None and optional:
            problems[name] = translate(_LIMIT)
        elif found is None:
            problems[name] = translate(_WHOLE, {"least": least, "most": f"{most:,}"})
        return found

    if values["expiry"] not in EXPIRY:
        problems["expiry"] = translate(N_("Choose one."))
    changes["expiry"] = values["expiry"]
    if values["expiry"] == "rolling":
        changes["rolling_months"] = number("rolling_months", 1, 120)
    elif values["expiry"] == "calendar":
        changes["clear_month"] = number("clear_month", 1, 12)
        changes["clear_day"] = number("clear_day", 1, 31)
        changes["clear_years"] = number("clear_years", 1, 10)
    notice = [part for part in _DAYS_APART.split(values["notice_days"]) if part]
    days = [whole(part, least=1, most=365) for part in notice]
    if len(days) > 5 or None in days:
        problems["notice_days"] = translate(N_("Up to 5 whole numbers of days, from 1 to 365."))
    changes["notice_days"] = sorted({d for d in days if d is not None}, reverse=True)
    changes["transfer_max"] = number("transfer_max", 1, MAX_SAFE_INTEGER, optional=True)
    changes["transfer_daily_max"] = number("transfer_daily_max", 1, MAX_SAFE_INTEGER, optional=True)
    return changes, problems


def _beside_inputs(problems: dict[str, str]) -> dict[str, str]:
    """Problems about fields the form has no input for go beside the expiry."""
    placed: dict[str, str] = {}
    for name, message in problems.items():
        where = name if name in POLICY_INPUTS else "expiry"
        placed[where] = f"{placed[where]} {message}" if where in placed else message
    return placed


def _month_names() -> dict[str, str]:
    names = flask_babel.get_locale().months["format"]["wide"]
    return {str(month): names[month] for month in range(1, 13)}


def _earned_today(now: policy.Policy) -> str | None:
    """The last day points earned today are good for, in the tenant's words."""
    expires = now.expiry_for(services().clock.now())
    if expires is None:
        return None
    last_day = expires.astimezone(now.zone).date() - timedelta(days=1)
    return str(flask_babel.format_date(last_day, "long"))


# -- at the merchant's checkout ----------------------------------------------------------


@bp.route("/settings/checkout", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def settings_checkout() -> tuple[str, int] | Response:
    """What points are worth when members use them at the merchant's own checkout."""
    tenant = current().tenant
    assert tenant is not None
    session = db_session()
    saved = mall_settings.settings_of(session, tenant.id)
    values = {name: str(getattr(saved, name)) for name in CHECKOUT_INPUTS}
    problems: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip()[:32] for name in CHECKOUT_INPUTS}
        bounds = {
            "checkout_rate": (1, 1_000_000),
            "checkout_step": (1, 1_000_000),
            "checkout_cap_percent": (1, 100),
        }
        changes = {}
        for name, (least, most) in bounds.items():
            changes[name] = whole(values[name].replace(",", ""), least=least, most=most)
            if changes[name] is None:
                problems[name] = translate(_WHOLE, {"least": least, "most": f"{most:,}"})
        if not problems:
            svc = services()
            mall_settings.update_settings(
                session,
                tenant.id,
                changes,
                providers=svc.payment_providers,
                actor=actor(),
                clock=svc.clock,
            )
            flash(translate(N_("Your checkout's settings are saved.")))
            return redirect(url_for("console.settings_checkout"), 303)
    return page(
        "console/settings_checkout.html",
        values=values,
        problems=problems,
        tenant=tenant,
        example=_example(tenant, saved),
    ), (422 if problems else 200)


def _example(tenant: Tenant, saved: Any) -> dict[str, str]:
    """The saved settings at work on an order of 100 in the currency's major units."""
    unit = minor_units(tenant.currency)
    language = str(flask_babel.get_locale())
    most_points = saved.checkout_cap_percent * saved.checkout_rate
    most_points -= most_points % saved.checkout_step
    return {
        "rate": f"{saved.checkout_rate:,}",
        "one": format_money(unit, tenant.currency, language),
        "order": format_money(100 * unit, tenant.currency, language),
        "most": format_money(most_points * unit // saved.checkout_rate, tenant.currency, language),
        "points": f"{most_points:,}",
        "step": f"{saved.checkout_step:,}",
    }
