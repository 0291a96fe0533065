"""The dashboard: a tenant's points day by day (issued, redeemed, expired, active
members) from the roll-ups and their live tail, the redemption rate, the items members
redeem most, its tiers, the A/B arms of its campaigns, and the liability its points are,
in points and in money at the point's cost, today or as of a chosen day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import request

from jifen.console.access import current, staff_page
from jifen.console.pages import bp, page_language, render
from jifen.finance.values import value_of
from jifen.i18n import N_, format_money, translate
from jifen.ledger import daily, history
from jifen.mall.reports import top_products
from jifen.members import tiers
from jifen.rules.models import EarnRule
from jifen.rules.simulation import arm_report
from jifen.tenants import local_day, roles
from jifen.web import db_session, services

PERIODS = (7, 30, 90)


@dataclass(frozen=True)
class Headline:
    label: str
    value: str


def _period() -> int:
    asked = request.args.get("days", "30")
    return int(asked) if asked in {str(p) for p in PERIODS} else 30


def _as_of(today: date) -> date | None:
    """The past day the liability is asked as of (None: now)."""
    asked = request.args.get("as_of", "")[:10]
    try:
        day = date.fromisoformat(asked)
    except ValueError:
        return None
    return day if day < today else None


@bp.route("/dashboard")
@staff_page(roles.VIEW)
def dashboard() -> str:
    staff, session, svc = current(), db_session(), services()
    tenant = staff.tenant
    assert tenant is not None
    today = local_day(session.connection(), tenant.id, svc.clock.now())
    days = _period()
    first = today - timedelta(days=days - 1)
    shown = daily.figures(session, first, today)
    issued = sum(d.issued for d in shown)
    redeemed = sum(d.redeemed for d in shown)
    expired = sum(d.expired for d in shown)
    value = value_of(session, tenant.id)
    language = page_language()

    def money(points: int) -> str | None:
        minor = value.money(points)
        return None if minor is None else format_money(minor, tenant.currency, language)

    as_of = _as_of(today)
    liability: dict[str, Any]
    if as_of is None:
        now = history.liability(session, clock=svc.clock)
        liability = {
            "outstanding": now.outstanding,
            "held": now.held,
            "pending": now.pending,
            "debt": now.debt,
            "expiring_30_days": now.expiring_30_days,
            "expiring_90_days": now.expiring_90_days,
        }
    else:
        liability = {"outstanding": daily.held_through(session, as_of)}
    rate = (Decimal(redeemed) / Decimal(issued) * 100).quantize(Decimal("0.1")) if issued else None
    labels = [d.day.strftime("%m-%d") for d in shown]
    points_chart = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 16, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value"},
        "series": [
            {"name": translate(N_("Issued")), "type": "bar", "data": [d.issued for d in shown]},
            {"name": translate(N_("Redeemed")), "type": "bar", "data": [d.redeemed for d in shown]},
            {"name": translate(N_("Expired")), "type": "bar", "data": [d.expired for d in shown]},
        ],
    }
    members_chart = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 16, "top": 16, "bottom": 28},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": translate(N_("Active members")),
                "type": "line",
                "data": [d.active for d in shown],
            }
        ],
    }
    ladder = tiers.distribution(session, tenant.id)
    experiments = [
        (rule, arm_report(session, rule.id))
        for rule in session.query(EarnRule)
        .filter(EarnRule.status == "active", EarnRule.audience.isnot(None))
        .order_by(EarnRule.name)
        if rule.audience and "share" in rule.audience
    ]
    return render(
        "console/dashboard.html",
        days=days,
        periods=PERIODS,
        shown=shown,
        headlines=[
            Headline(translate(N_("Issued")), f"{issued:,}"),
            Headline(translate(N_("Redeemed")), f"{redeemed:,}"),
            Headline(translate(N_("Expired")), f"{expired:,}"),
            Headline(translate(N_("Redemption rate")), "—" if rate is None else f"{rate}%"),
            Headline(translate(N_("Active members today")), f"{shown[-1].active:,}"),
        ],
        points_chart=points_chart,
        points_rows=[(d.day, d.issued, d.redeemed, d.expired) for d in shown],
        members_chart=members_chart,
        member_rows=[(d.day, d.active) for d in shown],
        top=top_products(session, first, today),
        ladder=ladder,
        experiments=experiments,
        liability=liability,
        liability_money={name: money(points) for name, points in liability.items()},
        valued=value.cost is not None,
        as_of=as_of,
        today=today,
    )
