"""The member's check-in calendar: a month of days, those they checked in marked with
the day of the streak each made (a streak runs on across months), their latest
check-in, and the button for today's."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

import flask_babel
from babel.dates import format_skeleton
from flask import request

from jifen.i18n import N_, translate
from jifen.members import month_of
from jifen.storefront.home import today
from jifen.storefront.mall import bp, member_here, render
from jifen.web import db_session

# The months the calendar may show: any a check-in can fall in, with room either side.
FIRST_MONTH, LAST_MONTH = date(1970, 1, 1), date(9000, 12, 1)
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    streak: int | None  # the day of the streak its check-in made; None: not checked in


@bp.route("/account/check-ins")
def check_ins() -> tuple[str, int] | str:
    member = member_here()
    now = today()
    this_month = now.replace(day=1)
    given = request.args.get("month", "")
    first = _month(given) if given else this_month
    if first is None:
        message = translate(N_("Choose a month as YYYY-MM, for example 2026-03."))
        return render("refused.html", message=message), 400
    month = month_of(db_session(), member.id, first)
    locale = flask_babel.get_locale()
    weeks = calendar.Calendar(locale.first_week_day).monthdatescalendar(first.year, first.month)
    return render(
        "check_ins.html",
        month=month,
        title=format_skeleton("yMMMM", first, locale=locale),
        weekdays=[
            (locale.days["stand-alone"]["narrow"][d], locale.days["format"]["wide"][d])
            for d in (week_day.weekday() for week_day in weeks[0])
        ],
        weeks=[
            [Day(d, d.month == first.month, month.streaks.get(d)) for d in week] for week in weeks
        ],
        today=now,
        checked_in_today=month.latest is not None and month.latest.day == now,
        previous=_shift(first, -1),
        following=_shift(first, 1) if first < this_month else None,
    )


def _month(given: str) -> date | None:
    """The first day of the month `YYYY-MM` names (None: no such month we show)."""
    found = _MONTH.fullmatch(given)
    if found is None or not 1 <= int(found[2]) <= 12:
        return None
    first = date(int(found[1]), int(found[2]), 1)
    return first if FIRST_MONTH <= first <= LAST_MONTH else None


def _shift(first: date, months: int) -> str | None:
    """The `YYYY-MM` of the month `months` away (None: beyond what we show)."""
    index = first.year * 12 + first.month - 1 + months
    shifted = date(index // 12, index % 12 + 1, 1)
    return f"{shifted:%Y-%m}" if FIRST_MONTH <= shifted <= LAST_MONTH else None
