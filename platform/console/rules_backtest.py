"""The backtest: a period's events replayed under a draft rule set (`rules_sets`), by the
service behind `POST /api/v1/rules:backtest`. Its answer is shown as a chart of the
points per day and per rule, the draft set's against what was given (with the figures
in a table, by the `chart` macro), the totals per rule, and the change in what the
tenant owes its members: in points and, when the tenant has priced its points (its mall
settings' checkout rate), in money.

The form is asked for with GET (`?run=1` once submitted): a backtest only reads, so it
takes no write lock, however long it runs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import request
from flask_babel import format_number

from jifen.console.access import current, staff_page
from jifen.console.pages import bp, page_language, render
from jifen.console.rules import type_title
from jifen.console.rules_sets import RuleSet, offered, ticked_ids
from jifen.errors import JifenError, NotFound
from jifen.i18n import N_, format_money, translate
from jifen.mall import settings as mall_settings
from jifen.mall.checkout import value_of
from jifen.rules import simulation
from jifen.tenants import roles
from jifen.web import db_session, services

DEFAULT_DAYS = 30
MOST_DAYS = 366  # a year's days, each a bar of the chart
DRAFT, ACTUAL = "draft", "actual"


@dataclass
class Period:
    """The period's first and last days, as typed, and what is wrong with them."""

    start: str
    end: str
    problems: dict[str, str]


@bp.route("/rules/backtest")
@staff_page(roles.VIEW)
def rules_backtest() -> tuple[str, int]:
    """The backtest's form and, once submitted, its result."""
    tenant = current().tenant
    assert tenant is not None
    zone = ZoneInfo(tenant.timezone)
    submitted = request.args.get("run") == "1"
    today = services().clock.now().astimezone(zone).date()
    period = Period(
        start=request.args.get("start", "")[:32] if submitted else str(today - _days(DEFAULT_DAYS)),
        end=request.args.get("end", "")[:32] if submitted else str(today),
        problems={},
    )
    rule_set = offered(request.args, submitted=submitted)
    result = _backtested(period, rule_set, zone) if submitted else None
    return render(
        "console/rules_backtest.html",
        period=period,
        problems=period.problems,
        rule_set=rule_set,
        result=result,
    ), (422 if period.problems else 200)


def _days(count: int) -> timedelta:
    return timedelta(days=count - 1)


def _backtested(period: Period, rule_set: RuleSet, zone: ZoneInfo) -> dict[str, Any] | None:
    problems = period.problems
    rule_ids, problem = ticked_ids(rule_set)
    if problem:
        problems["rules"] = problem.translated()
    days = _dates(period, problems)
    if problems or days is None:
        return None
    first, last = days
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    svc = services()
    try:
        answer = simulation.backtest(
            db_session(),
            start,
            end,
            None,
            rule_types=svc.rule_types,
            clock=svc.clock,
            rule_ids=rule_ids,
        )
    except NotFound:
        raise  # a ticked rule that is not the tenant's: as missing
    except JifenError as refused:
        problems["rules"] = refused.translated()
        return None
    return _shown(answer, first, last)


def _dates(period: Period, problems: dict[str, str]) -> tuple[date, date] | None:
    found = {}
    for name in ("start", "end"):
        try:
            found[name] = date.fromisoformat(getattr(period, name).strip())
        except ValueError:
            problems[name] = translate(N_("Not a valid date."))
    if len(found) < 2:
        return None
    first, last = found["start"], found["end"]
    if last < first:
        problems["end"] = translate(N_("The last day cannot be before the first."))
    elif (last - first).days >= MOST_DAYS:
        problems["end"] = translate(N_("At most %(days)s days at once."), {"days": MOST_DAYS})
    return None if problems else (first, last)


