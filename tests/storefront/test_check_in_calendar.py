"""The member's check-in calendar: a month of days, each check-in marked with the day of
the streak it made, a streak that runs on from one month into the next, the months
before it, in the reader's language with their week; its button checks in and comes
back to it. A month it cannot show is a clear 400; a signed-out browser sees nothing."""

from __future__ import annotations

import re

import pytest
from conftest import sqlite_only
from rules.api import rule

from storefront.mall_pages import CHINESE, ENGLISH, form_fields, page, shopper, text
from storefront.test_sign_in_links import link, new_key

pytestmark = sqlite_only


def calendar(client, tenant, month: str = "", headers=ENGLISH, status: int = 200) -> str:
    query = f"?month={month}" if month else ""
    return page(client, f"/m/{tenant.slug}/account/check-ins{query}", headers, status)


def marked(html: str) -> dict[int, int]:
    """The days of the month marked as checked in, each with its day of the streak."""
    cells = re.findall(
        r'<td class="[^"]*checked"[^>]*>\s*<span class="day-number">(\d+)</span>\s*'
        r'<span class="streak-day" aria-hidden="true">✓(\d+)</span>',
        html,
    )
    return {int(day): int(streak) for day, streak in cells}


def a_day_later(client, tenant, clock, key, days: int = 1) -> None:
    """`days` on, the member opens the mall from the app again (a session idles out)."""
    clock.advance(days=days)
    assert client.get(link(tenant, key, "wx-alice", now=clock.now())).status_code == 303


def check_in_from_the_calendar(client, tenant) -> None:
    html = calendar(client, tenant)
    (action,) = re.findall(r'<form method="post" action="([^"]+/check-in)">', html)
    done = client.post(action, data=form_fields(html))
    assert done.status_code == 303
    assert done.headers["Location"] == f"/m/{tenant.slug}/account/check-ins"


def test_a_streak_runs_on_from_one_month_into_the_next(client, tenant, clock):
    rule(client, tenant, "checkin", {"points": 5})
    shopper(client, tenant)
    key = new_key(client, tenant)
    check_in_from_the_calendar(client, tenant)  # 1 March
    for days in (29, 1, 1):  # 30 and 31 March, 1 April
        a_day_later(client, tenant, clock, key, days)
        check_in_from_the_calendar(client, tenant)

    april = calendar(client, tenant)
    march = calendar(client, tenant, "2026-03")

    assert marked(april) == {1: 3}
    assert "Checked in today: day 3 of your streak" in text(april)
    assert '/check-in"' not in april  # no second check-in today
    assert marked(march) == {1: 1, 30: 1, 31: 2}
    assert f'href="/m/{tenant.slug}/account/check-ins?month=2026-04" rel="next"' in march
    assert 'rel="next"' not in april  # no month after this one


@pytest.mark.parametrize(
    ("headers", "title", "first_day"),
    [(ENGLISH, "March 2026", "Monday"), (CHINESE, "2026年3月", "星期一")],
)
def test_the_calendar_speaks_the_readers_language_and_week(
    client, tenant, headers, title, first_day
):
    shopper(client, tenant)

    html = calendar(client, tenant, headers=headers)

    assert f"<caption>{title}</caption>" in html
    assert re.findall(r'<abbr title="([^"]+)">', html)[0] == first_day
    assert 'aria-current="date"' in html  # today, 1 March


def test_a_day_missed_starts_a_new_streak(client, tenant, clock):
    shopper(client, tenant)
    before = text(calendar(client, tenant))
    assert "Last check-in" not in before and "Check in" in before
    key = new_key(client, tenant)
    check_in_from_the_calendar(client, tenant)
    a_day_later(client, tenant, clock, key, 2)
    check_in_from_the_calendar(client, tenant)

    assert marked(calendar(client, tenant)) == {1: 1, 3: 1}
    a_day_later(client, tenant, clock, key)
    assert "Last check-in Mar 3, 2026: day 1 of a streak" in text(calendar(client, tenant))


@pytest.mark.parametrize(
    "month", ["2026-13", "2026-00", "March", "2026-3", "2026-03%0A", "0001-01"]
)
def test_a_month_it_cannot_show_is_a_clear_400(client, tenant, month):
    shopper(client, tenant)

    html = calendar(client, tenant, month, status=400)

    assert "Choose a month as YYYY-MM" in text(html)


def test_a_signed_out_browser_sees_no_calendar(client, tenant):
    calendar(client, tenant, status=403)
