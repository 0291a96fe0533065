"""A signed-in member checks in from the mall's home page: the earn engine records it
and its rules pay, the page says what was earned and the day of the streak, a double
submit checks in once, and a form without its CSRF token, or from a signed-out browser,
records nothing."""

from __future__ import annotations

import re

from conftest import sqlite_only
from rules.api import call, member, rule

from jifen.tenants.models import TenantDomain
from storefront.test_sign_in_links import ENGLISH, link, new_key, signed_in_home

pytestmark = sqlite_only


def signed_in(client, tenant, user_id: str = "wx-alice") -> str:
    member_id = member(client, tenant, user_id, name="Alice")
    assert client.get(link(tenant, new_key(client, tenant), user_id)).status_code == 303
    return member_id


def check_in_form(client, tenant) -> tuple[str, dict[str, str]]:
    page = signed_in_home(client, tenant)
    (action,) = re.findall(r'<form method="post" action="([^"]+)">', page)
    token = re.findall(r'name="csrf_token" value="([^"]+)"', page)[0]
    return action, {"csrf_token": token}


def balance(client, tenant, member_id: str) -> int:
    return call(client, tenant, "GET", f"/members/{member_id}/points", None, 200).json["balance"]


def test_a_member_checks_in_and_sees_what_it_earned(client, tenant):
    rule(client, tenant, "checkin", {"points": 5})
    alice = signed_in(client, tenant)
    action, form = check_in_form(client, tenant)

    done = client.post(action, data=form, headers=ENGLISH)

    assert done.status_code == 303 and done.headers["Location"] == f"/m/{tenant.slug}/"
    page = signed_in_home(client, tenant)
    assert "Checked in: +5 积分." in page
    assert "Checked in today: day 1 of your streak" in page
    assert '/check-in"' not in page  # no second button today
    assert balance(client, tenant, alice) == 5


def test_a_double_submit_checks_in_once(client, tenant):
    rule(client, tenant, "checkin", {"points": 5})
    alice = signed_in(client, tenant)
    action, form = check_in_form(client, tenant)

    first, second = client.post(action, data=form), client.post(action, data=form)

    assert first.status_code == second.status_code == 303
    assert balance(client, tenant, alice) == 5


def test_the_next_day_continues_the_streak_in_chinese(client, tenant, clock):
    rule(client, tenant, "checkin", {"points": 5})
    signed_in(client, tenant)
    action, form = check_in_form(client, tenant)
    client.post(action, data=form)
    clock.advance(days=1)

    action, form = check_in_form(client, tenant)
    client.post(action, data=form)

    page = signed_in_home(client, tenant, {"Accept-Language": "zh-CN"})
    assert "今日已签到：连续签到第 2 天" in page


def test_a_form_without_its_token_or_without_a_member_records_nothing(client, tenant):
    rule(client, tenant, "checkin", {"points": 5})
    alice = signed_in(client, tenant)
    action, form = check_in_form(client, tenant)

    forged = client.post(action, data={})
    client.delete_cookie(f"jifen_mall_{tenant.tenant_id.hex}")
    signed_out = client.post(action, data=form)

    assert forged.status_code == 400
    assert signed_out.status_code == 303
    assert balance(client, tenant, alice) == 0


def test_on_the_merchants_own_host_a_link_signs_in_and_the_member_checks_in(client, svc, tenant):
    rule(client, tenant, "checkin", {"points": 5})
    alice = member(client, tenant, "wx-alice", name="Alice")
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        session.add(TenantDomain(domain="points.acme.test", tenant_id=tenant.tenant_id))
    own = {"Host": "points.acme.test", **ENGLISH}
    url = link(tenant, new_key(client, tenant), "wx-alice").replace(f"/m/{tenant.slug}", "")

    opened = client.get(url, headers=own)
    page = client.get("/", headers=own).get_data(as_text=True)
    token = re.findall(r'name="csrf_token" value="([^"]+)"', page)[0]
    done = client.post("/check-in", data={"csrf_token": token}, headers=own)

    assert opened.status_code == 303 and opened.headers["Location"] == "/"
    assert "Hello, Alice" in page and 'action="/check-in"' in page
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert balance(client, tenant, alice) == 5
    assert client.get(url, headers={"Host": "unknown.test"}).status_code == 404