def _shown(answer: dict[str, Any], first: date, last: date) -> dict[str, Any]:
    """The backtest's answer as the page shows it: totals, the chart and its figures,
    the totals per rule and the change in liability."""
    rule_types = services().rule_types
    # Each side's rules, by a key that matches a saved rule on both sides (its id), and
    # the issued awards of no rule by their type.
    names: dict[tuple[str, str], str] = {}

    def key(row: dict[str, Any]) -> str:
        return row["rule_id"] or f"type:{row['rule_type']}"

    def name(row: dict[str, Any]) -> str:
        return row["rule_name"] or type_title(rule_types, row["rule_type"])

    daily: dict[str, dict[tuple[str, str], int]] = {
        DRAFT: defaultdict(int),
        ACTUAL: defaultdict(int),
    }
    for side, rows in ((DRAFT, answer["by_day"]), (ACTUAL, answer["issued_by_day"])):
        for row in rows:
            names[side, key(row)] = name(row)
            daily[side][row["day"], key(row)] += row["points"]
    totals: dict[str, dict[str, int]] = {DRAFT: defaultdict(int), ACTUAL: defaultdict(int)}
    for side, rows in ((DRAFT, answer["by_rule"]), (ACTUAL, answer["issued_by_rule"])):
        for row in rows:
            names[side, key(row)] = name(row)
            totals[side][key(row)] += row["points"]
    days = [str(first + timedelta(days=n)) for n in range((last - first).days + 1)]
    return {
        "events": format_number(answer["events"]),
        "truncated": answer["truncated"],
        "would_issue": format_number(answer["would_issue"]),
        "issued": format_number(answer["issued"]),
        "change": _change(answer["would_issue"] - answer["issued"]),
        "chart": _chart(days, daily, names),
        "by_rule": _by_rule(totals, names),
    }


def _labels() -> dict[str, str]:
    return {DRAFT: translate(N_("Draft")), ACTUAL: translate(N_("Actual"))}


def _chart(
    days: list[str], daily: dict[str, dict[tuple[str, str], int]], names: dict[tuple[str, str], str]
) -> dict[str, Any]:
    """The ECharts option (a stacked bar a day for each side, a series a rule) and the
    figures' rows (a day and a rule with each side's points, where either has any)."""
    labels = _labels()
    series = []
    for side in (DRAFT, ACTUAL):
        rules = sorted({rule for _, rule in daily[side]}, key=lambda r: names[side, r])
        for rule in rules:
            series.append(
                {
                    "name": f"{labels[side]} · {names[side, rule]}",
                    "type": "bar",
                    "stack": side,
                    "emphasis": {"focus": "series"},
                    "data": [daily[side].get((day, rule), 0) for day in days],
                }
            )
    option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "bottom": 0},
        "grid": {"left": 8, "right": 8, "top": 16, "bottom": 48, "containLabel": True},
        "xAxis": {"type": "category", "data": [day[5:] for day in days]},
        "yAxis": {"type": "value"},
        "series": series,
    }
    on_day: dict[str, set[str]] = defaultdict(set)
    for side in (DRAFT, ACTUAL):
        for day, rule in daily[side]:
            on_day[day].add(rule)
    rows = []
    for day in days:
        for rule in sorted(on_day[day], key=lambda r: _name(names, r)):
            draft, actual = daily[DRAFT].get((day, rule), 0), daily[ACTUAL].get((day, rule), 0)
            rows.append((day, _name(names, rule), format_number(draft), format_number(actual)))
    headers = [
        translate(N_("Day")),
        translate(N_("Rule")),
        labels[DRAFT],
        labels[ACTUAL],
    ]
    return {"option": option, "headers": headers, "rows": rows}


def _by_rule(
    totals: dict[str, dict[str, int]], names: dict[tuple[str, str], str]
) -> list[tuple[str, str, str, str]]:
    """Each rule's points on each side and the change, draft rules first."""
    rules = list(totals[DRAFT]) + [r for r in totals[ACTUAL] if r not in totals[DRAFT]]
    rows = []
    for rule in rules:
        draft, actual = totals[DRAFT].get(rule, 0), totals[ACTUAL].get(rule, 0)
        shown = _name(names, rule)
        rows.append((shown, format_number(draft), format_number(actual), _signed(draft - actual)))
    return rows


def _name(names: dict[tuple[str, str], str], rule: str) -> str:
    """A rule's name as the draft set has it, else as it was when it gave points."""
    return names.get((DRAFT, rule)) or names[ACTUAL, rule]


def _signed(points: int) -> str:
    return f"+{format_number(points)}" if points > 0 else format_number(points)


def _change(points: int) -> dict[str, str | None]:
    """The change in what the tenant owes its members had the draft set applied: points,
    and their value when the tenant has priced them."""
    tenant = current().tenant
    assert tenant is not None
    settings = mall_settings.settings_of(db_session(), tenant.id)
    money = None
    if settings.updated_at is not None:  # the defaults are no price the merchant set
        value = value_of(abs(points), settings.checkout_rate, tenant.currency)
        money = format_money(value, tenant.currency, page_language())
        money = f"+{money}" if points > 0 else (f"-{money}" if points < 0 else money)
    return {"points": _signed(points), "money": money}
