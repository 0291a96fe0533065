"""The console's earn rules: a merchant lists their rules, enables, disables, archives
and reprioritises them, makes and changes them through forms generated from each rule
type's parameters (a plugin's type included), and tries them before they apply: one
event simulated, a period backtested against what was given."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from conftest import sqlite_only
from marshmallow import Schema, fields, validate
from rules.api import call, event, member, purchase, rule

from console.console_pages import CHINESE, ENGLISH, form_fields, page, post, signed_in_as, text
from jifen.hookimpl import hookimpl
from jifen.rules import Award
from jifen.rules.models import EarnRule, EarnRuleVersion, Event
from jifen.types import StrictInteger

pytestmark = sqlite_only


def send(client, page_url: str, url: str, data: dict, headers=ENGLISH):
    """Post to `url` with the CSRF token of the page at `page_url` (where its form is)."""
    token = form_fields(page(client, page_url, headers))["csrf_token"]
    return client.post(url, data={"csrf_token": token} | data, headers=headers)


def saved(svc, tenant, rule_id: str) -> EarnRule:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        found = session.get(EarnRule, (tenant.tenant_id, uuid.UUID(rule_id)))
        assert found is not None
        session.expunge(found)
        return found


def versions(svc, tenant, rule_id: str) -> int:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return session.query(EarnRuleVersion).filter_by(rule_id=uuid.UUID(rule_id)).count()


def tiers(client, tenant) -> None:
    ladder = [
        {"code": "silver", "name": "Silver", "rank": 1, "basis": "lifetime_points", "threshold": 0},
        {"code": "gold", "name": "Gold", "rank": 2, "basis": "lifetime_points", "threshold": 5000},
    ]
    call(client, tenant, "PUT", "/tiers", {"tiers": ladder}, 200)


def problem_beside(html: str, name: str) -> str:
    """The problem shown beside the input `name` (the `field` macro's)."""
    found = re.search(rf'<span class="problem" id="{name}-problem">([^<]*)</span>', html)
    assert found, f"no problem beside {name}"
    return found[1]


def params_error(html: str, name: str) -> str:
    """The error shown beside a generated parameter's input (`params-<name>`)."""
    found = re.search(rf'<p class="error" id="field-params-{name}-error">([^<]*)</p>', html)
    assert found, f"no error beside params-{name}"
    return found[1]


# --- the list -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (
            ENGLISH,
            [
                "Points for spending",
                "Enabled",
                "Tiers: Gold",
                "Daily check-in",
                "Draft",
                "Tags: vip, new",
                "30% of members (an A/B test)",
                "Everyone",
                "Always",
            ],
        ),
        (
            CHINESE,
            [
                "消费积分",
                "已启用",
                "等级：Gold",
                "每日签到",
                "草稿",
                "标签：vip, new",
                "30% 的会员（A/B 测试）",
                "所有人",
                "始终",
            ],
        ),
    ],
)
def test_the_list_shows_each_rules_type_status_priority_audience_and_window(
    client, svc, tenant, headers, words
):
    tiers(client, tenant)
    rule(client, tenant, "spend", name="Big spenders", priority=7, audience={"tiers": ["gold"]})
    rule(
        client,
        tenant,
        "checkin",
        name="Check in",
        status="draft",
        audience={"tags": ["vip", "new"]},
    )
    rule(
        client, tenant, "task", {"task": "share", "points": 5}, name="Half", audience={"share": 30}
    )
    campaign = {"kind": "multiplier", "multiplier": "2"}
    rule(
        client,
        tenant,
        "campaign",
        campaign,
        name="Spring",
        starts_at="2026-03-10T00:00:00+08:00",
        ends_at="2026-03-20T00:00:00+08:00",
    )
    signed_in_as(client, svc, tenant, "admin", headers)

    shown = text(page(client, "/console/rules", headers))

    for word in words:
        assert word in shown
    assert "Big spenders" in shown and "Check in" in shown and "Spring" in shown
    assert 'value="7"' in page(client, "/console/rules", headers)
    # The campaign's window, in the tenant's time zone (Asia/Shanghai).
    assert "3/10/26" in shown or "2026/3/10" in shown


