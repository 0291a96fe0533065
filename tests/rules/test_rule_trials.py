"""Trying rules before they apply, as the console does: a set of the tenant's saved rules
(drafts included) simulated and backtested by their ids, an event simulated for a
newcomer who is no member yet, and a backtest's points per day of the tenant's calendar
on both sides."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from conftest import sqlite_only

from jifen.errors import NotFound, ValidationFailed
from jifen.rules import simulation
from jifen.rules.events import EventIn

from .api import call, event, member, purchase, rule

pytestmark = sqlite_only


def simulated(svc, tenant, given: EventIn, **options):
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return simulation.simulate(
            session, given, None, rule_types=svc.rule_types, clock=svc.clock, **options
        )


def backtested(svc, tenant, start: datetime, end: datetime, rule_ids: list[str]):
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return simulation.backtest(
            session,
            start,
            end,
            None,
            rule_types=svc.rule_types,
            clock=svc.clock,
            rule_ids=[uuid.UUID(rule_id) for rule_id in rule_ids],
        )


def a_purchase(amount: int, **who) -> EventIn:
    data = {"amount": amount, "currency": "CNY"}
    return EventIn(event_id="sim", kind="purchase", data=data, **who)


def test_saved_drafts_are_tried_as_saved_a_cap_limiting_one_by_its_id(client, svc, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", name="Per yuan")
    double = rule(client, tenant, "spend", {"rate": "2"}, name="Double", status="draft")
    cap = {"period": "day", "limit": 150, "rules": [double["id"]]}
    capped = rule(client, tenant, "caps", cap, name="Cap", status="draft")

    answer = simulated(
        svc,
        tenant,
        a_purchase(10_000, member_id=uuid.UUID(alice)),
        rule_ids=[uuid.UUID(double["id"]), uuid.UUID(capped["id"])],
    )

    # The rule in force is not in the set; the cap trims the draft it names.
    assert [(a["rule_name"], a["points"]) for a in answer["awards"]] == [
        ("Double", 200),
        ("Cap", -50),
    ]
    assert answer["points"] == 150


def test_a_newcomer_is_simulated_with_their_tier_and_tags_and_no_history(client, svc, tenant):
    gold = {"code": "gold", "name": "Gold", "rank": 1, "basis": "lifetime_points"}
    gold |= {"threshold": 1000, "earn_multiplier": "2"}
    call(client, tenant, "PUT", "/tiers", {"tiers": [gold]}, 200)
    rule(client, tenant, "spend", name="Per yuan")
    rule(client, tenant, "tier_multiplier", name="Tiers")
    rule(client, tenant, "caps", {"period": "day", "limit": 1000}, name="Cap")
    welcome = {"kind": "bonus", "points": 30, "events": ["purchase"]}
    rule(client, tenant, "campaign", welcome, name="VIPs", audience={"tags": ["vip"]})
    # A member who has earned up to the day's cap already: the newcomer has no history.
    alice = member(client, tenant, "alice")
    purchase(client, tenant, alice, 100_000)

    newcomer = simulation.Newcomer(tier="gold", tags=frozenset({"vip"}))
    answer = simulated(svc, tenant, a_purchase(10_000), newcomer=newcomer)

    assert [(a["rule_name"], a["points"]) for a in answer["awards"]] == [
        ("Per yuan", 100),
        ("Tiers", 100),
        ("VIPs", 30),
    ]
    plain = simulated(svc, tenant, a_purchase(10_000), newcomer=simulation.Newcomer())
    assert plain["points"] == 100
    assert simulated(svc, tenant, a_purchase(10_000, external_id="alice"))["points"] == 0


def test_a_newcomer_of_a_tier_the_tenant_lacks_is_refused(client, svc, tenant):
    with pytest.raises(ValidationFailed) as refused:
        simulated(svc, tenant, a_purchase(100), newcomer=simulation.Newcomer(tier="platinum"))
    assert list(refused.value.details) == ["tier"]


def test_a_set_naming_another_tenants_or_an_archived_rule_reads_as_missing(
    client, svc, tenant, make_tenant
):
    alice = member(client, tenant, "alice")
    theirs = rule(client, make_tenant("other"), "spend", name="Theirs")
    old = rule(client, tenant, "spend", name="Old")
    call(client, tenant, "POST", f"/rules/{old['id']}:archive", None, 200)
    for rule_id in (theirs["id"], old["id"]):
        with pytest.raises(NotFound):
            simulated(
                svc,
                tenant,
                a_purchase(100, member_id=uuid.UUID(alice)),
                rule_ids=[uuid.UUID(rule_id)],
            )


def test_a_backtest_counts_points_per_day_of_the_tenants_calendar(client, svc, tenant, clock):
    alice = member(client, tenant, "alice")
    current = rule(client, tenant, "spend", name="Per yuan")
    start = clock.now()  # 2026-03-01 17:30 in Shanghai
    purchase(client, tenant, alice, 10_000)
    clock.advance(hours=8)  # 2026-03-02 01:30 in Shanghai, still the 1st in UTC
    purchase(client, tenant, alice, 20_000)
    event(client, tenant, "checkin", alice)
    clock.advance(minutes=1)
    double = rule(client, tenant, "spend", {"rate": "2"}, name="Double", status="draft")

    answer = backtested(svc, tenant, start, clock.now(), [double["id"], current["id"]])

    assert answer["by_day"] == [
        {"day": "2026-03-01", "rule_id": double["id"], "rule_name": "Double"}
        | {"rule_type": "spend", "points": 200},
        {"day": "2026-03-01", "rule_id": current["id"], "rule_name": "Per yuan"}
        | {"rule_type": "spend", "points": 100},
        {"day": "2026-03-02", "rule_id": double["id"], "rule_name": "Double"}
        | {"rule_type": "spend", "points": 400},
        {"day": "2026-03-02", "rule_id": current["id"], "rule_name": "Per yuan"}
        | {"rule_type": "spend", "points": 200},
    ]
    assert answer["issued_by_day"] == [
        {"day": "2026-03-01", "rule_id": current["id"], "rule_name": "Per yuan"}
        | {"rule_type": "spend", "points": 100},
        {"day": "2026-03-02", "rule_id": current["id"], "rule_name": "Per yuan"}
        | {"rule_type": "spend", "points": 200},
    ]
    assert (answer["would_issue"], answer["issued"]) == (900, 300)
    assert {r["rule_id"] for r in answer["by_rule"]} == {double["id"], current["id"]}


def test_the_api_backtest_answers_as_before(client, tenant, clock):
    alice = member(client, tenant, "alice")
    purchase(client, tenant, alice, 10_000)
    clock.advance(minutes=1)
    body = {
        "start": (clock.now() - timedelta(hours=1)).isoformat(),
        "end": clock.now().astimezone(UTC).isoformat(),
        "rules": [{"name": "half", "type": "spend", "params": {"rate": "0.5"}}],
    }
    answer = call(client, tenant, "POST", "/rules:backtest", body, 200).json
    assert set(answer) == {"events", "truncated", "would_issue", "issued", "by_rule"} | {
        "issued_by_rule"
    }
    assert answer["by_rule"] == [
        {"rule_id": None, "rule_name": "half", "rule_type": "spend", "points": 50}
    ]
