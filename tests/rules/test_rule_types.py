"""The built-in earn-rule types, each evaluated on its own against an in-memory context.

`earn()` plays the engine's part where rules stack: phase by phase, filling `Award.rule`
and showing each rule the awards so far.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from jifen.rules.contract import (
    PHASES,
    Award,
    CheckinDay,
    EventView,
    MemberProfile,
    RuleInstance,
    RuleType,
)
from jifen_plugins.earn_rules.birthday import BirthdayRule
from jifen_plugins.earn_rules.campaign import CampaignRule
from jifen_plugins.earn_rules.caps import CapRule
from jifen_plugins.earn_rules.checkin import CheckinRule
from jifen_plugins.earn_rules.referral import ReferralRule
from jifen_plugins.earn_rules.spend import SpendRule
from jifen_plugins.earn_rules.task import TaskRule
from jifen_plugins.earn_rules.tier_multiplier import TierMultiplierRule

MODULES = ("spend", "tier_multiplier", "checkin", "task", "referral", "birthday", "campaign")
MODULES += ("caps",)
MEMBER_ID = uuid.UUID("00000000-0000-7000-8000-000000000001")
INVITER_ID = uuid.UUID("00000000-0000-7000-8000-000000000002")
TUESDAY_10_MARCH = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


# --- factories -----------------------------------------------------------------------


def instance(rule_type: RuleType, raw: Mapping[str, Any] | None = None, **kw: Any) -> RuleInstance:
    params = rule_type.Params().load(dict(raw or {}))
    kw.setdefault("name", rule_type.name)
    return RuleInstance(id=uuid.uuid4(), type=rule_type.name, params=params, **kw)


@dataclass
class FakeContext:
    """A `Context` over fixed history: `granted` keyed by (member, rule-id scope) and
    `times` by (period, member), both for the period the test is about."""

    rule: RuleInstance
    member_id: uuid.UUID = MEMBER_ID
    now: datetime = NOW
    local_date: date = TUESDAY_10_MARCH
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    awards: list[Award] = field(default_factory=list)
    already_granted: dict[tuple[uuid.UUID, frozenset[uuid.UUID] | None], int] = field(
        default_factory=dict
    )
    already_times: dict[tuple[str | None, uuid.UUID], int] = field(default_factory=dict)
    previous_checkin: CheckinDay | None = None

    def multipliable(self, member_id: uuid.UUID | None = None) -> int:
        member_id = member_id or self.member_id
        return sum(
            a.points
            for a in self.awards
            if a.multipliable and (a.member_id or self.member_id) == member_id
        )

    def granted(
        self,
        period: str | None,
        *,
        member_id: uuid.UUID | None = None,
        rule_ids: Sequence[uuid.UUID] | None = None,
    ) -> int:
        scope = frozenset(rule_ids) if rule_ids is not None else None
        return self.already_granted.get((member_id or self.member_id, scope), 0)

    def times(
        self, rule_id: uuid.UUID, period: str | None, *, member_id: uuid.UUID | None = None
    ) -> int:
        assert rule_id == self.rule.id, "a rule counts its own awards"
        return self.already_times.get((period, member_id or self.member_id), 0)

    def last_checkin(self) -> CheckinDay | None:
        return self.previous_checkin


def context(rule: RuleInstance | None = None, **kw: Any) -> FakeContext:
    return FakeContext(rule=rule or instance(SpendRule()), **kw)


def member(
    tier: str | None = None,
    tier_name: str | None = None,
    tier_multiplier: str | None = None,
    birthday: date | None = None,
) -> MemberProfile:
    return MemberProfile(
        id=MEMBER_ID,
        external_id="m-1",
        tier=tier,
        tier_name=tier_name,
        tier_multiplier=Decimal(tier_multiplier) if tier_multiplier else None,
        tags=frozenset(),
        birthday=birthday,
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


def event(kind: str, occurred_at: datetime = NOW, **data: Any) -> EventView:
    return EventView(
        id=uuid.uuid4(),
        event_id=f"e-{uuid.uuid4()}",
        kind=kind,
        member_id=MEMBER_ID,
        occurred_at=occurred_at,
        data=data,
    )


def purchase(amount: int, *, currency: str = "CNY", **data: Any) -> EventView:
    return event("purchase", amount=amount, currency=currency, **data)


def line(amount: int, category: str | None = None, sku: str = "sku") -> dict[str, Any]:
    return {"sku": sku, "category": category, "amount": amount, "quantity": 1}


def evaluate(
    rule_type: RuleType,
    raw: Mapping[str, Any] | None,
    ev: EventView,
    who: MemberProfile | None = None,
    **ctx: Any,
) -> list[Award]:
    rule = instance(rule_type, raw)
    return rule_type.evaluate(ev, who or member(), rule.params, context(rule, **ctx))


def earn(
    ev: EventView,
    rules: Sequence[tuple[RuleType, Mapping[str, Any]] | tuple[RuleType, RuleInstance]],
    who: MemberProfile | None = None,
    **ctx: Any,
) -> list[Award]:
    """Run the rules as the engine does: by phase, each seeing the awards so far."""
    instances = [
        (rule_type, raw if isinstance(raw, RuleInstance) else instance(rule_type, raw))
        for rule_type, raw in rules
    ]
    instances.sort(key=lambda pair: PHASES.index(pair[0].phase(pair[1].params)))
    state = context(instances[0][1], **ctx)
    for rule_type, rule in instances:
        state.rule = rule
        found = rule_type.evaluate(ev, who or member(), rule.params, state)
        state.awards.extend(replace(award, rule=rule) for award in found)
    return state.awards


def total(awards: Sequence[Award]) -> int:
    return sum(award.points for award in awards)


# --- registration --------------------------------------------------------------------


@pytest.mark.parametrize("module_name", MODULES)
def test_each_module_registers_one_rule_type_named_after_it(module_name):
    module = importlib.import_module(f"jifen_plugins.earn_rules.{module_name}")
    (rule_type,) = module.register_earn_rules()
    assert rule_type.name == module_name
    assert rule_type.title
    params = rule_type.Params().load(MINIMAL.get(module_name, {}))
    assert rule_type.phase(params) in PHASES


# Required params of the types that have any.
MINIMAL = {
    "task": {"task": "review", "points": 5},
    "birthday": {"points": 100},
    "campaign": {"kind": "bonus", "points": 20},
    "caps": {"period": "day", "limit": 60},
}


# --- spend ---------------------------------------------------------------------------


def test_spend_gives_one_point_per_yuan():
    (award,) = evaluate(SpendRule(), {}, purchase(12800))
    assert award.points == 128
    assert award.reason == "1 point per 1.00 CNY on 128.00 CNY"
    assert award.multipliable
    assert award.rule is None and award.pending_until is None and award.lines is None


def test_spend_at_one_point_per_ten_yuan_rounds_down():
    (award,) = evaluate(SpendRule(), {"rate": "0.1"}, purchase(12800))
    assert award.points == 12
    assert award.reason == "1 point per 10.00 CNY on 128.00 CNY"


@pytest.mark.parametrize(
    ("rounding", "amount", "points"),
    [
        ("floor", 12500, 12),
        ("round", 12500, 13),
        ("round", 12499, 12),
        ("ceil", 12001, 13),
        ("ceil", 12000, 12),
    ],
)
def test_spend_rounds_the_order_once_as_configured(rounding, amount, points):
    raw = {"rate": "0.1", "rounding": rounding}
    (award,) = evaluate(SpendRule(), raw, purchase(amount))
    assert award.points == points


def test_spend_at_a_fractional_rate_states_it_per_yuan():
    (award,) = evaluate(SpendRule(), {"rate": "1.5"}, purchase(1000))
    assert (award.points, award.reason) == (15, "1.5 points per 1.00 CNY on 10.00 CNY")


def test_spend_leaves_out_shipping_unless_included():
    (without,) = evaluate(SpendRule(), {}, purchase(10800, shipping=800))
    (with_it,) = evaluate(SpendRule(), {"include_shipping": True}, purchase(10800, shipping=800))
    assert (without.points, with_it.points) == (100, 108)
    assert without.reason == "1 point per 1.00 CNY on 100.00 CNY"


def test_spend_below_the_minimum_earns_an_explained_zero():
    (award,) = evaluate(SpendRule(), {"minimum_spend": 5000}, purchase(5800, shipping=1000))
    assert award.points == 0
    assert award.reason == "minimum spend 50.00 CNY not reached (48.00 CNY)"


def test_spend_at_the_minimum_earns():
    (award,) = evaluate(SpendRule(), {"minimum_spend": 5000}, purchase(5000))
    assert award.points == 50


def test_spend_in_another_currency_earns_an_explained_zero():
    (award,) = evaluate(SpendRule(), {}, purchase(10000, currency="USD"))
    assert (award.points, award.reason) == (0, "purchases in USD earn no points")


def test_spend_in_a_listed_currency_earns():
    (award,) = evaluate(
        SpendRule(), {"currencies": ["CNY", "HKD"]}, purchase(10000, currency="HKD")
    )
    assert award.points == 100


def test_spend_ignores_events_other_than_purchases():
    assert evaluate(SpendRule(), {}, event("checkin")) == []


def test_spend_points_are_pending_until_the_return_window_ends():
    paid = NOW - timedelta(days=1)
    (award,) = evaluate(
        SpendRule(), {"pending_days": 7}, replace(purchase(10000), occurred_at=paid)
    )
    assert award.pending_until == paid + timedelta(days=7)


def test_spend_points_are_not_pending_once_the_return_window_is_over():
    paid = NOW - timedelta(days=8)
    (award,) = evaluate(
        SpendRule(), {"pending_days": 7}, replace(purchase(10000), occurred_at=paid)
    )
    assert award.pending_until is None


def test_sku_rate_overrides_category_rate_which_overrides_the_rule_rate():
    raw = {"rate": "1", "category_rates": {"food": "2"}, "sku_rates": {"promo": "3"}}
    lines = [line(1000, "food"), line(1000, "food", sku="promo"), line(1000, "toys")]
    (award,) = evaluate(SpendRule(), raw, purchase(3000, lines=lines))
    assert award.points == 20 + 30 + 10
    assert award.lines == {0: 20, 1: 30, 2: 10}
    assert award.reason == "60 points on 30.00 CNY at item rates"


def test_excluded_categories_earn_nothing_and_their_lines_get_zero():
    raw = {"excluded_categories": ["gift_cards"]}
    lines = [line(8000, "shoes"), line(5000, "gift_cards"), line(2000, None)]
    (award,) = evaluate(SpendRule(), raw, purchase(15000, lines=lines))
    assert award.points == 100
    assert award.lines == {0: 80, 1: 0, 2: 20}
    assert award.reason == "1 point per 1.00 CNY on 100.00 CNY"


def test_excluded_lines_do_not_count_towards_the_minimum_spend():
    raw = {"excluded_categories": ["gift_cards"], "minimum_spend": 5000}
    lines = [line(4000, "shoes"), line(5000, "gift_cards")]
    (award,) = evaluate(SpendRule(), raw, purchase(9000, lines=lines))
    assert award.points == 0


def test_per_line_attribution_sums_to_the_rounded_total():
    lines = [line(3333), line(3333), line(3334)]
    (award,) = evaluate(SpendRule(), {"rate": "0.1"}, purchase(10000, lines=lines))
    assert award.points == 10
    assert award.lines == {0: 3, 1: 3, 2: 4}


def test_included_shipping_points_are_attributed_to_the_lines():
    lines = [line(6000), line(3000)]
    raw = {"include_shipping": True}
    (award,) = evaluate(SpendRule(), raw, purchase(9900, shipping=900, lines=lines))
    assert award.points == 99
    assert award.lines == {0: 66, 1: 33}


def test_shipping_earned_beside_only_excluded_lines_is_attributed_by_line_amount():
    raw = {"include_shipping": True, "excluded_categories": ["gift_cards"]}
    lines = [line(3000, "gift_cards"), line(1000, "gift_cards")]
    (award,) = evaluate(SpendRule(), raw, purchase(5000, shipping=1000, lines=lines))
    assert award.points == 10
    assert award.lines == {0: 8, 1: 2}


@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12),
    categories=st.lists(st.sampled_from(["food", "toys", "gift_cards", None]), min_size=12),
    rate=st.decimals(min_value=0, max_value=50, places=3),
    rounding=st.sampled_from(["floor", "round", "ceil"]),
    shipping=st.integers(min_value=0, max_value=10**6),
    include_shipping=st.booleans(),
)
def test_line_attribution_always_sums_to_the_total_and_skips_excluded_lines(
    amounts, categories, rate, rounding, shipping, include_shipping
):
    raw = {
        "rate": str(rate),
        "rounding": rounding,
        "category_rates": {"food": "0.333"},
        "excluded_categories": ["gift_cards"],
        "include_shipping": include_shipping,
    }
    lines = [line(amount, category) for amount, category in zip(amounts, categories, strict=False)]
    ev = purchase(sum(amounts) + shipping, shipping=shipping, lines=lines)
    (award,) = evaluate(SpendRule(), raw, ev)
    assert sum(award.lines.values()) == award.points >= 0
    assert all(points >= 0 for points in award.lines.values())
    if any(item["category"] != "gift_cards" and item["amount"] for item in lines):
        for index, item in enumerate(lines):
            if item["category"] == "gift_cards":
                assert award.lines[index] == 0


# --- tier multiplier -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "name", "points", "reason"),
    [("silver", "Silver", 150, "Silver tier 1.5x"), ("gold", "Gold", 200, "Gold tier 2x")],
)
def test_silver_earns_1_5x_and_gold_2x(tier, name, points, reason):
    rates = {"rates": {"silver": "1.5", "gold": "2"}}
    awards = earn(
        purchase(10000), [(SpendRule(), {}), (TierMultiplierRule(), rates)], member(tier, name)
    )
    assert total(awards) == points
    assert awards[-1].reason == reason
    assert awards[-1].multipliable


def test_a_tier_not_listed_uses_its_own_multiplier():
    who = member("gold", None, tier_multiplier="1.25")
    awards = earn(purchase(10000), [(SpendRule(), {}), (TierMultiplierRule(), {})], who)
    assert total(awards) == 125
    assert awards[-1].reason == "gold tier 1.25x"


def test_tier_multiplier_rounds_the_result_down():
    who = member("gold", "Gold", tier_multiplier="1.5")
    awards = earn(purchase(10100), [(SpendRule(), {}), (TierMultiplierRule(), {})], who)
    assert awards[-1].points == 50


@pytest.mark.parametrize(
    "who", [member(), member("basic", "Basic", tier_multiplier="1"), member("basic", "Basic")]
)
def test_a_member_without_a_multiplier_gets_nothing_extra(who):
    awards = earn(purchase(10000), [(SpendRule(), {}), (TierMultiplierRule(), {})], who)
    assert len(awards) == 1


def test_tier_multiplier_needs_multipliable_points():
    who = member("gold", "Gold", tier_multiplier="2")
    assert earn(event("checkin"), [(CheckinRule(), {}), (TierMultiplierRule(), {})], who)[1:] == []


# --- campaign ------------------------------------------------------------------------

MEMBER_DAY = {"kind": "multiplier", "multiplier": "2", "month_days": [10], "label": "member day"}


@pytest.mark.parametrize("campaign_first", [True, False])
def test_double_points_on_the_10th_stacked_with_gold_1_5x_is_3x(campaign_first):
    who = member("gold", "Gold", tier_multiplier="1.5")
    multipliers = [(CampaignRule(), MEMBER_DAY), (TierMultiplierRule(), {})]
    if not campaign_first:
        multipliers.reverse()
    awards = earn(purchase(10000), [(SpendRule(), {}), *multipliers], who)
    assert total(awards) == 300
    if campaign_first:
        assert [(a.points, a.reason) for a in awards[1:]] == [
            (100, "2x member day"),
            (100, "Gold tier 1.5x"),
        ]


def test_member_day_multiplier_does_nothing_on_other_days():
    rules = [(SpendRule(), {}), (CampaignRule(), MEMBER_DAY)]
    awards = earn(purchase(10000), rules, local_date=date(2026, 3, 11))
    assert total(awards) == 100


def test_a_campaign_runs_on_any_day_its_schedule_lists():
    raw = {"kind": "bonus", "points": 20, "weekdays": [6, 7], "dates": ["2026-03-10"]}
    assert total(evaluate(CampaignRule(), raw, purchase(100))) == 20
    assert total(evaluate(CampaignRule(), raw, purchase(100), local_date=date(2026, 3, 14))) == 20
    assert evaluate(CampaignRule(), raw, purchase(100), local_date=date(2026, 3, 11)) == []


def test_a_campaign_ignores_events_it_does_not_list():
    assert evaluate(CampaignRule(), {"kind": "bonus", "points": 20}, event("checkin")) == []


def test_a_bonus_is_not_multiplied():
    raw = {"kind": "bonus", "points": 20, "label": "member day bonus"}
    (award,) = evaluate(CampaignRule(), raw, purchase(100))
    assert (award.points, award.reason, award.multipliable) == (20, "member day bonus", False)


def test_spend_500_get_100():
    raw = {"kind": "threshold", "threshold": 50000, "points": 100}
    (award,) = evaluate(CampaignRule(), raw, purchase(52000))
    assert (award.points, award.reason, award.multipliable) == (100, "spend 500.00 get 100", False)
    assert evaluate(CampaignRule(), raw, purchase(120000)) == [award]


def test_spend_500_get_100_does_not_count_shipping():
    raw = {"kind": "threshold", "threshold": 50000, "points": 100}
    assert evaluate(CampaignRule(), raw, purchase(50500, shipping=1000)) == []


def test_spend_500_get_100_per_multiple_pays_for_every_500():
    raw = {"kind": "threshold", "threshold": 50000, "points": 100, "per_multiple": True}
    (award,) = evaluate(CampaignRule(), raw, purchase(120000))
    assert (award.points, award.reason) == (200, "spend 500.00 get 100, 2 times")


@pytest.mark.parametrize(
    ("raw", "phase"),
    [
        (MEMBER_DAY, "multiply"),
        ({"kind": "bonus", "points": 20}, "bonus"),
        ({"kind": "threshold", "threshold": 100, "points": 1}, "bonus"),
    ],
)
def test_a_campaigns_phase_follows_its_kind(raw, phase):
    assert CampaignRule().phase(CampaignRule.Params().load(raw)) == phase


# --- task ----------------------------------------------------------------------------

REGISTER = {"event": "registered", "points": 50, "title": "welcome"}
SHARE = {"event": "share", "points": 10, "limit": 3, "period": "day", "title": "share"}


def test_registering_gives_50_once():
    (award,) = evaluate(TaskRule(), REGISTER, event("registered"))
    assert (award.points, award.reason) == (50, "welcome")
    (again,) = evaluate(
        TaskRule(), REGISTER, event("registered"), already_times={(None, MEMBER_ID): 1}
    )
    assert (again.points, again.reason) == (0, "welcome: limit of 1 reached")


def test_sharing_gives_10_up_to_3_times_a_day():
    third = evaluate(TaskRule(), SHARE, event("share"), already_times={("day", MEMBER_ID): 2})
    fourth = evaluate(TaskRule(), SHARE, event("share"), already_times={("day", MEMBER_ID): 3})
    assert [(a.points, a.reason) for a in third + fourth] == [
        (10, "share"),
        (0, "share: daily limit of 3 reached"),
    ]


def test_a_task_rule_pays_only_for_its_task():
    raw = {"task": "review", "points": 5}
    assert total(evaluate(TaskRule(), raw, event("task", task="review"))) == 5
    assert evaluate(TaskRule(), raw, event("task", task="survey")) == []
    assert evaluate(TaskRule(), raw, event("share")) == []


def test_a_task_code_also_narrows_other_event_kinds():
    raw = {"event": "profile_completed", "task": "avatar", "points": 5}
    assert evaluate(TaskRule(), raw, event("profile_completed")) == []
    assert total(evaluate(TaskRule(), raw, event("profile_completed", task="avatar"))) == 5


# --- referral ------------------------------------------------------------------------


def referral(stage: str) -> EventView:
    return event("referral", inviter_id=INVITER_ID, stage=stage)


def test_a_friends_first_purchase_gives_the_inviter_50():
    (award,) = evaluate(ReferralRule(), {"inviter_first_purchase": 50}, referral("first_purchase"))
    assert (award.points, award.member_id, award.reason) == (
        50,
        INVITER_ID,
        "friend's first purchase",
    )


def test_registering_with_an_invitation_pays_both_sides():
    raw = {"inviter_registered": 20, "invitee_registered": 30}
    awards = evaluate(ReferralRule(), raw, referral("registered"))
    assert [(a.points, a.member_id) for a in awards] == [(20, INVITER_ID), (30, None)]


def test_a_stage_worth_nothing_gives_nothing():
    assert evaluate(ReferralRule(), {"inviter_registered": 20}, referral("first_purchase")) == []


def test_an_inviter_over_the_monthly_limit_gets_an_explanation_instead():
    raw = {"inviter_registered": 20, "invitee_registered": 30, "inviter_monthly_limit": 5}
    awards = evaluate(
        ReferralRule(), raw, referral("registered"), already_times={("month", INVITER_ID): 5}
    )
    assert [(a.points, a.member_id, a.reason) for a in awards] == [
        (0, INVITER_ID, "referral: monthly limit of 5 reached"),
        (30, None, "joined with a friend's invitation"),
    ]


def test_inviting_yourself_earns_the_inviter_nothing():
    ev = replace(referral("registered"), data={"inviter_id": str(MEMBER_ID), "stage": "registered"})
    assert evaluate(ReferralRule(), {"inviter_registered": 20}, ev) == []


# --- check-in ------------------------------------------------------------------------

WEEKLY = {"points": 10, "streak_bonuses": [{"day": 7, "points": 50}], "cycle_days": 7}


def checkin(raw: Mapping[str, Any], previous: CheckinDay | None, today: date) -> list[Award]:
    return evaluate(
        CheckinRule(), raw, event("checkin"), previous_checkin=previous, local_date=today
    )


def test_a_first_checkin_starts_a_streak_of_one():
    (award,) = checkin({}, None, TUESDAY_10_MARCH)
    assert (award.points, award.reason, award.data) == (10, "daily check-in, day 1", {"streak": 1})
    assert not award.multipliable


def test_the_seventh_day_in_a_row_earns_the_streak_bonus():
    awards = checkin(WEEKLY, CheckinDay(date(2026, 3, 9), 6), TUESDAY_10_MARCH)
    assert [(a.points, a.reason, a.data) for a in awards] == [
        (10, "daily check-in, day 7", {"streak": 7}),
        (50, "7-day check-in streak", {"streak": 7}),
    ]


def test_a_missed_day_resets_the_streak():
    (award,) = checkin(WEEKLY, CheckinDay(date(2026, 3, 8), 6), TUESDAY_10_MARCH)
    assert award.data == {"streak": 1}


def test_allowed_missed_days_keep_the_streak():
    raw = {**WEEKLY, "missed_days_allowed": 1}
    awards = checkin(raw, CheckinDay(date(2026, 3, 8), 6), TUESDAY_10_MARCH)
    assert total(awards) == 60
    (reset,) = checkin(raw, CheckinDay(date(2026, 3, 7), 6), TUESDAY_10_MARCH)
    assert reset.data == {"streak": 1}


def test_the_streak_restarts_after_its_cycle():
    (award,) = checkin(WEEKLY, CheckinDay(date(2026, 3, 9), 7), TUESDAY_10_MARCH)
    assert award.data == {"streak": 1}


def test_without_a_cycle_the_streak_keeps_growing():
    (award,) = checkin({}, CheckinDay(date(2026, 3, 9), 30), TUESDAY_10_MARCH)
    assert award.reason == "daily check-in, day 31"


def test_a_checkin_worth_nothing_still_records_its_streak():
    (award,) = checkin({"points": 0}, CheckinDay(date(2026, 3, 9), 2), TUESDAY_10_MARCH)
    assert (award.points, award.data) == (0, {"streak": 3})


def test_a_streak_bonus_alone_when_daily_points_are_zero():
    raw = {"points": 0, "streak_bonuses": [{"day": 3, "points": 15}]}
    (award,) = checkin(raw, CheckinDay(date(2026, 3, 9), 2), TUESDAY_10_MARCH)
    assert (award.points, award.reason) == (15, "3-day check-in streak")


def test_checkin_ignores_other_events():
    assert evaluate(CheckinRule(), {}, purchase(100)) == []


# --- birthday ------------------------------------------------------------------------


def birthday(raw: Mapping[str, Any], born: date | None, today: date, times: int = 0) -> list[Award]:
    return evaluate(
        BirthdayRule(),
        raw,
        event("birthday"),
        member(birthday=born),
        local_date=today,
        already_times={("year", MEMBER_ID): times},
    )


def test_happy_birthday_on_the_day():
    (award,) = birthday({"points": 100}, date(1990, 3, 10), TUESDAY_10_MARCH)
    assert (award.points, award.reason) == (100, "happy birthday")
    assert birthday({"points": 100}, date(1990, 3, 11), TUESDAY_10_MARCH) == []


def test_a_29_february_birthday_is_celebrated_on_28_february_in_a_non_leap_year():
    assert total(birthday({"points": 100}, date(2000, 2, 29), date(2027, 2, 28))) == 100


def test_a_29_february_birthday_waits_for_29_february_in_a_leap_year():
    assert birthday({"points": 100}, date(2000, 2, 29), date(2028, 2, 28)) == []
    assert total(birthday({"points": 100}, date(2000, 2, 29), date(2028, 2, 29))) == 100


def test_a_birthday_month_gift_comes_any_day_of_the_month():
    raw = {"points": 100, "when": "month"}
    assert total(birthday(raw, date(1990, 3, 28), TUESDAY_10_MARCH)) == 100
    assert birthday(raw, date(1990, 4, 10), TUESDAY_10_MARCH) == []


def test_a_birthday_gift_comes_once_a_year():
    assert birthday({"points": 100, "when": "month"}, date(1990, 3, 9), TUESDAY_10_MARCH, 1) == []


def test_no_birthday_no_gift():
    assert birthday({"points": 100}, None, TUESDAY_10_MARCH) == []


# --- caps ----------------------------------------------------------------------------


def test_a_daily_cap_of_60_with_20_granted_lets_40_through():
    awards = earn(
        purchase(5000),
        [(SpendRule(), {}), (CapRule(), {"period": "day", "limit": 60})],
        already_granted={(MEMBER_ID, None): 20},
    )
    assert [(a.points, a.reason) for a in awards][1:] == [
        (-10, "daily cap of 60 reached: 40 of 50 granted")
    ]
    assert total(awards) == 40
    assert awards[-1].member_id == MEMBER_ID and awards[-1].data == {}


def test_a_cap_not_reached_takes_nothing():
    rules = [(SpendRule(), {}), (CapRule(), {"period": "day", "limit": 60})]
    assert len(earn(purchase(4000), rules, already_granted={(MEMBER_ID, None): 20})) == 1


def test_a_cap_already_exceeded_takes_everything():
    rules = [(SpendRule(), {}), (CapRule(), {"period": "week", "limit": 60})]
    awards = earn(purchase(4000), rules, already_granted={(MEMBER_ID, None): 70})
    assert awards[-1].reason == "weekly cap of 60 reached: 0 of 40 granted"
    assert total(awards) == 0


def test_a_scoped_cap_counts_only_its_rules():
    share = instance(TaskRule(), SHARE)
    cap = {"period": "month", "limit": 15, "rules": [str(share.id)]}
    awards = earn(
        event("share"),
        [
            (TaskRule(), share),
            (CampaignRule(), {"kind": "bonus", "points": 20, "events": ["share"]}),
            (CapRule(), cap),
        ],
        already_granted={(MEMBER_ID, frozenset([share.id])): 10},
    )
    assert [a.points for a in awards] == [10, 20, -5]
    assert awards[-1].reason == "monthly cap of 15 reached: 5 of 10 granted"
    assert awards[-1].data == {"cap_scope": [str(share.id)]}


def test_two_caps_on_the_same_rules_do_not_trim_twice():
    spend = instance(SpendRule(), {})
    scope = [str(spend.id)]
    awards = earn(
        purchase(10000),
        [
            (SpendRule(), spend),
            (CapRule(), {"period": "day", "limit": 60, "rules": scope}),
            (CapRule(), {"period": "week", "limit": 80, "rules": scope}),
        ],
    )
    assert [a.points for a in awards] == [100, -40]


def test_a_cap_limits_each_member_separately():
    rules = [
        (ReferralRule(), {"inviter_registered": 50, "invitee_registered": 50}),
        (CapRule(), {"period": "day", "limit": 60}),
    ]
    awards = earn(referral("registered"), rules, already_granted={(INVITER_ID, None): 30})
    assert [(a.points, a.member_id) for a in awards] == [
        (50, INVITER_ID),
        (50, None),
        (-20, INVITER_ID),
    ]


# --- params --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_type", "raw", "field_name"),
    [
        (SpendRule(), {"minimum_spend": 10.5}, "minimum_spend"),
        (SpendRule(), {"minimum_spend": "100"}, "minimum_spend"),
        (SpendRule(), {"pending_days": True}, "pending_days"),
        (SpendRule(), {"rate": 0.1}, "rate"),
        (SpendRule(), {"rate": "-1"}, "rate"),
        (SpendRule(), {"rate": "0.000000001"}, "rate"),
        (SpendRule(), {"rate": "NaN"}, "rate"),
        (SpendRule(), {"category_rates": {"food": 1.5}}, "category_rates"),
        (SpendRule(), {"rounding": "bankers"}, "rounding"),
        (SpendRule(), {"currencies": ["cny"]}, "currencies"),
        (SpendRule(), {"points_per_yuan": "1"}, "points_per_yuan"),
        (TierMultiplierRule(), {"rates": {"gold": "0.9"}}, "rates"),
        (CheckinRule(), {"points": 10.0}, "points"),
        (CheckinRule(), {"streak_bonuses": [{"day": 7, "points": 5, "x": 1}]}, "streak_bonuses"),
        (CheckinRule(), {"streak_bonuses": [{"day": 7, "points": 5}] * 2}, "streak_bonuses"),
        (
            CheckinRule(),
            {"cycle_days": 5, "streak_bonuses": [{"day": 7, "points": 5}]},
            "streak_bonuses",
        ),
        (TaskRule(), {"points": 10}, "task"),
        (TaskRule(), {"task": "review", "points": 0}, "points"),
        (TaskRule(), {"task": "review"}, "points"),
        (TaskRule(), {"task": "review", "points": 5, "period": "hour"}, "period"),
        (ReferralRule(), {"inviter_monthly_limit": 0}, "inviter_monthly_limit"),
        (BirthdayRule(), {"points": 100, "when": "week"}, "when"),
        (CampaignRule(), {"kind": "multiplier"}, "multiplier"),
        (CampaignRule(), {"kind": "multiplier", "multiplier": "1"}, "multiplier"),
        (CampaignRule(), {"kind": "multiplier", "multiplier": "0.5"}, "multiplier"),
        (CampaignRule(), {"kind": "multiplier", "multiplier": 2.0}, "multiplier"),
        (CampaignRule(), {"kind": "bonus"}, "points"),
        (CampaignRule(), {"kind": "threshold", "points": 100}, "threshold"),
        (CampaignRule(), {"kind": "bonus", "points": 5, "multiplier": "2"}, "multiplier"),
        (CampaignRule(), {"kind": "bonus", "points": 5, "weekdays": [0]}, "weekdays"),
        (CampaignRule(), {"kind": "bonus", "points": 5, "month_days": [32]}, "month_days"),
        (CampaignRule(), {"kind": "lottery", "points": 5}, "kind"),
        (CapRule(), {"limit": 60}, "period"),
        (CapRule(), {"period": "day", "limit": -1}, "limit"),
        (CapRule(), {"period": "day", "limit": 60, "rules": ["spend"]}, "rules"),
    ],
)
def test_params_reject_bad_input(rule_type, raw, field_name):
    with pytest.raises(ValidationError) as raised:
        rule_type.Params().load(raw)
    assert field_name in raised.value.messages


def test_rates_are_exact_decimals_from_strings_or_integers():
    params = SpendRule.Params().load({"rate": 2, "category_rates": {"food": "0.1"}})
    assert params["rate"] == Decimal(2)
    assert params["category_rates"] == {"food": Decimal("0.1")}
    assert SpendRule.Params().dump(params)["category_rates"] == {"food": "0.1"}