def test_rules_are_enabled_disabled_and_archived_from_the_list(client, svc, tenant):
    made = rule(client, tenant, "spend", name="Per yuan", status="draft")
    signed_in_as(client, svc, tenant, "admin")
    url = f"/console/rules/{made['id']}/status"

    enabled = send(client, "/console/rules", url, {"action": "enable", "status": "in_use"})
    assert enabled.status_code == 303
    assert saved(svc, tenant, made["id"]).status == "active"
    assert "“Per yuan” is active." in text(page(client, enabled.headers["Location"]))

    assert send(client, "/console/rules", url, {"action": "disable"}).status_code == 303
    assert saved(svc, tenant, made["id"]).status == "disabled"
    assert send(client, "/console/rules", url, {"action": "archive"}).status_code == 303
    assert saved(svc, tenant, made["id"]).status == "archived"
    assert f'id="rule-{made["id"]}"' not in page(client, "/console/rules")
    assert f'id="rule-{made["id"]}"' in page(client, "/console/rules?status=archived")
    assert versions(svc, tenant, made["id"]) == 4


def test_an_action_the_rules_status_does_not_allow_is_refused_beside_it(client, svc, tenant):
    made = rule(client, tenant, "spend", name="Per yuan", status="draft")
    signed_in_as(client, svc, tenant, "admin")
    url = f"/console/rules/{made['id']}/status"

    refused = send(client, "/console/rules", url, {"action": "disable"})

    assert refused.status_code == 409
    assert "Per yuan: The rule cannot take this action in its current status." in text(
        refused.get_data(as_text=True)
    )
    assert saved(svc, tenant, made["id"]).status == "draft"
    unknown = send(client, "/console/rules", url, {"action": "explode"})
    assert unknown.status_code == 422
    assert "One of enable, disable, archive." in text(unknown.get_data(as_text=True))


def test_enabling_a_second_exclusive_rule_of_a_phase_names_the_first(client, svc, tenant):
    rule(client, tenant, "spend", name="Base", exclusive=True)
    second = rule(
        client, tenant, "spend", {"rate": "2"}, name="Double", exclusive=True, status="draft"
    )
    signed_in_as(client, svc, tenant, "admin")

    refused = send(
        client, "/console/rules", f"/console/rules/{second['id']}/status", {"action": "enable"}
    )

    assert refused.status_code == 409
    assert "overlaps this one. (“Base”)" in text(refused.get_data(as_text=True))
    assert saved(svc, tenant, second["id"]).status == "draft"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("high", "Not a valid integer."),
        ("5000", "Must be greater than or equal to -1000 and less than or equal to 1000."),
        ("", "Not a valid integer."),
    ],
)
def test_a_priority_is_changed_from_the_list_and_a_bad_one_refused(
    client, svc, tenant, given, message
):
    made = rule(client, tenant, "spend", name="Per yuan")
    signed_in_as(client, svc, tenant, "admin")
    url = f"/console/rules/{made['id']}/priority"

    changed = send(client, "/console/rules", url, {"priority": "-3"})
    assert changed.status_code == 303
    assert saved(svc, tenant, made["id"]).priority == -3
    assert "now has priority -3" in text(page(client, changed.headers["Location"]))

    refused = send(client, "/console/rules", url, {"priority": given})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert f"Per yuan: {message}" in text(html)
    assert f'aria-describedby="problem-{made["id"]}"' in html
    assert saved(svc, tenant, made["id"]).priority == -3


def test_a_viewer_sees_the_rules_and_is_refused_every_change(client, svc, tenant):
    made = rule(client, tenant, "spend", name="Per yuan")
    signed_in_as(client, svc, tenant, "viewer")

    listed = page(client, "/console/rules")
    assert "Per yuan" in text(listed)
    assert "/status" not in listed and "/priority" not in listed and "New rule" not in listed
    token = form_fields(listed)["csrf_token"]
    for url, data in (
        (f"/console/rules/{made['id']}/status", {"action": "disable"}),
        (f"/console/rules/{made['id']}/priority", {"priority": "1"}),
        (f"/console/rules/{made['id']}", {"name": "Mine"}),
        ("/console/rules/new?type=spend", {"name": "Mine"}),
    ):
        assert client.post(url, data={"csrf_token": token} | data).status_code == 403
    assert client.get(f"/console/rules/{made['id']}").status_code == 403
    assert saved(svc, tenant, made["id"]).status == "active"
    # Trying rules changes nothing: a viewer may.
    assert client.get("/console/rules/simulate").status_code == 200
    assert client.get("/console/rules/backtest").status_code == 200


