"""The tier ladder: each tier's name, what qualifies for it, and what it brings.

The form shows one group of inputs per tier, lowest first (a tier's rank is its place
in the form), named `tiers-<row>-<field>`. It works without JavaScript: "Add a tier"
and "Remove" are submit buttons that show the form again, edited and not saved; "Save"
replaces the ladder (jifen.members.tiers.set_ladder) with the rows not left blank.
A threshold is points, or money in the currency's major units for a spend basis.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import flash, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug import Response

from jifen.console.access import current, staff_page
from jifen.console.pages import bp
from jifen.console.schema_fields import Money
from jifen.console.settings import page
from jifen.console.settings_forms import problems_in, problems_of_error, whole
from jifen.console.setup import actor
from jifen.errors import JifenError
from jifen.i18n import N_, translate
from jifen.members import tiers
from jifen.members.models import TIER_BASES
from jifen.members.schemas import TierIn
from jifen.tenants import roles
from jifen.web import db_session, services

FIELDS = (
    "code",
    "name",
    "basis",
    "threshold",
    "window_days",
    "grace_days",
    "earn_multiplier",
    "redemption_discount_percent",
)
# The inputs that make a row: one left with none of them filled in is dropped.
_FILLED = ("code", "name", "threshold")
_ROW = re.compile(r"tiers-([0-9]{1,2})-([a-z_]+)")
_AMOUNT = re.compile(r"[0-9]{1,13}(\.[0-9]{1,4})?")
BASES = {
    "lifetime_points": N_("Points earned, ever"),
    "points_in_window": N_("Points earned in the last days"),
    "spend_in_window": N_("Spend in the last days"),
}
_WHOLE = N_("A whole number from %(least)s to %(most)s.")

Row = dict[str, str]


@bp.route("/settings/tiers", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def settings_tiers() -> tuple[str, int] | Response:
    """The ladder, to edit and save whole."""
    tenant = current().tenant
    assert tenant is not None
    money = Money(tenant.currency)
    problems: dict[str, str] = {}
    if request.method == "GET":
        rows = [_row_of(tier, money) for tier in tiers.tiers_of(db_session(), tenant.id)]
        return _page(rows or [_blank()], problems, money), 200
    rows, too_many = _posted_rows()
    if too_many:
        problems["tiers"] = translate(N_("At most %(tiers)s tiers."), {"tiers": tiers.MAX_TIERS})
        rows = [_blank()]
    elif request.form.get("action") == "add":
        if len(rows) < tiers.MAX_TIERS:
            rows.append(_blank())
        return _page(rows, problems, money), 200
    elif "remove" in request.form:
        gone = whole(request.form["remove"], least=0, most=len(rows) - 1)
        return _page([r for i, r in enumerate(rows) if i != gone], problems, money), 200
    else:
        kept = [row for row in rows if any(row[name].strip() for name in _FILLED)]
        ladder, problems = _loaded(kept, money)
        if not problems:
            try:
                tiers.set_ladder(
                    db_session(), tenant.id, ladder, actor=actor(), clock=services().clock
                )
            except JifenError as refused:
                problems = problems_of_error(refused, default_field="tiers")
        if not problems:
            flash(translate(N_("The tiers are saved.")))
            return redirect(url_for("console.settings_tiers"), 303)
        rows = kept or [_blank()]
    return _page(rows, problems, money), 422


def _page(rows: list[Row], problems: dict[str, str], money: Money) -> str:
    return page(
        "console/settings_tiers.html",
        rows=rows,
        problems=problems,
        bases={basis: translate(label) for basis, label in BASES.items()},
        most=tiers.MAX_TIERS,
        currency=money.currency,
    )


def _blank() -> Row:
    return dict.fromkeys(FIELDS, "") | {"basis": "lifetime_points", "earn_multiplier": "1"}


def _row_of(tier: tiers.TierView, money: Money) -> Row:
    spend = tier.basis == "spend_in_window"
    return {
        "code": tier.code,
        "name": tier.name,
        "basis": tier.basis,
        "threshold": money.major(tier.threshold) if spend else str(tier.threshold),
        "window_days": "" if tier.window_days is None else str(tier.window_days),
        "grace_days": str(tier.grace_days),
        "earn_multiplier": str(tier.earn_multiplier),
        "redemption_discount_percent": str(tier.redemption_discount_percent),
    }


def _posted_rows() -> tuple[list[Row], bool]:
    """The rows posted, in their order, each input at most 100 characters; whether
    there were more than a ladder may have."""
    found: dict[int, Row] = {}
    for key, value in request.form.items():
        matched = _ROW.fullmatch(key)
        if matched and matched[2] in FIELDS:
            row = found.setdefault(int(matched[1]), dict.fromkeys(FIELDS, ""))
            row[matched[2]] = value[:100]
    if len(found) > tiers.MAX_TIERS:
        return [], True
    return [found[index] for index in sorted(found)], False


def _loaded(rows: list[Row], money: Money) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The ladder the rows write, ranked in their order; else the problems by input."""
    ladder: list[dict[str, Any]] = []
    problems: dict[str, str] = {}
    _name_the_unnamed(rows)
    for index, row in enumerate(rows):
        values, found = _values(row, money)
        try:
            ladder.append(TierIn().load(values | {"rank": index}))
        except ValidationError as refused:
            # What the form itself found says more than the schema's word on it.
            found = {n: m for n, m in problems_in(refused.messages).items() if n in FIELDS} | found
        problems |= {f"tiers-{index}-{name}": message for name, message in found.items()}
    return ladder, problems


