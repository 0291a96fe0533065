"""The member's tasks: what the merchant's rules offer them (a task, the daily check-in,
inviting a friend), each with its points, how often the member has earned it in its
period, and a button to the mall's page for doing it; in the member's language. Rules
the member is not in the audience of, paused or over are left off; so is a rule whose
plugin fails to say what it offers, named in the log, and the page still opens."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest
from conftest import sqlite_only
from marshmallow import Schema
from rules.api import call, event, rule

from jifen.hookimpl import hookimpl
from jifen.rules import Award, Context, EventView, MemberProfile, Offer
from storefront.mall_pages import CHINESE, ENGLISH, page, shopper, text
from storefront.test_sign_in_links import link, new_key

pytestmark = sqlite_only


def tasks(client, tenant, headers=ENGLISH, status: int = 200) -> str:
    return page(client, f"/m/{tenant.slug}/account/tasks", headers, status)


def share_rule(client, tenant, **fields: Any) -> dict:
    params = {
        "task": "share",
        "points": 10,
        "limit": 3,
        "period": "day",
        "title": "Share a product",
    }
    return rule(client, tenant, "task", params, name="share", **fields)


def share(client, tenant, member_id: str) -> None:
    assert event(client, tenant, "task", member_id, {"task": "share"}).status_code == 201


def test_tasks_show_their_points_progress_and_where_to_do_them(client, tenant):
    share_rule(client, tenant)
    rule(client, tenant, "checkin", {"points": 5})
    rule(client, tenant, "referral", {"inviter_registered": 20, "inviter_first_purchase": 50})
    rule(client, tenant, "spend")  # pays purchases: no task
    member_id = shopper(client, tenant)
    share(client, tenant, member_id)

    english = text(tasks(client, tenant))
    assert "Share a product +10 积分 1 of 3 today" in english
    assert "Check in every day +5 积分 0 of 1 today Go" in english
    assert "Invite a friend +70 积分 Go" in english
    assert "per unit" not in english and english.count("+") == 3
    html = tasks(client, tenant)
    assert f'href="/m/{tenant.slug}/account/check-ins"' in html
    assert f'href="/m/{tenant.slug}/account/invite"' in html
    assert "Tasks without a button are done in Acme's app or shops" in english

    chinese = text(tasks(client, tenant, CHINESE))
    assert "Share a product +10 积分 今日已完成 1/3" in chinese
    assert "每日签到 +5 积分 今日已完成 0/1 去完成" in chinese
    assert "邀请好友 +70 积分 去完成" in chinese


def test_a_task_done_as_often_as_allowed_reads_done_until_its_period_turns(client, tenant, clock):
    share_rule(client, tenant)
    member_id = shopper(client, tenant)
    key = new_key(client, tenant)
    for _ in range(4):  # the fourth pays nothing
        share(client, tenant, member_id)

    assert "Share a product +10 积分 3 of 3 today Done" in text(tasks(client, tenant))
    assert "今日已完成 3/3 已完成" in text(tasks(client, tenant, CHINESE))

    clock.advance(days=1)
    assert client.get(link(tenant, key, "wx-alice", now=clock.now())).status_code == 303
    assert "Share a product +10 积分 0 of 3 today" in text(tasks(client, tenant))


def test_rules_for_others_paused_or_over_are_left_off(client, tenant, clock):
    share_rule(client, tenant)
    rule(
        client,
        tenant,
        "task",
        {"task": "vip", "points": 99, "title": "Gold lounge"},
        audience={"tiers": ["gold"]},
    )
    paused = rule(client, tenant, "task", {"task": "quiz", "points": 7, "title": "Quiz"})
    call(client, tenant, "POST", f"/rules/{paused['id']}:disable", None, 200)
    ends = clock.now().isoformat()
    rule(client, tenant, "task", {"task": "old", "points": 8, "title": "Last year"}, ends_at=ends)
    shopper(client, tenant)

    shown = text(tasks(client, tenant))
    assert "Share a product" in shown
    assert "Gold lounge" not in shown and "Quiz" not in shown and "Last year" not in shown


def test_a_mall_without_tasks_says_so(client, tenant):
    rule(client, tenant, "spend")
    shopper(client, tenant)
    assert "No tasks right now." in text(tasks(client, tenant))
    assert "暂时没有任务。" in text(tasks(client, tenant, CHINESE))


def test_task_titles_are_shown_escaped(client, tenant):
    rule(client, tenant, "task", {"task": "x", "points": 1, "title": "<script>alert(1)</script>"})
    shopper(client, tenant)
    html = tasks(client, tenant)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_signed_out_browser_sees_no_tasks(client, tenant):
    share_rule(client, tenant)
    tasks(client, tenant, status=403)


class BrokenOffer:
    """A test rule type whose `offer` raises: the plugin's own bug."""

    name = "broken_offer"
    title = "Broken offer"

    class Params(Schema):
        pass

    def phase(self, params: Mapping[str, Any]) -> str:
        return "bonus"

    def evaluate(
        self, event: EventView, member: MemberProfile, params: Mapping[str, Any], ctx: Context
    ) -> list[Award]:
        return []

    def offer(self, params: Mapping[str, Any]) -> Offer:
        raise RuntimeError("the plugin's own bug")

    @hookimpl
    def register_earn_rules(self) -> list[Any]:
        return [self]


@pytest.fixture
def broken_offer(svc) -> BrokenOffer:
    rule_type = BrokenOffer()
    svc.plugins.register(rule_type, name="test_broken_offer")
    svc.__dict__.pop("rule_types", None)  # built on first use: rebuild with the new type
    return rule_type


def test_a_plugin_failing_to_say_what_it_offers_is_named_and_left_off(
    client, tenant, broken_offer, caplog
):
    share_rule(client, tenant)
    rule(client, tenant, "broken_offer")
    shopper(client, tenant)

    with caplog.at_level(logging.ERROR, logger="jifen.rules.offers"):
        shown = text(tasks(client, tenant))

    assert "Share a product +10 积分" in shown
    (logged,) = [r for r in caplog.records if r.name == "jifen.rules.offers"]
    assert "test_broken_offer" in str(logged.exc_info[1])


def test_a_review_task_leads_to_the_members_reviews(client, tenant):
    params = {"event": "review", "points": 20, "limit": 5, "period": "month", "title": "Review"}
    rule(client, tenant, "task", params)
    shopper(client, tenant)
    html = tasks(client, tenant)
    assert "Review +20 积分 0 of 5 this month Go" in text(html)
    assert f'href="/m/{tenant.slug}/account/reviews"' in html