def test_another_tenants_rules_answer_as_missing_ones(client, svc, tenant, make_tenant):
    other = make_tenant("other")
    theirs = rule(client, other, "spend", name="Theirs", status="draft")
    signed_in_as(client, svc, tenant, "owner")
    token = form_fields(page(client, "/console/rules"))["csrf_token"]

    for url in (f"/console/rules/{theirs['id']}", f"/console/rules/{uuid.uuid4()}"):
        assert client.get(url).status_code == 404
    for action in ("status", "priority"):
        answer = client.post(
            f"/console/rules/{theirs['id']}/{action}",
            data={"csrf_token": token, "action": "enable", "priority": "3"},
        )
        assert answer.status_code == 404
    simulated = client.get(
        f"/console/rules/simulate?run=1&rules=set&rule={theirs['id']}&kind=checkin&member=x"
    )
    assert simulated.status_code == 404
    backtested = client.get(
        f"/console/rules/backtest?run=1&start=2026-02-01&end=2026-03-01&rule={theirs['id']}"
    )
    assert backtested.status_code == 404
    assert saved(svc, other, theirs["id"]).status == "draft"


# --- a rule's form ---------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "title"), [(ENGLISH, "Daily check-in"), (CHINESE, "每日签到")])
def test_a_new_rule_starts_with_its_type(client, svc, tenant, headers, title):
    signed_in_as(client, svc, tenant, "admin", headers)
    chooser = text(page(client, "/console/rules/new", headers))
    assert title in chooser
    form = page(client, "/console/rules/new?type=checkin", headers)
    assert title in text(form)
    # The check-in rule's parameters, generated from its schema, beside the rule's own.
    for name in ("params-points", "params-cycle_days", "params-missed_days_allowed", "name"):
        assert f'name="{name}"' in form
    assert client.get("/console/rules/new?type=lottery", headers=headers).status_code == 404