def _name_the_unnamed(rows: list[Row]) -> None:
    """Give each row without a code one (`tier-2`), unused by the others: codes are
    for the merchant's systems, and most merchants never need one of their own."""
    used = {row["code"].strip().lower() for row in rows}
    number = 1
    for row in rows:
        if not row["code"].strip():
            while f"tier-{number}" in used:
                number += 1
            row["code"] = f"tier-{number}"
            used.add(row["code"])


def _values(row: Row, money: Money) -> tuple[dict[str, Any], dict[str, str]]:
    """What a row says, as the schema takes it; the inputs that say nothing it takes."""
    values: dict[str, Any] = {"code": row["code"].strip().lower(), "name": row["name"].strip()}
    problems = {}
    basis = row["basis"] if row["basis"] in TIER_BASES else "lifetime_points"
    values["basis"] = basis
    threshold = _threshold(row["threshold"], money, spend=basis == "spend_in_window")
    if threshold is None:
        problems["threshold"] = translate(
            N_("An amount such as 500.00.")
            if basis == "spend_in_window"
            else N_("A whole number of points.")
        )
    values["threshold"] = threshold or 0
    if basis != "lifetime_points":  # a window is the lifetime basis's none
        values["window_days"] = _number(row, "window_days", 1, 3650, problems)
        if not row["window_days"].strip():
            problems["window_days"] = translate(N_("Give the number of last days counted."))
    values["grace_days"] = _number(row, "grace_days", 0, 3650, problems, blank=0)
    values["earn_multiplier"] = row["earn_multiplier"].strip() or "1"
    values["redemption_discount_percent"] = _number(
        row, "redemption_discount_percent", 0, 100, problems, blank=0
    )
    return values, problems


def _number(
    row: Row, name: str, least: int, most: int, problems: dict[str, str], blank: int | None = None
) -> int | None:
    text = row[name].strip()
    if not text:
        return blank
    number = whole(text, least=least, most=most)
    if number is None:
        problems[name] = translate(_WHOLE, {"least": least, "most": most})
    return number


def _threshold(text: str, money: Money, *, spend: bool) -> int | None:
    """Points, or money in major units as minor units (exactly: no fraction of a fen)."""
    text = text.strip().replace(",", "")
    if not spend:
        return whole(text, least=0, most=10**15)
    if not _AMOUNT.fullmatch(text):
        return None
    minor = money.minor(Decimal(text))
    return int(minor) if minor == minor.to_integral_value() else None
