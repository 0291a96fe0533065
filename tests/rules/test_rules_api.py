"""/api/v1/rules: a merchant's rules are validated by their type, versioned, audited, and
applied only while active, in their window, to their audience; simulations and
backtests show what rules would do without posting anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jifen.audit import AuditEvent
from jifen.rules.models import Event

from .api import balance, call, event, member, purchase, rule

BUILT_IN_TYPES = [
    "birthday",
    "campaign",
    "caps",
    "checkin",
    "referral",
    "spend",
    "task",
    "tier_multiplier",
]


def create(client, tenant, body: dict, status: int = 201):
    return call(client, tenant, "POST", "/rules", body, status).json


def act(client, tenant, rule_id: str, action: str, status: int = 200) -> dict:
    return call(client, tenant, "POST", f"/rules/{rule_id}:{action}", None, status).json


def stored_events(svc, tenant) -> int:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return session.scalar(select(func.count()).select_from(Event))


def audit_actions(svc, tenant, object_id: str) -> list[str]:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_id == object_id)
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
        return [row.action for row in rows]


# --- creating and validating ------------------------------------------------------------


def test_a_rule_is_created_as_a_draft_unless_asked_to_be_active(client, tenant):
    draft = create(client, tenant, {"name": "1 per yuan", "type": "spend"})
    assert draft["status"] == "draft"
    assert draft["version"] == 1
    assert draft["phase"] == "earn"
    assert draft["params"]["rate"] == "1"  # normalised by the type's schema
    active = create(
        client,
        tenant,
        {
            "name": "cap",
            "type": "caps",
            "status": "active",
            "params": {"period": "day", "limit": 500},
        },
    )
    assert active["status"] == "active"
    assert active["phase"] == "cap"

    listed = call(client, tenant, "GET", "/rules", None, 200).json["items"]
    assert [r["id"] for r in listed] == [draft["id"], active["id"]]
    drafts = call(client, tenant, "GET", "/rules?status=draft", None, 200).json["items"]
    assert [r["id"] for r in drafts] == [draft["id"]]
    assert call(client, tenant, "GET", f"/rules/{draft['id']}", None, 200).json == draft
    call(client, tenant, "GET", "/rules?status=deleted", None, 422)


def test_a_draft_earns_nothing(client, tenant):
    alice = member(client, tenant, "alice")
    create(client, tenant, {"name": "1 per yuan", "type": "spend"})
    assert purchase(client, tenant, alice, 10_000)["points"] == 0


@pytest.mark.parametrize(
    ("type_", "params", "field"),
    [
        ("spend", {"rate": "lots"}, "rate"),
        ("spend", {"rounding": "banker"}, "rounding"),
        ("spend", {"surprise": 1}, "surprise"),
        ("task", {"task": "share", "points": 5.5}, "points"),
        ("task", {"task": "share", "points": 5.0}, "points"),
        ("task", {"task": "share", "points": "5"}, "points"),
        ("task", {"points": 5}, "task"),
        ("caps", {"period": "fortnight", "limit": 100}, "period"),
        ("caps", {"period": "day"}, "limit"),
        ("campaign", {"kind": "multiplier"}, "multiplier"),
    ],
)
def test_params_are_validated_by_the_rule_type(client, tenant, type_, params, field):
    body = {"name": "r", "type": type_, "params": params}
    error = create(client, tenant, body, 422)
    assert error["code"] == "rule_config_invalid"
    assert field in error["details"]["params"]
    assert call(client, tenant, "GET", "/rules", None, 200).json["items"] == []


def test_a_cap_naming_rules_the_merchant_does_not_have_is_refused(client, tenant, make_tenant):
    spend = rule(client, tenant, "spend")["id"]
    elsewhere = rule(client, make_tenant("other"), "spend")["id"]
    missing = "00000000-0000-4000-8000-000000000000"

    def cap(*rules: str) -> dict:
        return {
            "name": "cap",
            "type": "caps",
            "params": {"period": "day", "limit": 10, "rules": list(rules)},
        }

    refused = create(client, tenant, cap(spend, missing, elsewhere), 422)
    assert refused["code"] == "unknown_rules"
    assert refused["details"] == {"rule_ids": [missing, elsewhere]}
    assert [r["id"] for r in call(client, tenant, "GET", "/rules", None, 200).json["items"]] == [
        spend
    ]

    saved = create(client, tenant, cap(spend))
    path = f"/rules/{saved['id']}"
    changed = call(client, tenant, "PATCH", path, {"params": cap(elsewhere)["params"]}, 422).json
    assert (changed["code"], changed["details"]) == ("unknown_rules", {"rule_ids": [elsewhere]})
    kept = call(client, tenant, "GET", path, None, 200).json
    assert (kept["params"]["rules"], kept["version"]) == ([spend], 1)


def test_an_unknown_rule_type_is_refused(client, tenant):
    error = create(client, tenant, {"name": "r", "type": "lottery"}, 422)
    assert error["code"] == "unknown_rule_type"
    assert error["details"]["type"] == "lottery"
    assert error["details"]["known"] == BUILT_IN_TYPES


@pytest.mark.parametrize(
    "body",
    [
        {"type": "spend"},
        {"name": "r", "type": "spend", "status": "archived"},
        {"name": "r", "type": "spend", "priority": 1.5},
        {"name": "r", "type": "spend", "params": ["rate"]},
        {"name": "r", "type": "spend", "audience": {"share": 100}},
        {"name": "r", "type": "spend", "audience": {"tiers": ["gold"], "tags": ["vip"]}},
        {"name": "r", "type": "spend", "audience": {"tags": ["vip"], "salt": "x"}},
        {"name": "r", "type": "spend", "starts_at": "2026-03-01T00:00:00"},
    ],
)
def test_a_malformed_rule_is_refused(client, tenant, body):
    assert create(client, tenant, body, 422)["code"] == "validation_error"


def test_a_window_must_end_after_it_starts(client, tenant):
    body = {
        "name": "r",
        "type": "spend",
        "starts_at": "2026-03-02T00:00:00+08:00",
        "ends_at": "2026-03-01T00:00:00+08:00",
    }
    assert "ends_at" in create(client, tenant, body, 422)["details"]


def test_rule_types_lists_the_built_in_types_with_their_params(client, tenant):
    items = call(client, tenant, "GET", "/rule-types", None, 200).json["items"]
    assert [t["name"] for t in items] == BUILT_IN_TYPES
    spend = next(t for t in items if t["name"] == "spend")
    assert {"rate", "rounding", "minimum_spend"} <= spend["params"].keys()
    assert all(t["title"] for t in items)


# --- versions, statuses, audit --------------------------------------------------------


def test_every_change_is_a_new_version_with_who_made_it(client, tenant):
    created = create(client, tenant, {"name": "spend", "type": "spend"})
    rule_id = created["id"]
    path = f"/rules/{rule_id}"
    call(client, tenant, "PATCH", path, {"params": {"rate": "2"}}, 200)
    changed = call(client, tenant, "PATCH", path, {"name": "double", "priority": 5}, 200).json

    assert changed["version"] == 3
    assert (changed["name"], changed["priority"], changed["params"]["rate"]) == ("double", 5, "2")
    versions = call(client, tenant, "GET", f"{path}/versions", None, 200).json["items"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert [v["snapshot"]["params"]["rate"] for v in versions] == ["1", "2", "2"]
    assert [v["snapshot"]["name"] for v in versions] == ["spend", "spend", "double"]
    assert {v["actor_kind"] for v in versions} == {"api_key"}
    assert all(v["actor_id"] for v in versions)


def test_a_change_is_validated_as_a_whole(client, tenant):
    created = create(
        client, tenant, {"name": "t", "type": "task", "params": {"task": "share", "points": 5}}
    )
    path = f"/rules/{created['id']}"
    error = call(client, tenant, "PATCH", path, {"params": {"points": 5}}, 422).json
    assert error["code"] == "rule_config_invalid"
    window = {"starts_at": "2026-04-01T00:00:00+08:00", "ends_at": "2026-03-01T00:00:00+08:00"}
    call(client, tenant, "PATCH", path, window, 422)
    assert call(client, tenant, "GET", path, None, 200).json["version"] == 1


def test_status_transitions_and_refusals(client, tenant):
    rule_id = create(client, tenant, {"name": "s", "type": "spend"})["id"]

    assert act(client, tenant, rule_id, "disable", 409)["code"] == "rule_status_refused"
    assert act(client, tenant, rule_id, "enable")["status"] == "active"
    assert act(client, tenant, rule_id, "enable", 409)["details"] == {
        "status": "active",
        "action": "enable",
    }
    assert act(client, tenant, rule_id, "disable")["status"] == "disabled"
    assert act(client, tenant, rule_id, "enable")["status"] == "active"
    archived = act(client, tenant, rule_id, "archive")
    assert (archived["status"], archived["version"]) == ("archived", 5)

    for action in ("enable", "disable", "archive"):
        assert act(client, tenant, rule_id, action, 409)["code"] == "rule_status_refused"
    error = call(client, tenant, "PATCH", f"/rules/{rule_id}", {"name": "again"}, 409).json
    assert error["code"] == "rule_not_editable"
    versions = call(client, tenant, "GET", f"/rules/{rule_id}/versions", None, 200).json
    assert [v["snapshot"]["status"] for v in versions["items"]] == [
        "draft",
        "active",
        "disabled",
        "active",
        "archived",
    ]


def test_an_unknown_rule_is_not_found(client, tenant, make_tenant):
    other = make_tenant("other")
    rule_id = create(client, other, {"name": "s", "type": "spend"})["id"]
    call(client, tenant, "GET", f"/rules/{rule_id}", None, 404)
    call(client, tenant, "PATCH", f"/rules/{rule_id}", {"name": "mine"}, 404)
    act(client, tenant, rule_id, "enable", 404)
    call(client, tenant, "GET", f"/rules/{rule_id}/versions", None, 404)


def test_a_disabled_rule_stops_awarding(client, tenant):
    alice = member(client, tenant, "alice")
    spend = rule(client, tenant, "spend")
    assert purchase(client, tenant, alice, 10_000)["points"] == 100
    act(client, tenant, spend["id"], "disable")
    assert purchase(client, tenant, alice, 10_000)["points"] == 0
    act(client, tenant, spend["id"], "enable")
    assert purchase(client, tenant, alice, 10_000)["points"] == 100
    assert balance(client, tenant, alice) == 200


def test_a_change_applies_to_the_next_event(client, tenant):
    alice = member(client, tenant, "alice")
    spend = rule(client, tenant, "spend")
    assert purchase(client, tenant, alice, 10_000)["points"] == 100
    call(client, tenant, "PATCH", f"/rules/{spend['id']}", {"params": {"rate": "3"}}, 200)
    assert purchase(client, tenant, alice, 10_000)["points"] == 300


def test_changes_are_audited(client, tenant, svc):
    rule_id = create(client, tenant, {"name": "s", "type": "spend"})["id"]
    call(client, tenant, "PATCH", f"/rules/{rule_id}", {"params": {"rate": "2"}}, 200)
    act(client, tenant, rule_id, "enable")
    act(client, tenant, rule_id, "disable")
    act(client, tenant, rule_id, "archive")

    assert audit_actions(svc, tenant, rule_id) == [
        "earn_rule.create",
        "earn_rule.update",
        "earn_rule.enable",
        "earn_rule.disable",
        "earn_rule.archive",
    ]
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        update = session.scalar(select(AuditEvent).where(AuditEvent.action == "earn_rule.update"))
        assert (update.before["params"]["rate"], update.after["params"]["rate"]) == ("1", "2")
        assert update.actor_kind == "api_key"


# --- windows and exclusivity ----------------------------------------------------------


def test_a_rule_applies_within_its_window_by_when_the_event_happened(client, tenant, clock):
    alice = member(client, tenant, "alice")
    now = clock.now()
    rule(
        client,
        tenant,
        "spend",
        starts_at=(now - timedelta(days=2)).isoformat(),
        ends_at=(now - timedelta(days=1)).isoformat(),
    )

    def earned(at) -> int:
        return purchase(client, tenant, alice, 10_000, occurred_at=at.isoformat())["points"]

    assert earned(now - timedelta(days=3)) == 0
    assert earned(now - timedelta(days=2)) == 100  # the start is inside
    assert earned(now - timedelta(days=1, seconds=1)) == 100
    assert earned(now - timedelta(days=1)) == 0  # the end is not
    assert earned(now) == 0


def exclusive_spend(name: str, **window) -> dict:
    body = {"name": name, "type": "spend", "exclusive": True, "status": "active"}
    return body | {k: v.isoformat() for k, v in window.items()}


def test_overlapping_exclusive_rules_of_one_phase_conflict(client, tenant, clock):
    now = clock.now()
    first = create(client, tenant, exclusive_spend("a", ends_at=now + timedelta(days=7)))

    error = create(client, tenant, exclusive_spend("b", starts_at=now + timedelta(days=6)), 409)
    assert error["code"] == "rule_conflict"
    assert error["details"] == {"rule_id": first["id"], "name": "a"}

    # Back to back is fine, and so is a draft, or another phase.
    later = create(client, tenant, exclusive_spend("c", starts_at=now + timedelta(days=7)))
    draft = create(client, tenant, exclusive_spend("d") | {"status": "draft"})
    campaign = {
        "name": "2x",
        "type": "campaign",
        "params": {"kind": "multiplier", "multiplier": "2"},
        "exclusive": True,
        "status": "active",
    }
    create(client, tenant, campaign)

    # Enabling the draft, or stretching a window over another, conflicts too.
    assert act(client, tenant, draft["id"], "enable", 409)["code"] == "rule_conflict"
    stretch = {"ends_at": (now + timedelta(days=8)).isoformat()}
    call(client, tenant, "PATCH", f"/rules/{first['id']}", stretch, 409)
    # Once one of them is disabled, the other may take its place.
    act(client, tenant, later["id"], "disable")
    call(client, tenant, "PATCH", f"/rules/{first['id']}", stretch, 200)


def test_another_merchants_exclusive_rule_is_no_conflict(client, tenant, make_tenant):
    other = make_tenant("other")
    create(client, other, exclusive_spend("theirs"))
    create(client, tenant, exclusive_spend("ours"))


def test_an_exclusive_rule_that_awards_replaces_its_phase(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"}, name="base")
    rule(
        client,
        tenant,
        "spend",
        {"rate": "5"},
        name="5x",
        exclusive=True,
    )
    result = purchase(client, tenant, alice, 10_000)
    assert [a["rule_name"] for a in result["awards"]] == ["5x"]
    assert result["points"] == 500
    assert "base: skipped, an exclusive earn rule applied" in result["notes"]


# --- audiences ------------------------------------------------------------------------


LADDER = {
    "tiers": [
        {"code": "silver", "name": "银卡", "rank": 1, "basis": "lifetime_points", "threshold": 100},
        {"code": "gold", "name": "金卡", "rank": 2, "basis": "lifetime_points", "threshold": 1000},
    ]
}


def test_a_tiers_audience_applies_to_members_of_those_tiers(client, tenant):
    call(client, tenant, "PUT", "/tiers", LADDER, 200)
    rule(client, tenant, "spend")
    bonus = {"kind": "bonus", "points": 50, "label": "gold bonus"}
    rule(client, tenant, "campaign", bonus, audience={"tiers": ["gold"]})
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")
    purchase(client, tenant, alice, 100_000)  # 1,000 points: gold at once

    assert purchase(client, tenant, alice, 1_000)["points"] == 10 + 50
    assert purchase(client, tenant, bob, 1_000)["points"] == 10


def test_a_tags_audience_applies_to_members_with_any_of_the_tags(client, tenant):
    rule(client, tenant, "spend", audience={"tags": ["vip", "staff"]}, name="tagged")
    vip = member(client, tenant, "vip", tags=["vip", "beijing"])
    staff = member(client, tenant, "staff", tags=["staff"])
    other = member(client, tenant, "other", tags=["beijing"])
    untagged = member(client, tenant, "untagged")
    points = [purchase(client, tenant, m, 1_000)["points"] for m in (vip, staff, other, untagged)]
    assert points == [10, 10, 0, 0]


def test_a_share_audience_splits_members_stably_and_reports_both_arms(client, tenant):
    shown = rule(client, tenant, "spend", {"rate": "2"}, audience={"share": 50}, name="a/b")
    assert shown["audience"]["salt"] == shown["id"]
    rule(client, tenant, "task", {"task": "share", "points": 1, "limit": 5}, name="everyone")
    crowd = [member(client, tenant, f"m{i}") for i in range(200)]

    def round_of(n: int) -> dict[str, int]:
        items = [
            {
                "id": f"r{n}-{i}",
                "kind": "purchase",
                "member_id": m,
                "data": {"amount": 1_000, "currency": "CNY"},
            }
            for i, m in enumerate(crowd)
        ]
        answer = call(client, tenant, "POST", "/events:batch", {"events": items}, 200).json
        assert answer["recorded"] == 200
        return {m: i["result"]["points"] for m, i in zip(crowd, answer["items"], strict=True)}

    first, second = round_of(1), round_of(2)
    assert first == second  # the same members are in the test arm every time
    in_test = [m for m, points in first.items() if points == 20]
    assert set(first.values()) == {0, 20}
    assert 40 <= len(in_test) <= 160

    shares = [
        {"id": f"s-{m}", "kind": "task", "member_id": m, "data": {"task": "share"}}
        for m in crowd[:10]
    ]
    call(client, tenant, "POST", "/events:batch", {"events": shares}, 200)

    report = call(client, tenant, "GET", f"/rules/{shown['id']}/report", None, 200).json
    assert report["rule_id"] == shown["id"]
    arms = {arm["arm"]: arm for arm in report["arms"]}
    assert arms.keys() == {"test", "control"}
    assert arms["test"]["members"] == len(in_test)
    assert arms["control"]["members"] == 200 - len(in_test)
    test_shares = sum(1 for m in crowd[:10] if m in in_test)
    # Each member's registration is an event too, once the tenant has rules.
    assert arms["test"]["events"] == 3 * len(in_test) + test_shares
    assert arms["control"]["events"] == 3 * (200 - len(in_test)) + 10 - test_shares
    assert arms["test"]["rule_points"] == arms["test"]["points"] - test_shares
    assert arms["test"]["rule_points"] == 2 * 20 * len(in_test)
    assert arms["control"]["rule_points"] == 0
    assert arms["control"]["points"] == 10 - test_shares


def test_two_share_rules_with_their_own_salts_split_independently(client, tenant):
    a = rule(client, tenant, "spend", audience={"share": 50, "salt": "spring"}, name="a")
    b = rule(client, tenant, "spend", audience={"share": 50, "salt": "spring"}, name="b")
    c = rule(client, tenant, "spend", audience={"share": 50}, name="c")
    assert a["audience"]["salt"] == b["audience"]["salt"] == "spring"
    assert c["audience"]["salt"] == c["id"]
    crowd = [member(client, tenant, f"m{i}") for i in range(40)]
    arms = {}
    for m in crowd:
        awarded = {x["rule_name"] for x in purchase(client, tenant, m, 100)["awards"]}
        assert ("a" in awarded) == ("b" in awarded)  # one salt, one split
        arms[m] = ("a" in awarded, "c" in awarded)
    assert len(set(arms.values())) > 2  # different salts split differently


def test_a_report_without_a_split_has_one_arm(client, tenant):
    spend = rule(client, tenant, "spend")
    alice = member(client, tenant, "alice")
    purchase(client, tenant, alice, 1_000)
    report = call(client, tenant, "GET", f"/rules/{spend['id']}/report", None, 200).json
    # Two events: alice's registration (recorded since the tenant has rules) and the buy.
    assert report["arms"] == [
        {"arm": "all", "members": 1, "events": 2, "points": 10, "rule_points": 10}
    ]


# --- simulation -----------------------------------------------------------------------


def test_simulating_an_event_explains_it_and_posts_nothing(client, tenant, svc):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", name="1 per yuan")
    rule(client, tenant, "campaign", {"kind": "bonus", "points": 20, "label": "welcome"})
    body = {
        "id": "order-1",
        "kind": "purchase",
        "member_id": alice,
        "data": {"amount": 12_800, "currency": "CNY"},
    }

    simulated = call(client, tenant, "POST", "/rules:simulate", {"event": body}, 200).json

    assert simulated["points"] == 148
    assert [(a["rule_name"], a["points"]) for a in simulated["awards"]] == [
        ("1 per yuan", 128),
        ("campaign", 20),
    ]
    assert balance(client, tenant, alice) == 0
    assert stored_events(svc, tenant) == 0
    recorded = call(client, tenant, "POST", "/events", body, 201).json
    assert recorded["points"] == 148
    assert [a["points"] for a in recorded["awards"]] == [128, 20]


def test_simulating_draft_rules_ignores_the_current_ones(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend")
    body = {
        "event": {
            "id": "order-1",
            "kind": "purchase",
            "external_id": "alice",
            "data": {"amount": 10_000, "currency": "CNY"},
        },
        "rules": [
            {"name": "triple", "type": "spend", "params": {"rate": "3"}},
            {"name": "cap", "type": "caps", "params": {"period": "day", "limit": 250}},
        ],
    }
    simulated = call(client, tenant, "POST", "/rules:simulate", body, 200).json
    assert simulated["points"] == 250
    assert [(a["rule_name"], a["phase"], a["points"]) for a in simulated["awards"]] == [
        ("triple", "earn", 300),
        ("cap", "cap", -50),
    ]
    assert balance(client, tenant, alice) == 0
    assert call(client, tenant, "GET", "/rules", None, 200).json["items"][0]["name"] == "spend"


def test_a_simulation_counts_the_members_real_history(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend")
    rule(client, tenant, "caps", {"period": "day", "limit": 150})
    purchase(client, tenant, alice, 10_000)
    event_body = {
        "id": "o2",
        "kind": "purchase",
        "member_id": alice,
        "data": {"amount": 10_000, "currency": "CNY"},
    }
    simulated = call(client, tenant, "POST", "/rules:simulate", {"event": event_body}, 200).json
    assert simulated["points"] == 50


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"event": {"id": "x", "kind": "purchase"}},
        {"event": {"id": "x", "kind": "purchase", "external_id": "alice", "data": {"amount": 1}}},
        {
            "event": {"id": "x", "kind": "checkin", "external_id": "alice"},
            "rules": [{"name": "r", "type": "spend", "params": {"rate": "x"}}],
        },
        {
            "event": {"id": "x", "kind": "checkin", "external_id": "alice"},
            "rules": [{"type": "spend"}],
        },
    ],
)
def test_a_bad_simulation_is_refused(client, tenant, body):
    member(client, tenant, "alice")
    response = call(client, tenant, "POST", "/rules:simulate", body)
    assert response.status_code == 422
    assert response.json["code"] in ("validation_error", "rule_config_invalid")


def test_simulating_for_an_unknown_member_is_refused(client, tenant):
    body = {"event": {"id": "x", "kind": "checkin", "external_id": "ghost"}}
    response = call(client, tenant, "POST", "/rules:simulate", body, 422)
    assert response.json["code"] == "unknown_member"


def test_simulating_a_referral_pays_the_inviter_however_named(client, tenant):
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")
    rule(client, tenant, "referral", {"inviter_registered": 20, "invitee_registered": 5})
    data = {"inviter_external_id": "alice", "stage": "registered"}
    body = {"event": {"id": "x", "kind": "referral", "member_id": bob, "data": data}}
    simulated = call(client, tenant, "POST", "/rules:simulate", body, 200).json
    assert simulated["points"] == 25
    assert sorted((a["member_id"], a["points"]) for a in simulated["awards"]) == sorted(
        [(alice, 20), (bob, 5)]
    )

    body["event"]["data"] = {**data, "inviter_external_id": "ghost"}
    response = call(client, tenant, "POST", "/rules:simulate", body, 422)
    assert response.json["code"] == "unknown_member"


def test_simulating_an_unknown_event_kind_is_refused(client, tenant):
    member(client, tenant, "alice")
    body = {"event": {"id": "x", "kind": "mystery", "external_id": "alice"}}
    response = call(client, tenant, "POST", "/rules:simulate", body, 422)
    assert response.json["code"] == "unknown_event_kind"


def test_custom_kinds_and_birthdays_may_be_simulated(client, tenant):
    member(client, tenant, "alice", birthday="1990-03-01")
    call(client, tenant, "POST", "/event-kinds", {"kind": "mystery", "title": "?"}, 201)
    rule(client, tenant, "task", {"event": "mystery", "points": 3})
    rule(client, tenant, "birthday", {"points": 100})
    for kind, points in (("mystery", 3), ("birthday", 100)):
        body = {"event": {"id": "x", "kind": kind, "external_id": "alice"}}
        assert call(client, tenant, "POST", "/rules:simulate", body, 200).json["points"] == points


# --- backtests ------------------------------------------------------------------------


def test_a_backtest_replays_a_period_under_draft_rules(client, tenant, clock):
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")
    rule(client, tenant, "spend", name="current")
    start = clock.now()
    for who, amount in ((alice, 10_000), (bob, 20_000), (alice, 30_000)):
        purchase(client, tenant, who, amount)
        clock.advance(minutes=10)
    event(client, tenant, "checkin", alice)
    clock.advance(minutes=10)
    drafts = [
        {"name": "double", "type": "spend", "params": {"rate": "2"}},
        {"name": "check-in", "type": "checkin", "params": {"points": 5}},
        {"name": "cap", "type": "caps", "params": {"period": "day", "limit": 700}},
    ]
    body = {"start": start.isoformat(), "end": clock.now().isoformat(), "rules": drafts}

    answer = call(client, tenant, "POST", "/rules:backtest", body, 200).json

    assert answer["events"] == 4
    assert answer["truncated"] is False
    assert answer["issued"] == 600
    # alice: 200 + 600 = 800, capped to 700, and her check-in is over the cap too; bob: 400.
    assert answer["would_issue"] == 700 + 400
    by_rule = {r["rule_name"]: r["points"] for r in answer["by_rule"]}
    assert by_rule == {"double": 1_200, "check-in": 5, "cap": -105}
    issued = answer["issued_by_rule"]
    assert [(r["rule_name"], r["rule_type"], r["points"]) for r in issued] == [
        ("current", "spend", 600)
    ]


def test_a_backtest_counts_check_in_streaks_as_recording_does(client, tenant, clock):
    alice = member(client, tenant, "alice")
    start = clock.now()
    for _ in range(3):
        event(client, tenant, "checkin", alice)
        clock.advance(days=1)
    streaks = {"points": 5, "streak_bonuses": [{"day": 3, "points": 10}]}
    drafts = [{"name": "check-in", "type": "checkin", "params": streaks}]
    body = {"start": start.isoformat(), "end": clock.now().isoformat(), "rules": drafts}
    answer = call(client, tenant, "POST", "/rules:backtest", body, 200).json
    assert (answer["events"], answer["would_issue"]) == (3, 5 + 5 + 5 + 10)


def test_a_backtest_counts_only_its_period(client, tenant, clock):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend")
    purchase(client, tenant, alice, 10_000)
    clock.advance(hours=1)
    start = clock.now()
    purchase(client, tenant, alice, 20_000)
    body = {
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "rules": [{"name": "half", "type": "spend", "params": {"rate": "0.5"}}],
    }
    answer = call(client, tenant, "POST", "/rules:backtest", body, 200).json
    assert (answer["events"], answer["issued"], answer["would_issue"]) == (1, 200, 100)


@pytest.mark.parametrize(
    "body",
    [
        {"start": "2026-03-02T00:00:00+08:00", "end": "2026-03-01T00:00:00+08:00"},
        {"start": "2026-03-01T00:00:00+08:00", "end": "2026-03-01T00:00:00+08:00"},
        {"start": "2026-03-01T00:00:00", "end": "2026-03-02T00:00:00"},
        {"start": "yesterday", "end": "2026-03-02T00:00:00+08:00"},
        {"end": "2026-03-02T00:00:00+08:00"},
    ],
)
def test_a_backtest_over_a_bad_range_is_refused(client, tenant, body):
    body = {"rules": [{"name": "s", "type": "spend"}], **body}
    response = call(client, tenant, "POST", "/rules:backtest", body, 422)
    assert response.json["code"] == "validation_error"


@pytest.mark.parametrize(
    ("rules", "code"),
    [
        ([], "validation_error"),
        ([{"name": "s", "type": "lottery"}], "unknown_rule_type"),
        ([{"name": "s", "type": "spend", "params": {"rate": -1}}], "rule_config_invalid"),
    ],
)
def test_a_backtest_of_bad_rules_is_refused(client, tenant, rules, code):
    body = {"start": "2026-03-01T00:00:00+08:00", "end": "2026-03-02T00:00:00+08:00"}
    response = call(client, tenant, "POST", "/rules:backtest", body | {"rules": rules}, 422)
    assert response.json["code"] == code