def test_a_check_in_rule_is_made_with_a_streak_bonus_row_added(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    url = "/console/rules/new?type=checkin"
    typed = {
        "name": "Daily check-in",
        "params-points": "5",
        "priority": "2",
        "audience": "everyone",
        "status": "draft",
    }

    added = post(client, url, typed | {"params-_add": "params-streak_bonuses"})
    assert added.status_code == 200
    html = added.get_data(as_text=True)
    assert 'name="params-streak_bonuses-0-day"' in html
    assert 'value="Daily check-in"' in html  # the rule's own inputs kept as typed
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.query(EarnRule).count() == 0

    made = post(
        client,
        url,
        typed | {"params-streak_bonuses-0-day": "3", "params-streak_bonuses-0-points": "20"},
    )

    assert made.status_code == 303
    assert "“Daily check-in” is saved." in text(page(client, made.headers["Location"]))
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        found = session.query(EarnRule).one()
        assert (found.type, found.status, found.priority) == ("checkin", "draft", 2)
        assert found.params["points"] == 5
        assert found.params["streak_bonuses"] == [{"day": 3, "points": 20}]


def test_editing_a_rule_saves_a_new_version_and_keeps_its_ab_arms(client, svc, tenant):
    made = rule(
        client,
        tenant,
        "spend",
        {"rate": "1"},
        name="Per yuan",
        audience={"share": 30, "salt": "s1"},
    )
    signed_in_as(client, svc, tenant, "admin")
    url = f"/console/rules/{made['id']}"
    shown = page(client, url)
    assert 'value="Per yuan"' in shown and 'name="params-rate"' in shown

    changed = post(
        client,
        url,
        {
            "name": "Two per yuan",
            "params-rate": "2",
            "priority": "4",
            "audience": "share",
            "share": "40",
            "starts_at": "2026-03-05T08:00",
        },
    )

    assert changed.status_code == 303
    found = saved(svc, tenant, made["id"])
    assert (found.name, found.params["rate"], found.priority) == ("Two per yuan", "2", 4)
    assert found.audience == {"share": 40, "salt": "s1"}
    assert found.starts_at.isoformat() == "2026-03-05T00:00:00+00:00"  # 08:00 in Shanghai
    assert (found.version, found.status) == (2, "active")


def test_a_refused_form_shows_each_problem_beside_its_field(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")

    refused = post(
        client,
        "/console/rules/new?type=checkin",
        {
            "name": " ",
            "params-points": "lots",
            "priority": "first",
            "audience": "tags",
            "tags": "",
            "starts_at": "soon",
            "status": "draft",
        },
    )

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert problem_beside(html, "name") == "Required."
    assert problem_beside(html, "priority") == "Not a valid integer."
    assert problem_beside(html, "tags") == "Required."
    assert problem_beside(html, "starts_at") == "Not a valid datetime."
    assert params_error(html, "points") == "Not a valid integer."
    assert 'value="lots"' in html  # shown again as typed
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.query(EarnRule).count() == 0


def test_the_services_refusals_land_beside_their_fields_in_chinese(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin", CHINESE)

    refused = post(
        client,
        "/console/rules/new?type=spend",
        {
            "name": "积分",
            "params-rate": "1",
            "audience": "share",
            "share": "100",
            "starts_at": "2026-03-05T08:00",
            "ends_at": "2026-03-01T08:00",
            "status": "active",
        },
        CHINESE,
    )

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert problem_beside(html, "share") == "必须大于或等于 1 且小于或等于 99。"
    assert problem_beside(html, "ends_at") == "必须晚于开始时间。"
    assert "请修改以下问题" in text(html)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.query(EarnRule).count() == 0


def test_the_services_refusals_land_beside_what_they_are_about(client, svc, tenant):
    rule(client, tenant, "spend", name="Base", exclusive=True)
    signed_in_as(client, svc, tenant, "admin")

    conflict = post(
        client,
        "/console/rules/new?type=spend",
        {"name": "Double", "params-rate": "2", "exclusive": "y", "audience": "everyone"}
        | {"status": "active"},
    )
    assert conflict.status_code == 409
    assert "overlaps this one. (“Base”)" in problem_beside(
        conflict.get_data(as_text=True), "exclusive"
    )

    ghost = str(uuid.uuid4())
    unknown = post(
        client,
        "/console/rules/new?type=caps",
        {"name": "Cap", "params-period": "day", "params-limit": "100", "params-rules-0": ghost}
        | {"audience": "everyone", "status": "active"},
    )
    assert unknown.status_code == 422
    summary = text(unknown.get_data(as_text=True))
    assert f"The rule's parameters name rules the merchant does not have. {ghost}" in summary
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.query(EarnRule).count() == 1


def test_html_typed_into_a_rule_is_shown_escaped(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    name = '<script>alert("x")</script>'
    made = post(
        client,
        "/console/rules/new?type=task",
        {
            "name": name,
            "params-points": "3",
            "params-task": "<b>share</b>",
            "audience": "tags",
            "tags": "<i>vip</i>",
            "status": "draft",
        },
    )
    assert made.status_code == 303, made.get_data(as_text=True)[:3000]
    listed = page(client, "/console/rules")
    assert "<script>alert" not in listed and "&lt;script&gt;alert" in listed
    assert "<i>vip</i>" not in listed and "&lt;i&gt;vip&lt;/i&gt;" in listed
    # Typed back into a refused form: inside its inputs' values, still escaped.
    refused = post(
        client,
        "/console/rules/new?type=task",
        {"name": '"><script>x()</script>', "params-points": "<b>", "priority": "<i>"},
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "<script>x()" not in html and "<b>" not in html and "<i>" not in html
    assert 'value="&#34;&gt;&lt;script&gt;x()&lt;/script&gt;"' in html


def test_an_archived_rule_is_shown_but_cannot_be_changed(client, svc, tenant):
    made = rule(client, tenant, "spend", name="Old")
    call(client, tenant, "POST", f"/rules/{made['id']}:archive", None, 200)
    signed_in_as(client, svc, tenant, "admin")
    url = f"/console/rules/{made['id']}"
    assert "An archived rule cannot be changed." in text(page(client, url))
    refused = post(client, url, {"name": "New", "params-rate": "2", "audience": "everyone"})
    assert refused.status_code == 409
    assert saved(svc, tenant, made["id"]).name == "Old"


# --- a plugin's rule type --------------------------------------------------------------


class Bonus(Schema):
    weekday = fields.String(validate=validate.OneOf(["mon", "sat", "sun"]), required=True)
    points = StrictInteger(minimum=1, required=True, metadata={"x-unit": "points"})


class RainyDay:
    """A third party's rule type: points on some weekdays, its form never written."""

    name = "rainy_day"
    title = "Rainy days"
    fails = False

    class Params(Schema):
        bonuses = fields.List(fields.Nested(Bonus), load_default=list)
        threshold = StrictInteger(load_default=0, metadata={"x-money": True})

    def phase(self, params: Any) -> str:
        if RainyDay.fails:
            raise RuntimeError("a plugin's own bug")
        return "bonus"

    def evaluate(self, event, member, params, ctx) -> list[Award]:
        return [Award(b["points"], "rain") for b in params["bonuses"]]

    @hookimpl
    def register_earn_rules(self) -> list:
        return [self]


@pytest.fixture
def rainy_day(svc):
    plugin = RainyDay()
    svc.plugins.register(plugin, name="test_rainy_day")
    svc.__dict__.pop("rule_types", None)  # built on first use: rebuild with the new type
    yield plugin
    RainyDay.fails = False


def test_a_plugins_rule_type_gets_its_form_for_free(client, svc, tenant, rainy_day):
    signed_in_as(client, svc, tenant, "admin")
    assert "Rainy days" in text(page(client, "/console/rules/new"))
    made = post(
        client,
        "/console/rules/new?type=rainy_day",
        {
            "name": "Rain",
            "params-bonuses-0-weekday": "sat",
            "params-bonuses-0-points": "9",
            "params-threshold": "12.50",
            "audience": "everyone",
            "status": "active",
        },
    )
    assert made.status_code == 303
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        found = session.query(EarnRule).one()
    assert found.params == {"bonuses": [{"weekday": "sat", "points": 9}], "threshold": 1250}


def test_a_plugin_that_raises_is_named_and_the_page_still_answers(client, svc, tenant, rainy_day):
    signed_in_as(client, svc, tenant, "admin")
    RainyDay.fails = True
    refused = post(
        client,
        "/console/rules/new?type=rainy_day",
        {"name": "Rain", "audience": "everyone", "status": "active"},
    )
    assert refused.status_code == 422
    assert "Plugin 'test_rainy_day' raised RuntimeError" in text(refused.get_data(as_text=True))
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.query(EarnRule).count() == 0


def test_a_rule_whose_plugin_was_removed_is_listed_and_shown_but_not_tried(
    client, svc, tenant, clock
):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        gone = EarnRule(
            tenant_id=tenant.tenant_id,
            id=uuid.uuid4(),
            name="Rainy days",
            type="rainy_day",
            params={},
            priority=0,
            exclusive=False,
            status="active",
            version=1,
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        session.add(gone)
    signed_in_as(client, svc, tenant, "admin")
    assert "rainy_day (not installed)" in text(page(client, "/console/rules"))
    shown = text(page(client, f"/console/rules/{gone.id}"))
    assert "No installed plugin provides this rule type." in shown
    assert f'value="{gone.id}" disabled' in page(client, "/console/rules/backtest")


@pytest.mark.parametrize(
    "data",
    [
        {"params-_add": "params-nothing"},
        {"params-_remove": "params-streak_bonuses-99"},
        {"params-streak_bonuses-abc-day": "1"},
        {"params-streak_bonuses-999999-day": "1"},
        {"name": "x" * 5000, "tiers": ["a"] * 500, "audience": "tiers"},
        {"audience": "nobody", "status": "forever", "ends_at": "9" * 100},
        {"priority": "9" * 40, "share": "-1", "audience": "share"},
        {"starts_at": "2026-02-30T10:00", "params-points": "1e9"},
    ],
)
def test_nothing_posted_to_a_rules_form_is_a_server_error(client, svc, tenant, data):
    signed_in_as(client, svc, tenant, "admin")
    answer = post(
        client, "/console/rules/new?type=checkin", {"name": "C", "status": "draft"} | data
    )
    assert answer.status_code in (200, 303, 422)


# --- the simulator ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (ENGLISH, ["It would earn 128 积分", "Per yuan", "Earn", "1 point per 1.00 CNY"]),
        (CHINESE, ["128", "Per yuan", "获得"]),
    ],
)
def test_a_purchase_is_simulated_for_a_member_under_the_rules_in_force(
    client, svc, tenant, headers, words
):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", name="Per yuan")
    signed_in_as(client, svc, tenant, "viewer", headers)

    shown = client.get(
        "/console/rules/simulate?run=1&rules=current&kind=purchase&amount=128.00&who=member&member=alice",
        headers=headers,
    )

    assert shown.status_code == 200
    words_shown = text(shown.get_data(as_text=True))
    for word in words:
        assert word in words_shown
    assert call(client, tenant, "GET", f"/members/{alice}/points", None, 200).json["balance"] == 0
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.query(Event).count() == 0


def test_a_draft_set_is_simulated_for_a_newcomer_of_a_tier(client, svc, tenant):
    tiers(client, tenant)
    rule(client, tenant, "spend", name="Per yuan")
    gold_only = rule(client, tenant, "checkin", {"points": 7}, name="Gold check-in", status="draft")
    call(
        client,
        tenant,
        "PATCH",
        f"/rules/{gold_only['id']}",
        {"audience": {"tiers": ["gold"]}},
        200,
    )
    signed_in_as(client, svc, tenant, "admin")
    base = f"/console/rules/simulate?run=1&rules=set&rule={gold_only['id']}&kind=checkin"

    gold = text(client.get(f"{base}&who=newcomer&tier=gold").get_data(as_text=True))
    silver = text(client.get(f"{base}&who=newcomer&tier=silver").get_data(as_text=True))

    assert "It would earn 7 积分" in gold and "Gold check-in" in gold
    assert "It would earn 0 积分" in silver
    # Opened from the rule's form, the set is the rules in use and this one.
    opened = page(client, f"/console/rules/simulate?rule={gold_only['id']}")
    assert f'value="{gold_only["id"]}" checked' in opened


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("kind=purchase&amount=12.345&member=alice", "amount", "at most 2 decimal places"),
        ("kind=purchase&amount=&member=alice", "amount", "Required."),
        ("kind=purchase&amount=ten&member=alice", "amount", "Not a valid number."),
        ("kind=checkin&member=ghost", "member", "No member with this id"),
        ("kind=checkin&member=alice&when=2027-01-01T00:00", "when", "in the future"),
        ("kind=checkin&member=alice&when=tomorrow", "when", "Not a valid datetime."),
        ("kind=task&member=alice", "task", "Required."),
        ("kind=nothing&member=alice", "kind", "One of"),
        ("kind=checkin&who=newcomer&tier=platinum", "tier", "One of"),
        ("kind=checkin&who=newcomer&birthday=1990-13-01", "birthday", "Not a valid date."),
        ("kind=checkin&member=alice&rules=set", "rules", "Tick at least one rule."),
        ("kind=checkin&member=alice&rules=set&rule=nonsense", "rules", "Not a valid UUID."),
    ],
)
def test_a_refused_simulation_says_why_beside_the_input(client, svc, tenant, query, name, message):
    member(client, tenant, "alice")
    signed_in_as(client, svc, tenant, "viewer")
    answer = client.get(f"/console/rules/simulate?run=1&{query}")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in problem_beside(html, name)


# --- the backtest ----------------------------------------------------------------------


def history(client, tenant, clock) -> None:
    """Two days of purchases under "Per yuan" (1 a yuan): 100 on the 1st, 300 on the 2nd."""
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", name="Per yuan")
    purchase(client, tenant, alice, 10_000)
    clock.advance(days=1)
    purchase(client, tenant, alice, 20_000)
    purchase(client, tenant, alice, 10_000)
    event(client, tenant, "checkin", alice)
    clock.advance(hours=1)


@pytest.mark.parametrize(
    ("headers", "words"), [(ENGLISH, ["Draft", "Actual"]), (CHINESE, ["草稿", "实际"])]
)
def test_a_backtest_charts_a_draft_set_against_what_was_given_per_day(
    client, svc, tenant, clock, headers, words
):
    history(client, tenant, clock)
    double = rule(client, tenant, "spend", {"rate": "2"}, name="Two per yuan", status="draft")
    signed_in_as(client, svc, tenant, "viewer", headers)

    answer = client.get(
        f"/console/rules/backtest?run=1&start=2026-03-01&end=2026-03-02&rule={double['id']}",
        headers=headers,
    )

    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    shown = text(html)
    for word in words:
        assert word in shown
    # The figures: per day and rule, the draft set's against what was given.
    assert "2026-03-01 Two per yuan 200 0" in shown
    assert "2026-03-01 Per yuan 0 100" in shown
    assert "2026-03-02 Two per yuan 600 0" in shown
    assert "2026-03-02 Per yuan 0 300" in shown
    # The change in what the tenant owes its members: 800 points would be given, not 400.
    assert "+400" in shown
    option = re.search(r'<script type="application/json" id="backtest-option">(.*?)</script>', html)
    assert option and '"stack": "draft"' in option[1] and '"stack": "actual"' in option[1]
    assert "vendor/echarts" in html


def test_a_backtest_values_the_change_when_the_points_are_priced(client, svc, tenant, clock):
    history(client, tenant, clock)
    call(client, tenant, "PATCH", "/mall/settings", {"checkout_rate": 100}, 200)
    double = rule(client, tenant, "spend", {"rate": "2"}, name="Two per yuan", status="draft")
    signed_in_as(client, svc, tenant, "admin")
    shown = text(
        page(
            client,
            f"/console/rules/backtest?run=1&start=2026-03-01&end=2026-03-02&rule={double['id']}",
        )
    )
    assert "+400 (+CN¥4.00)" in shown


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("start=2026-03-05&end=2026-03-01", "end", "cannot be before the first"),
        ("start=2025-01-01&end=2026-03-01", "end", "At most 366 days"),
        ("start=yesterday&end=2026-03-01", "start", "Not a valid date."),
    ],
)
def test_a_backtest_over_a_bad_period_says_why(client, svc, tenant, query, name, message):
    made = rule(client, tenant, "spend", name="Per yuan")
    signed_in_as(client, svc, tenant, "viewer")
    answer = client.get(f"/console/rules/backtest?run=1&{query}&rule={made['id']}")
    assert answer.status_code == 422
    assert message in problem_beside(answer.get_data(as_text=True), name)


def test_the_backtest_starts_with_the_rules_in_use_ticked(client, svc, tenant):
    active = rule(client, tenant, "spend", name="On")
    draft = rule(client, tenant, "checkin", name="Maybe", status="draft")
    off = rule(client, tenant, "task", {"task": "share", "points": 1}, name="Off", status="draft")
    call(client, tenant, "POST", f"/rules/{off['id']}:enable", None, 200)
    call(client, tenant, "POST", f"/rules/{off['id']}:disable", None, 200)
    signed_in_as(client, svc, tenant, "viewer")
    html = page(client, "/console/rules/backtest")
    assert f'value="{active["id"]}" checked' in html
    assert f'value="{draft["id"]}" checked' in html
    assert f'value="{off["id"]}">' in html
    refused = client.get("/console/rules/backtest?run=1&start=2026-03-01&end=2026-03-01")
    assert refused.status_code == 422
    assert "Tick at least one rule." in text(refused.get_data(as_text=True))
