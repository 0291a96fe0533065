"""Common merchants' rules as worked examples, through the API on both databases.

Amounts are in fen (minor units): 12_850 is 128.50 CNY. The tenant's day is Shanghai's,
and the clock starts on Sunday 1 March 2026 at 17:30 there (09:30 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from jifen.ledger.holds import settle_due_holds
from jifen.rules import birthdays

from .api import balance, call, event, member, purchase, rule


def explained(result: dict[str, Any]) -> list[tuple[str, int]]:
    """The breakdown a member reads, after checking that it adds up to what was earned
    and to what was posted."""
    assert sum(a["points"] for a in result["awards"]) == result["points"]
    assert sum(p["points"] for p in result["postings"]) == max(result["points"], 0)
    return [(a["reason"], a["points"]) for a in result["awards"]]


def summary(client, tenant, member_id: str) -> dict[str, Any]:
    return call(client, tenant, "GET", f"/members/{member_id}/points", None, 200).json


def set_tiers(client, tenant, *tiers: tuple[str, int, str]) -> None:
    """Tiers reached by lifetime points: (name, threshold, earn multiplier), lowest first."""
    ladder = [
        {
            "code": name.lower(),
            "name": name,
            "rank": rank,
            "basis": "lifetime_points",
            "threshold": threshold,
            "earn_multiplier": multiplier,
        }
        for rank, (name, threshold, multiplier) in enumerate(tiers, start=1)
    ]
    call(client, tenant, "PUT", "/tiers", {"tiers": ladder}, 200)


def refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.json
    assert response.json["code"] == code


# --- spend ---------------------------------------------------------------------------


def test_one_point_per_yuan(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    result = purchase(client, tenant, alice, 12_850)
    assert result["points"] == 128
    assert result["status"] == "posted"
    assert explained(result) == [("1 point per 1.00 CNY on 128.50 CNY", 128)]
    assert balance(client, tenant, alice) == 128


def test_one_point_per_ten_yuan(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "0.1"})
    result = purchase(client, tenant, alice, 12_850)
    assert explained(result) == [("1 point per 10.00 CNY on 128.50 CNY", 12)]
    small = purchase(client, tenant, alice, 950)
    assert small["points"] == 0
    assert small["status"] == "none"
    assert small["postings"] == []
    assert balance(client, tenant, alice) == 12


# --- tiers ---------------------------------------------------------------------------


def test_silver_and_gold_members_earn_more_from_the_purchase_after_they_qualify(client, tenant):
    set_tiers(client, tenant, ("Silver", 1_000, "1.5"), ("Gold", 5_000, "2"))
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "tier_multiplier")
    alice = member(client, tenant, "alice")

    assert explained(purchase(client, tenant, alice, 99_900)) == [
        ("1 point per 1.00 CNY on 999.00 CNY", 999)
    ]
    # 1,001 lifetime points: the purchase that crosses the line earns at the old rate,
    # and makes Alice silver at once.
    assert purchase(client, tenant, alice, 200)["points"] == 2
    silver = purchase(client, tenant, alice, 10_000)
    assert explained(silver) == [
        ("1 point per 1.00 CNY on 100.00 CNY", 100),
        ("Silver tier 1.5x", 50),
    ]
    assert [a["phase"] for a in silver["awards"]] == ["earn", "multiply"]

    assert purchase(client, tenant, alice, 300_000)["points"] == 4_500  # 5,651: gold
    gold = purchase(client, tenant, alice, 10_000)
    assert explained(gold) == [
        ("1 point per 1.00 CNY on 100.00 CNY", 100),
        ("Gold tier 2x", 100),
    ]
    assert balance(client, tenant, alice) == 999 + 2 + 150 + 4_500 + 200

    bob = member(client, tenant, "bob")
    assert explained(purchase(client, tenant, bob, 10_000)) == [
        ("1 point per 1.00 CNY on 100.00 CNY", 100)
    ]


def test_a_referral_counts_toward_the_tier_of_the_member_it_paid(client, tenant):
    set_tiers(client, tenant, ("Silver", 100, "1.5"))
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "tier_multiplier")
    rule(client, tenant, "referral", {"inviter_first_purchase": 100})
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")
    event(client, tenant, "referral", bob, {"inviter_id": alice, "stage": "registered"})
    paid = event(client, tenant, "referral", bob, {"inviter_id": alice, "stage": "first_purchase"})
    assert paid.status_code == 201, paid.json
    assert [p["member_id"] for p in paid.json["postings"]] == [alice]

    # Alice earned the 100 points and is silver; Bob earned nothing and is not.
    assert purchase(client, tenant, alice, 10_000)["points"] == 150
    assert purchase(client, tenant, bob, 10_000)["points"] == 100


# --- campaigns -----------------------------------------------------------------------


def test_double_points_on_the_tenth_of_every_month_in_shanghai(client, tenant, clock):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    rule(
        client,
        tenant,
        "campaign",
        {"kind": "multiplier", "multiplier": "2", "month_days": [10], "label": "points day"},
    )
    clock.set(datetime(2026, 3, 9, 17, 0, tzinfo=UTC))  # 10 March, 01:00 in Shanghai
    tenth = purchase(client, tenant, alice, 10_000)
    assert explained(tenth) == [
        ("1 point per 1.00 CNY on 100.00 CNY", 100),
        ("2x points day", 100),
    ]
    # At 23:00 on the 9th in Shanghai it was not the 10th yet.
    ninth = purchase(client, tenant, alice, 10_000, occurred_at="2026-03-09T15:00:00+00:00")
    assert ninth["points"] == 100
    # The 10th in UTC, but already the 11th in Shanghai.
    clock.set(datetime(2026, 3, 10, 17, 0, tzinfo=UTC))
    assert purchase(client, tenant, alice, 10_000)["points"] == 100
    clock.set(datetime(2026, 4, 10, 2, 0, tzinfo=UTC))
    assert purchase(client, tenant, alice, 10_000)["points"] == 200


def test_gold_one_and_a_half_times_on_a_double_member_day_is_three_times(client, tenant, clock):
    set_tiers(client, tenant, ("Gold", 1_000, "1.5"))
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "tier_multiplier", name="gold bonus", priority=10)
    # Tuesday is member day.
    member_day = {"kind": "multiplier", "multiplier": "2", "weekdays": [2], "label": "member day"}
    rule(client, tenant, "campaign", member_day, name="member day")
    alice = member(client, tenant, "alice")
    assert purchase(client, tenant, alice, 100_000)["points"] == 1_000  # Sunday: now gold

    clock.set(datetime(2026, 3, 3, 4, 0, tzinfo=UTC))  # Tuesday
    result = purchase(client, tenant, alice, 10_000)
    assert result["points"] == 300
    # Each multiplier scales the running total: 100, then 150, then 300.
    assert explained(result) == [
        ("1 point per 1.00 CNY on 100.00 CNY", 100),
        ("Gold tier 1.5x", 50),
        ("2x member day", 150),
    ]
    assert [(a["rule_name"], a["phase"]) for a in result["awards"]] == [
        ("spend", "earn"),
        ("gold bonus", "multiply"),
        ("member day", "multiply"),
    ]
    clock.set(datetime(2026, 3, 4, 4, 0, tzinfo=UTC))  # Wednesday: gold alone
    assert purchase(client, tenant, alice, 10_000)["points"] == 150


def test_spend_500_get_100_extra(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "campaign", {"kind": "threshold", "threshold": 50_000, "points": 100})
    result = purchase(client, tenant, alice, 52_000)
    assert explained(result) == [
        ("1 point per 1.00 CNY on 520.00 CNY", 520),
        ("spend 500.00 get 100", 100),
    ]
    assert [a["phase"] for a in result["awards"]] == ["earn", "bonus"]
    assert purchase(client, tenant, alice, 49_900)["points"] == 499
    # Shipping does not count toward the threshold.
    shipped = purchase(client, tenant, alice, 51_000, data={"shipping": 2_000})
    assert explained(shipped) == [("1 point per 1.00 CNY on 490.00 CNY", 490)]
    assert balance(client, tenant, alice) == 620 + 499 + 490


def test_an_exclusive_campaign_skips_the_other_rules_of_its_phase(client, tenant, clock):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    flash = {
        "kind": "multiplier",
        "multiplier": "3",
        "dates": ["2026-03-01"],
        "label": "flash sale",
    }
    rule(client, tenant, "campaign", flash, name="flash sale", exclusive=True)
    rule(
        client,
        tenant,
        "campaign",
        {"kind": "multiplier", "multiplier": "2", "label": "double points"},
        name="double points",
        priority=100,
    )
    rule(client, tenant, "campaign", {"kind": "bonus", "points": 20, "label": "thank you"})

    sale = purchase(client, tenant, alice, 10_000)
    assert explained(sale) == [
        ("1 point per 1.00 CNY on 100.00 CNY", 100),
        ("3x flash sale", 200),
        ("thank you", 20),
    ]
    assert sale["notes"] == ["double points: skipped, an exclusive multiply rule applied"]

    # The day after, the exclusive campaign gives nothing, so it leaves the phase alone.
    clock.advance(days=1)
    after = purchase(client, tenant, alice, 10_000)
    assert explained(after) == [
        ("1 point per 1.00 CNY on 100.00 CNY", 100),
        ("2x double points", 100),
        ("thank you", 20),
    ]
    assert after["notes"] == []


# --- tasks and referrals -------------------------------------------------------------


def test_registering_earns_50_once(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "task", {"event": "registered", "points": 50, "title": "welcome gift"})
    welcome = event(client, tenant, "registered", alice)
    assert welcome.status_code == 201, welcome.json
    assert explained(welcome.json) == [("welcome gift", 50)]
    again = event(client, tenant, "registered", alice).json
    assert explained(again) == [("welcome gift: limit of 1 reached", 0)]
    assert again["status"] == "none"
    assert balance(client, tenant, alice) == 50


def test_sharing_earns_10_at_most_3_times_a_day(client, tenant, clock):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "task", {"event": "share", "points": 10, "limit": 3, "period": "day"})
    shares = [event(client, tenant, "share", alice, {"channel": "wechat"}).json for _ in range(4)]
    assert [s["points"] for s in shares] == [10, 10, 10, 0]
    assert explained(shares[-1]) == [("share: daily limit of 3 reached", 0)]
    clock.set(datetime(2026, 3, 1, 16, 5, tzinfo=UTC))  # 00:05 on 2 March in Shanghai
    assert event(client, tenant, "share", alice).json["points"] == 10
    assert balance(client, tenant, alice) == 40


def test_the_inviter_earns_50_when_the_friend_first_buys(client, tenant):
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "referral", {"inviter_first_purchase": 50})
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")

    invited = {"inviter_external_id": "alice", "stage": "registered"}
    joined = event(client, tenant, "referral", bob, invited)
    assert joined.status_code == 201, joined.json
    assert joined.json["status"] == "none"

    first_purchase = {"inviter_id": alice, "stage": "first_purchase"}
    preview = {"event": {"id": "r-1", "kind": "referral", "member_id": bob, "data": first_purchase}}
    simulated = call(client, tenant, "POST", "/rules:simulate", preview, 200).json
    assert [(a["member_id"], a["points"]) for a in simulated["awards"]] == [(alice, 50)]

    # Bob's first purchase is also the referral's: Alice is paid with it.
    bought = purchase(client, tenant, bob, 8_800)
    assert explained(bought) == [("1 point per 1.00 CNY on 88.00 CNY", 88)]
    assert [n.split(":")[0] for n in bought["notes"]] == ["first purchase of a referred member"]
    assert (balance(client, tenant, alice), balance(client, tenant, bob)) == (50, 88)
    assert purchase(client, tenant, bob, 8_800)["notes"] == []
    assert balance(client, tenant, alice) == 50

    refused(event(client, tenant, "referral", bob, first_purchase), 409, "referral_stage_done")
    again = {"inviter_id": alice, "stage": "registered"}
    refused(event(client, tenant, "referral", bob, again), 409, "already_referred")
    refused(event(client, tenant, "referral", alice, again), 422, "self_referral")
    assert balance(client, tenant, alice) == 50

    # The stored referrals replay in a backtest, however the inviter was named.
    double = {"name": "double", "type": "referral", "params": {"inviter_first_purchase": 100}}
    period = {"start": "2026-03-01T00:00:00+00:00", "end": "2026-03-02T00:00:00+00:00"}
    backtest = call(client, tenant, "POST", "/rules:backtest", {**period, "rules": [double]}, 200)
    assert (backtest.json["would_issue"], backtest.json["issued"]) == (100, 50 + 88 + 88)


def test_a_merchant_may_send_the_first_purchase_of_a_referral_itself(client, tenant):
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "referral", {"inviter_first_purchase": 50})
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")
    event(client, tenant, "referral", bob, {"inviter_id": alice, "stage": "registered"})

    stage = {"inviter_external_id": "alice", "stage": "first_purchase"}
    first = event(client, tenant, "referral", bob, stage)
    assert first.status_code == 201, first.json
    assert explained(first.json) == [("friend's first purchase", 50)]
    assert first.json["awards"][0]["member_id"] == alice
    assert first.json["postings"][0]["member_id"] == alice

    # The referral is done: Bob's purchase pays Alice nothing more.
    assert purchase(client, tenant, bob, 8_800)["notes"] == []
    assert (balance(client, tenant, alice), balance(client, tenant, bob)) == (50, 88)


# --- check-in ------------------------------------------------------------------------


def test_check_in_streaks_pay_a_bonus_on_day_7_and_restart_after_a_missed_day(
    client, tenant, clock
):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "checkin", {"points": 5, "streak_bonuses": [{"day": 7, "points": 50}]})
    week = []
    for day in range(7):
        if day:
            clock.advance(days=1)
        week.append(event(client, tenant, "checkin", alice).json)
    assert [c["points"] for c in week] == [5, 5, 5, 5, 5, 5, 55]
    assert explained(week[-1]) == [("daily check-in, day 7", 5), ("7-day check-in streak", 50)]

    refused(event(client, tenant, "checkin", alice), 409, "already_checked_in")

    clock.advance(days=2)  # 8 March missed
    assert explained(event(client, tenant, "checkin", alice).json) == [("daily check-in, day 1", 5)]
    assert balance(client, tenant, alice) == 6 * 5 + 55 + 5


def test_check_in_days_are_the_tenants_local_days(client, tenant, clock):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "checkin", {"points": 5})
    clock.set(datetime(2026, 3, 1, 15, 50, tzinfo=UTC))  # 23:50 on 1 March in Shanghai
    assert explained(event(client, tenant, "checkin", alice).json) == [("daily check-in, day 1", 5)]
    clock.advance(minutes=20)  # 00:10 on 2 March
    assert explained(event(client, tenant, "checkin", alice).json) == [("daily check-in, day 2", 5)]
    clock.advance(hours=15)  # 15:10 on 2 March in Shanghai: the same day
    refused(event(client, tenant, "checkin", alice), 409, "already_checked_in")


# --- caps ----------------------------------------------------------------------------


def test_a_daily_cap_trims_the_event_that_reaches_it_and_resets_the_next_day(client, tenant, clock):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "caps", {"period": "day", "limit": 100})

    assert purchase(client, tenant, alice, 8_000)["points"] == 80
    trimmed = purchase(client, tenant, alice, 5_000)
    assert explained(trimmed) == [
        ("1 point per 1.00 CNY on 50.00 CNY", 50),
        ("daily cap of 100 reached: 20 of 50 granted", -30),
    ]
    assert trimmed["awards"][-1]["phase"] == "cap"
    nothing = purchase(client, tenant, alice, 3_000)
    assert explained(nothing) == [
        ("1 point per 1.00 CNY on 30.00 CNY", 30),
        ("daily cap of 100 reached: 0 of 30 granted", -30),
    ]
    assert nothing["status"] == "none"
    assert balance(client, tenant, alice) == 100

    clock.set(datetime(2026, 3, 1, 16, 0, tzinfo=UTC))  # midnight in Shanghai
    assert explained(purchase(client, tenant, alice, 5_000)) == [
        ("1 point per 1.00 CNY on 50.00 CNY", 50)
    ]
    assert balance(client, tenant, alice) == 150


def test_a_daily_cap_holds_across_the_events_of_a_batch(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "caps", {"period": "day", "limit": 100})
    orders = [
        {"id": f"o{n}", "kind": "purchase", "member_id": alice, "data": {"amount": amount}}
        for n, amount in enumerate([4_000, 4_000, 4_000, 4_000])
    ]
    for order in orders:
        order["data"]["currency"] = "CNY"
    batch = call(client, tenant, "POST", "/events:batch", {"events": orders}, 200).json
    assert batch["recorded"] == 4
    results = [item["result"] for item in batch["items"]]
    assert [r["points"] for r in results] == [40, 40, 20, 0]
    for result in results:
        explained(result)
    assert balance(client, tenant, alice) == 100


def test_a_cap_on_some_rules_leaves_the_others_alone(client, tenant):
    alice = member(client, tenant, "alice")
    spend = rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "campaign", {"kind": "bonus", "points": 20, "label": "thank you"})
    rule(client, tenant, "caps", {"period": "day", "limit": 60, "rules": [spend["id"]]})
    assert explained(purchase(client, tenant, alice, 5_000)) == [
        ("1 point per 1.00 CNY on 50.00 CNY", 50),
        ("thank you", 20),
    ]
    assert explained(purchase(client, tenant, alice, 5_000)) == [
        ("1 point per 1.00 CNY on 50.00 CNY", 50),
        ("thank you", 20),
        ("daily cap of 60 reached: 10 of 50 granted", -40),
    ]


# --- birthday ------------------------------------------------------------------------


def test_members_cannot_send_their_own_birthday(client, tenant):
    alice = member(client, tenant, "alice", birthday="1990-03-01")
    rule(client, tenant, "birthday", {"points": 88})
    refused(event(client, tenant, "birthday", alice), 422, "unknown_event_kind")
    assert balance(client, tenant, alice) == 0


def test_birthday_points_on_the_day_as_a_simulation_shows(client, tenant, clock):
    alice = member(client, tenant, "alice", birthday="1990-03-02")
    rule(client, tenant, "birthday", {"points": 88})
    body = {"event": {"id": "bd-1", "kind": "birthday", "member_id": alice}}
    eve = call(client, tenant, "POST", "/rules:simulate", body, 200).json
    assert eve["points"] == 0
    clock.set(datetime(2026, 3, 1, 16, 30, tzinfo=UTC))  # 00:30 on 2 March in Shanghai
    day = call(client, tenant, "POST", "/rules:simulate", body, 200).json
    assert [(a["reason"], a["points"]) for a in day["awards"]] == [("happy birthday", 88)]
    assert balance(client, tenant, alice) == 0  # a simulation posts nothing


def test_birthday_points_come_once_a_year_from_the_birthday_job(client, tenant, clock, svc):
    alice = member(client, tenant, "alice", birthday="1990-03-01")
    bob = member(client, tenant, "bob", birthday="1990-05-20")
    leap = member(client, tenant, "leap", birthday="2000-02-29")
    rule(client, tenant, "birthday", {"points": 88})

    birthdays.emit(svc)  # 1 March in Shanghai
    assert [balance(client, tenant, m) for m in (alice, bob, leap)] == [88, 0, 0]
    assert birthdays.emit(svc) == 0  # the job runs hourly: a repeat changes nothing
    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    birthdays.emit(svc)
    assert balance(client, tenant, alice) == 88

    clock.set(datetime(2027, 2, 28, 2, 0, tzinfo=UTC))  # no 29 February in 2027
    birthdays.emit(svc)
    clock.set(datetime(2027, 3, 1, 2, 0, tzinfo=UTC))
    birthdays.emit(svc)
    assert [balance(client, tenant, m) for m in (alice, bob, leap)] == [176, 0, 88]


# --- pending points ------------------------------------------------------------------


def test_points_in_a_return_window_are_pending_until_it_closes(client, tenant, clock, svc):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1", "pending_days": 7})
    result = purchase(client, tenant, alice, 10_000)
    assert result["status"] == "pending"
    assert result["points"] == 100
    (posting,) = result["postings"]
    assert posting["hold_id"] is not None and posting["entry_id"] is None
    assert datetime.fromisoformat(posting["pending_until"]) == clock.now() + timedelta(days=7)
    points = summary(client, tenant, alice)
    assert (points["balance"], points["pending"]) == (0, 100)

    clock.advance(days=7)
    assert settle_due_holds(svc) == 1
    points = summary(client, tenant, alice)
    assert (points["balance"], points["pending"]) == (100, 0)
