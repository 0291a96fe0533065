"""POST /events and /events:batch: bad input is refused with a code, repeats replay, and
a refused event leaves nothing behind."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema
from sqlalchemy import func, select, update

from jifen.hookimpl import hookimpl
from jifen.rules import sql as rules_sql
from jifen.rules.contract import Award, Context, EventView, MemberProfile
from jifen.rules.models import EarnRule, Event
from jifen.rules.recording import MAX_BATCH

from .api import balance, call, event, member, purchase, rule

SHANGHAI = ZoneInfo("Asia/Shanghai")


def batch(client, tenant, events: list[dict], status: int = 200) -> dict:
    return call(client, tenant, "POST", "/events:batch", {"events": events}, status).json


def stored_events(svc, tenant) -> int:
    """Events the test sent (not the registrations the platform records itself)."""
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return session.scalar(
            select(func.count()).select_from(Event).where(Event.kind != "registered")
        )


def purchase_body(event_id: str, member_id: str, amount: int, **data: Any) -> dict:
    return {
        "id": event_id,
        "kind": "purchase",
        "member_id": member_id,
        "data": {"amount": amount, "currency": "CNY", **data},
    }


@pytest.fixture
def alice(client, tenant) -> str:
    rule(client, tenant, "spend", {"rate": "1"})
    return member(client, tenant, "alice")


# --- kinds and payloads ---------------------------------------------------------------


def test_an_unknown_event_kind_is_refused(client, tenant, alice):
    response = event(client, tenant, "app_review", alice)
    assert response.status_code == 422
    assert response.json["code"] == "unknown_event_kind"
    assert response.json["details"] == {"kind": "app_review"}


def test_a_custom_kind_once_defined_earns_through_a_task_rule(client, tenant, alice):
    call(client, tenant, "POST", "/event-kinds", {"kind": "app_review", "title": "Review"}, 201)
    rule(client, tenant, "task", {"event": "app_review", "points": 15}, name="review reward")

    result = event(client, tenant, "app_review", alice, {"stars": 5})
    assert result.status_code == 201, result.json
    assert result.json["points"] == 15
    assert [a["rule_name"] for a in result.json["awards"]] == ["review reward"]
    assert balance(client, tenant, alice) == 15
    kinds = call(client, tenant, "GET", "/event-kinds", None, 200).json["items"]
    assert {"kind": "app_review", "title": "Review", "built_in": False} in kinds


def test_a_custom_kind_cannot_shadow_a_built_in_one(client, tenant):
    body = {"kind": "purchase", "title": "Mine"}
    assert call(client, tenant, "POST", "/event-kinds", body, 409).json["code"] == (
        "event_kind_exists"
    )


@pytest.mark.parametrize("kind", ["App_review", "app review", "app_review\n", "9lives"])
def test_a_malformed_custom_kind_is_refused(client, tenant, kind):
    body = {"kind": kind, "title": "Review"}
    refused = call(client, tenant, "POST", "/event-kinds", body, 422).json
    assert refused["details"]["kind"] == ["Lower-case letters, digits and _."]


def test_birthdays_are_emitted_by_the_platform_not_sent_through_the_api(client, tenant, alice):
    rule(client, tenant, "birthday", {"points": 100})
    response = event(client, tenant, "birthday", alice)
    assert response.status_code == 422
    assert response.json["code"] == "unknown_event_kind"
    assert balance(client, tenant, alice) == 0
    body = {"kind": "birthday", "title": "My birthday"}
    call(client, tenant, "POST", "/event-kinds", body, 409)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"amount": 10_000, "currency": "CNY", "lines": [{"sku": "a", "amount": 9_000}]},
            "lines",
        ),
        ({"amount": 100.5, "currency": "CNY"}, "amount"),
        ({"amount": "100", "currency": "CNY"}, "amount"),
        ({"amount": 10_000}, "currency"),
        ({"amount": 10_000, "currency": "yuan"}, "currency"),
        ({"amount": 100, "currency": "CNY", "shipping": 200}, "shipping"),
        ({"currency": "CNY"}, "amount"),
    ],
)
def test_a_payload_failing_its_kind_schema_is_refused_with_details(
    client, tenant, svc, alice, data, field
):
    response = event(client, tenant, "purchase", alice, data)
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert field in response.json["details"]["data"]
    assert balance(client, tenant, alice) == 0
    assert stored_events(svc, tenant) == 0


def test_free_form_data_is_limited_in_size(client, tenant, svc, alice):
    response = event(client, tenant, "checkin", alice, {"note": "x" * 17_000})
    assert response.status_code == 422
    assert response.json["details"] == {"data": ["At most 16384 bytes of JSON."]}
    assert stored_events(svc, tenant) == 0


def test_a_task_event_needs_its_task_code(client, tenant, alice):
    response = event(client, tenant, "task", alice, {})
    assert response.status_code == 422
    assert "task" in response.json["details"]["data"]


@pytest.mark.parametrize("both", [True, False], ids=["both", "neither"])
def test_an_event_names_its_member_exactly_once(client, tenant, alice, both):
    body: dict[str, Any] = {
        "id": "o1",
        "kind": "purchase",
        "data": {"amount": 1, "currency": "CNY"},
    }
    if both:
        body |= {"member_id": alice, "external_id": "alice"}
    response = call(client, tenant, "POST", "/events", body, 422)
    assert response.json["code"] == "validation_error"
    assert "member_id" in response.json["details"]


# --- members --------------------------------------------------------------------------


def test_an_unknown_member_is_refused_by_default(client, tenant, alice):
    response = event(
        client, tenant, "purchase", str(uuid.uuid4()), {"amount": 100, "currency": "CNY"}
    )
    assert response.status_code == 422
    assert response.json["code"] == "unknown_member"
    body = purchase_body("o1", alice, 100) | {"member_id": None, "external_id": "nobody"}
    response = call(client, tenant, "POST", "/events", body, 422)
    assert response.json["code"] == "unknown_member"
    assert response.json["details"] == {"resource": "member", "external_id": "nobody"}


def test_with_the_create_policy_an_unknown_external_id_becomes_a_member_who_earns(
    client, tenant, alice
):
    call(client, tenant, "PATCH", "/points/policy", {"unknown_members": "create"}, 200)
    body = purchase_body("o1", alice, 5_000) | {"member_id": None, "external_id": "newcomer"}

    result = call(client, tenant, "POST", "/events", body, 201).json

    found = call(client, tenant, "GET", "/members?external_id=newcomer", None, 200).json["items"]
    assert [m["id"] for m in found] == [result["member_id"]]
    assert result["points"] == 50
    assert balance(client, tenant, result["member_id"]) == 50


def test_with_the_create_policy_an_unknown_member_id_is_still_refused(client, tenant, alice):
    call(client, tenant, "PATCH", "/points/policy", {"unknown_members": "create"}, 200)
    response = event(
        client, tenant, "purchase", str(uuid.uuid4()), {"amount": 1, "currency": "CNY"}
    )
    assert response.status_code == 422
    assert response.json["code"] == "unknown_member"


def test_a_frozen_member_earns_nothing(client, tenant, svc, alice):
    call(client, tenant, "PATCH", f"/members/{alice}", {"status": "frozen"}, 200)
    response = event(client, tenant, "purchase", alice, {"amount": 10_000, "currency": "CNY"})
    assert response.status_code == 409
    assert response.json["code"] == "member_not_active"
    assert stored_events(svc, tenant) == 0

    call(client, tenant, "PATCH", f"/members/{alice}", {"status": "active"}, 200)
    assert purchase(client, tenant, alice, 10_000)["points"] == 100


# --- time -----------------------------------------------------------------------------


def test_an_event_from_the_future_is_refused_beyond_a_few_minutes(client, tenant, clock, alice):
    later = clock.now() + timedelta(hours=1)
    response = event(
        client,
        tenant,
        "purchase",
        alice,
        {"amount": 100, "currency": "CNY"},
        occurred_at=later.isoformat(),
    )
    assert response.status_code == 422
    assert response.json["code"] == "event_in_future"

    skewed = clock.now() + timedelta(minutes=4)
    result = purchase(client, tenant, alice, 100, occurred_at=skewed.isoformat())
    assert result["occurred_at"] == skewed.isoformat()


def test_an_event_without_a_time_happened_now(client, tenant, clock, alice):
    assert purchase(client, tenant, alice, 100)["occurred_at"] == clock.now().isoformat()


def test_a_naive_time_is_refused(client, tenant, alice):
    response = event(
        client,
        tenant,
        "purchase",
        alice,
        {"amount": 100, "currency": "CNY"},
        occurred_at="2026-03-01T09:00:00",
    )
    assert response.status_code == 422
    assert "occurred_at" in response.json["details"]


# --- idempotency ----------------------------------------------------------------------


def test_a_repeated_event_replays_its_first_result_and_posts_nothing(client, tenant, svc, alice):
    body = purchase_body("order-1", alice, 12_800)
    first = call(client, tenant, "POST", "/events", body, 201)
    again = call(client, tenant, "POST", "/events", body, 200)

    assert again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert balance(client, tenant, alice) == 128
    assert stored_events(svc, tenant) == 1
    history = call(client, tenant, "GET", f"/members/{alice}/points/history", None, 200).json
    assert len(history["items"]) == 1


def test_the_same_event_id_with_other_content_is_a_mismatch(client, tenant, alice):
    call(client, tenant, "POST", "/events", purchase_body("order-1", alice, 12_800), 201)
    response = call(client, tenant, "POST", "/events", purchase_body("order-1", alice, 99_900), 409)
    assert response.json["code"] == "idempotency_mismatch"
    assert balance(client, tenant, alice) == 128


def test_a_reused_event_id_is_explained_as_the_event_id_not_a_header(client, tenant, alice):
    call(client, tenant, "POST", "/events", purchase_body("order-1", alice, 12_800), 201)

    response = call(client, tenant, "POST", "/events", purchase_body("order-1", alice, 1), 409)

    assert response.json["code"] == "idempotency_mismatch"
    assert response.json["details"] == {"event_id": "order-1"}
    assert "event id" in response.json["message"]
    assert "Idempotency-Key" not in response.json["message"]


def test_the_same_event_id_of_another_kind_is_another_event(client, tenant, alice):
    rule(client, tenant, "task", {"task": "share", "points": 7})
    call(client, tenant, "POST", "/events", purchase_body("x-1", alice, 1_000), 201)
    share = {"id": "x-1", "kind": "task", "member_id": alice, "data": {"task": "share"}}
    assert call(client, tenant, "POST", "/events", share, 201).json["points"] == 7
    assert balance(client, tenant, alice) == 17


def test_a_refused_event_can_be_sent_again_once_fixed(client, tenant, alice):
    bad = purchase_body("order-1", alice, 100, lines=[{"sku": "a", "amount": 1}])
    call(client, tenant, "POST", "/events", bad, 422)
    good = purchase_body("order-1", alice, 100)
    assert call(client, tenant, "POST", "/events", good, 201).json["points"] == 1


# --- batches --------------------------------------------------------------------------


def test_a_batch_answers_each_item_and_posts_only_the_good_ones(client, tenant, svc, alice):
    call(client, tenant, "POST", "/events", purchase_body("old", alice, 1_000), 201)
    items = [
        purchase_body("b1", alice, 2_000),
        purchase_body("b2", alice, 20.5),
        {"id": "b3", "kind": "mystery", "member_id": alice},
        purchase_body("b4", str(uuid.uuid4()), 3_000),
        purchase_body("old", alice, 1_000),
        {"id": "b5", "kind": "purchase", "data": {"amount": 1, "currency": "CNY"}},
        purchase_body("b6", alice, 4_000),
    ]

    answer = batch(client, tenant, items)

    statuses = [(i["index"], i["status"]) for i in answer["items"]]
    assert statuses == [
        (0, "recorded"),
        (1, "failed"),
        (2, "failed"),
        (3, "failed"),
        (4, "replayed"),
        (5, "failed"),
        (6, "recorded"),
    ]
    assert (answer["recorded"], answer["replayed"], answer["failed"]) == (2, 1, 4)
    codes = [i["error"]["code"] for i in answer["items"] if i["status"] == "failed"]
    assert codes == ["validation_error", "unknown_event_kind", "unknown_member", "validation_error"]
    assert answer["items"][0]["result"]["points"] == 20
    assert answer["items"][6]["result"]["points"] == 40
    assert answer["items"][4]["result"]["event_id"] == "old"
    assert balance(client, tenant, alice) == 10 + 20 + 40
    assert stored_events(svc, tenant) == 3


def test_a_duplicate_within_a_batch_is_replayed_or_a_mismatch(client, tenant, svc, alice):
    items = [
        purchase_body("d1", alice, 1_000),
        purchase_body("d1", alice, 1_000),
        purchase_body("d2", alice, 2_000),
        purchase_body("d2", alice, 3_000),
    ]
    answer = batch(client, tenant, items)
    assert [i["status"] for i in answer["items"]] == ["recorded", "replayed", "recorded", "failed"]
    assert answer["items"][1]["result"] == answer["items"][0]["result"]
    assert answer["items"][3]["error"]["code"] == "idempotency_mismatch"
    assert balance(client, tenant, alice) == 30
    assert stored_events(svc, tenant) == 2


def test_a_batch_whose_first_copy_failed_fails_its_duplicate_too(client, tenant, svc, alice):
    call(client, tenant, "PATCH", f"/members/{alice}", {"status": "frozen"}, 200)
    items = [purchase_body("f1", alice, 1_000), purchase_body("f1", alice, 1_000)]
    answer = batch(client, tenant, items)
    assert [i["error"]["code"] for i in answer["items"]] == ["member_not_active"] * 2
    assert stored_events(svc, tenant) == 0


def test_a_batch_holds_at_most_ten_thousand_events(client, tenant, alice):
    items = [{"id": f"e{i}", "kind": "checkin", "member_id": alice} for i in range(10_001)]
    response = call(client, tenant, "POST", "/events:batch", {"events": items}, 422)
    assert response.json["code"] == "validation_error"
    assert "events" in response.json["details"]


def test_an_empty_batch_is_refused(client, tenant):
    response = call(client, tenant, "POST", "/events:batch", {"events": []}, 422)
    assert "events" in response.json["details"]


def test_a_daily_cap_holds_within_one_batch(client, tenant, alice):
    rule(client, tenant, "caps", {"period": "day", "limit": 120})
    items = [purchase_body(f"c{i}", alice, 5_000) for i in range(5)]

    answer = batch(client, tenant, items)

    assert [i["result"]["points"] for i in answer["items"]] == [50, 50, 20, 0, 0]
    assert balance(client, tenant, alice) == 120
    capped = answer["items"][2]["result"]["awards"]
    assert [a["points"] for a in capped] == [50, -30]
    assert capped[1]["reason"] == "daily cap of 120 reached: 20 of 50 granted"


def test_a_batch_continues_the_cap_of_earlier_requests(client, tenant, alice):
    rule(client, tenant, "caps", {"period": "day", "limit": 120})
    purchase(client, tenant, alice, 10_000)
    answer = batch(client, tenant, [purchase_body("c1", alice, 5_000)])
    assert answer["items"][0]["result"]["points"] == 20
    assert balance(client, tenant, alice) == 120


# --- a rule plugin that fails ---------------------------------------------------------


class FragileRule:
    """A test rule type: a bonus point, except that it raises on 666.00 while `broken`."""

    name = "fragile"
    title = "Fragile"
    broken = True

    class Params(Schema):
        pass

    def phase(self, params: Mapping[str, Any]) -> str:
        return "bonus"

    def evaluate(
        self, event: EventView, member: MemberProfile, params: Mapping[str, Any], ctx: Context
    ) -> list[Award]:
        if self.broken and event.data.get("amount") == 66_600:
            raise RuntimeError("the plugin's own bug")
        return [Award(1, "fragile bonus")]


class FragilePlugin:
    def __init__(self, rule_type: FragileRule) -> None:
        self.rule_type = rule_type

    @hookimpl
    def register_earn_rules(self) -> list[Any]:
        return [self.rule_type]


@pytest.fixture
def fragile(svc) -> FragileRule:
    rule_type = FragileRule()
    svc.plugins.register(FragilePlugin(rule_type), name="test_fragile")
    svc.__dict__.pop("rule_types", None)  # built on first use: rebuild with the new type
    return rule_type


def test_a_rule_that_raises_fails_its_event_by_name_and_keeps_nothing(
    client, tenant, svc, alice, fragile
):
    created = rule(client, tenant, "fragile", name="shaky bonus")
    body = purchase_body("o-666", alice, 66_600)

    response = call(client, tenant, "POST", "/events", body, 422)

    assert response.json["code"] == "rule_failed"
    assert "shaky bonus" in response.json["message"]
    assert response.json["details"] == {
        "rule_id": created["id"],
        "rule": "shaky bonus",
        "type": "fragile",
    }
    assert "the plugin's own bug" not in str(response.json)
    assert balance(client, tenant, alice) == 0
    assert stored_events(svc, tenant) == 0

    fragile.broken = False
    retried = call(client, tenant, "POST", "/events", body, 201).json
    assert retried["points"] == 666 + 1
    assert balance(client, tenant, alice) == 667


def test_a_rule_that_raises_fails_only_its_item_of_a_batch(client, tenant, svc, alice, fragile):
    rule(client, tenant, "fragile", name="shaky bonus")
    items = [
        purchase_body("o1", alice, 1_000),
        purchase_body("o-666", alice, 66_600),
        purchase_body("o2", alice, 2_000),
    ]

    answer = batch(client, tenant, items)

    assert [i["status"] for i in answer["items"]] == ["recorded", "failed", "recorded"]
    assert answer["items"][1]["error"]["code"] == "rule_failed"
    assert answer["items"][1]["error"]["details"]["rule"] == "shaky bonus"
    assert balance(client, tenant, alice) == 11 + 21
    assert stored_events(svc, tenant) == 2

    fragile.broken = False
    again = batch(client, tenant, items)
    assert [i["status"] for i in again["items"]] == ["replayed", "recorded", "replayed"]
    assert balance(client, tenant, alice) == 11 + 21 + 667


# --- properties -------------------------------------------------------------------------

DAILY_CAP = 150
LADDER = {
    "tiers": [
        {
            "code": "silver",
            "name": "Silver",
            "rank": 1,
            "basis": "lifetime_points",
            "threshold": 100,
            "earn_multiplier": "1.5",
        }
    ]
}
# (kind, hours before now, amount in minor units)
EVENT_PLANS = st.lists(
    st.tuples(
        st.sampled_from(["purchase", "checkin", "task"]),
        st.integers(min_value=0, max_value=96),
        st.integers(min_value=1, max_value=30_000),
    ),
    min_size=1,
    max_size=12,
)


def stacked_rules(client, tenant) -> None:
    """Base points, streaks, a task, two multipliers, a bonus and a daily cap."""
    call(client, tenant, "PUT", "/tiers", LADDER, 200)
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "checkin", {"points": 10, "streak_bonuses": [{"day": 2, "points": 15}]})
    rule(client, tenant, "task", {"task": "share", "points": 25, "limit": 2, "period": "day"})
    rule(client, tenant, "tier_multiplier")
    sundays = {"kind": "multiplier", "multiplier": "2", "weekdays": [7], "events": ["purchase"]}
    rule(client, tenant, "campaign", sundays, name="sunday 2x")
    checkin_bonus = {"kind": "bonus", "points": 5, "events": ["checkin"]}
    rule(client, tenant, "campaign", checkin_bonus, name="check-in bonus")
    rule(client, tenant, "caps", {"period": "day", "limit": DAILY_CAP})


def planned_event(plan: tuple[str, int, int], member_id: str, now, n: int) -> dict:
    kind, hours, amount = plan
    data = {"purchase": {"amount": amount, "currency": "CNY"}, "task": {"task": "share"}}
    return {
        "id": f"p{n}",
        "kind": kind,
        "member_id": member_id,
        "occurred_at": (now - timedelta(hours=hours)).isoformat(),
        "data": data.get(kind, {}),
    }


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=EVENT_PLANS, batched=st.booleans())
def test_awards_add_up_to_postings_and_the_daily_cap_always_holds(
    client, make_tenant, clock, plans, batched
):
    tenant = make_tenant()
    stacked_rules(client, tenant)
    alice = member(client, tenant, "alice")
    bodies = [planned_event(p, alice, clock.now(), n) for n, p in enumerate(plans)]

    if batched:
        items = batch(client, tenant, bodies)["items"]
        answers = [(i["status"], i.get("result"), i.get("error")) for i in items]
    else:
        answers = []
        for body in bodies:
            response = call(client, tenant, "POST", "/events", body)
            ok = response.status_code == 201
            answers.append(("recorded" if ok else "failed", response.json, response.json))

    results = []
    for (status, result, error), body in zip(answers, bodies, strict=True):
        if status != "recorded":  # only a second check-in on one day is refused
            assert (body["kind"], error["code"]) == ("checkin", "already_checked_in")
            continue
        results.append(result)
        assert sum(a["points"] for a in result["awards"]) == result["points"]
        assert result["points"] >= 0
        posted = sum(p["points"] for p in result["postings"])
        assert posted == result["points"]
        assert result["status"] == ("posted" if result["points"] else "none")
    assert balance(client, tenant, alice) == sum(r["points"] for r in results)
    by_day: dict[Any, int] = {}
    for result in results:
        day = datetime.fromisoformat(result["occurred_at"]).astimezone(SHANGHAI).date()
        by_day[day] = by_day.get(day, 0) + result["points"]
    assert all(points <= DAILY_CAP for points in by_day.values()), by_day


# --- concurrency ------------------------------------------------------------------------


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_concurrent_purchases_of_one_member_share_one_daily_cap(app, client, tenant, database):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "caps", {"period": "day", "limit": 300})
    answers: list[tuple[int, dict]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def shopper(n: int) -> None:
        own = app.test_client()
        try:
            for i in range(5):
                body = purchase_body(f"t{n}-{i}", alice, 4_000)
                response = own.post("/api/v1/events", json=body, headers=tenant.headers)
                with lock:
                    answers.append((response.status_code, response.json))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    assert [status for status, _ in answers] == [201] * 40, answers
    granted = sorted(body["points"] for _, body in answers)
    assert sum(granted) == 300
    assert granted[-1] == 40 and granted[0] == 0
    assert balance(client, tenant, alice) == 300


def test_a_refund_within_a_batch_does_not_count_earlier_items_twice(client, tenant, alice):
    rule(client, tenant, "task", {"task": "share", "points": 5, "limit": 2, "period": "day"})
    purchase(client, tenant, alice, 10_000, id="order-1")
    share = {"kind": "task", "member_id": alice, "data": {"task": "share"}}
    items = [
        share | {"id": "s1"},
        {
            "id": "r1",
            "kind": "refund",
            "member_id": alice,
            "data": {"order_id": "order-1", "amount": 100},
        },
        share | {"id": "s2"},
    ]
    answer = batch(client, tenant, items)
    assert [i["status"] for i in answer["items"]] == ["recorded"] * 3
    assert [i["result"]["points"] for i in answer["items"]] == [5, -1, 5]
    assert balance(client, tenant, alice) == 100 + 5 - 1 + 5


def test_a_rule_whose_plugin_was_removed_is_skipped_not_fatal(client, tenant, svc, alice):
    orphan = rule(client, tenant, "campaign", {"kind": "bonus", "points": 5}, name="gone")
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        session.execute(
            update(EarnRule)
            .where(EarnRule.id == uuid.UUID(orphan["id"]))
            .values(type="uninstalled_plugin", version=EarnRule.version + 1)
        )

    assert purchase(client, tenant, alice, 10_000)["points"] == 100
    listed = call(client, tenant, "GET", "/rules", None, 200).json["items"]
    assert {r["name"]: r["phase"] for r in listed}["gone"] == "unknown"


def test_a_full_batch_looks_its_ids_up_on_both_databases(client, tenant, svc, alice):
    # PostgreSQL refuses an IN list of 10,000 (kind, id) pairs: the lookup goes by chunks.
    purchase(client, tenant, alice, 1_000, id="order-5")
    keys = [("purchase", f"order-{i}") for i in range(MAX_BATCH)] + [("refund", "order-5")]
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        found = rules_sql.events_by_key(session.connection(), tenant.tenant_id, keys)
    assert list(found) == [("purchase", "order-5")]
