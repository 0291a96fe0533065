"""The demo's earn program: a realistic Chinese retail loyalty set-up of tiers and rules.

Used by `flask jifen demo` and by the benchmarks, so they measure the rule set a merchant
would start from.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.clock import Clock
from jifen.members import tiers
from jifen.rules import management
from jifen.rules.registry import RuleTypes

TIERS: list[dict[str, Any]] = [
    {"code": "normal", "name": "普通会员", "rank": 0, "basis": "lifetime_points", "threshold": 0},
    {
        "code": "silver",
        "name": "银卡",
        "rank": 1,
        "basis": "lifetime_points",
        "threshold": 1_000,
        "earn_multiplier": Decimal("1.2"),
        "redemption_discount_percent": 2,
    },
    {
        "code": "gold",
        "name": "金卡",
        "rank": 2,
        "basis": "lifetime_points",
        "threshold": 5_000,
        "grace_days": 30,
        "earn_multiplier": Decimal("1.5"),
        "redemption_discount_percent": 5,
    },
    {
        "code": "diamond",
        "name": "钻石",
        "rank": 3,
        "basis": "spend_in_window",
        "threshold": 2_000_000,  # 20,000.00 yuan within a year
        "window_days": 365,
        "grace_days": 90,
        "earn_multiplier": Decimal("2"),
        "redemption_discount_percent": 10,
    },
]

RULES: list[dict[str, Any]] = [
    {
        "name": "消费积分 · 1 point per yuan",
        "type": "spend",
        "params": {"rate": "1", "excluded_categories": ["gift_card"]},
    },
    {"name": "会员等级加成 · tier bonus", "type": "tier_multiplier", "priority": 10},
    {
        "name": "每月10日会员日双倍 · member day 2x",
        "type": "campaign",
        "params": {
            "kind": "multiplier",
            "multiplier": "2",
            "month_days": [10],
            "label": "member day",
        },
    },
    {
        "name": "满500送100 · spend 500 get 100",
        "type": "campaign",
        "params": {"kind": "threshold", "threshold": 50_000, "points": 100},
    },
    {
        "name": "注册有礼 · welcome",
        "type": "task",
        "params": {"event": "registered", "points": 50, "title": "注册有礼 · welcome gift"},
    },
    {
        "name": "分享有礼 · share",
        "type": "task",
        "params": {
            "event": "share",
            "points": 10,
            "limit": 3,
            "period": "day",
            "title": "分享商品 · share",
        },
    },
    {
        "name": "评价有礼 · review",
        "type": "task",
        "params": {
            "event": "review",
            "points": 20,
            "limit": 5,
            "period": "month",
            "title": "写评价 · write a review",
        },
    },
    {
        "name": "邀请好友 · refer a friend",
        "type": "referral",
        "params": {"invitee_registered": 20, "inviter_first_purchase": 50},
    },
    {
        "name": "每日签到 · daily check-in",
        "type": "checkin",
        "params": {"points": 5, "streak_bonuses": [{"day": 7, "points": 50}], "cycle_days": 7},
    },
    {
        "name": "生日月礼 · birthday month",
        "type": "birthday",
        "params": {"points": 200, "when": "month"},
    },
    {
        "name": "每日上限 · daily cap",
        "type": "caps",
        "params": {"period": "day", "limit": 5_000},
    },
]


def seed_earn_program(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    rule_types: RuleTypes,
    actor: Actor,
    clock: Clock,
    ladder: list[dict[str, Any]] = TIERS,
    rules: list[dict[str, Any]] = RULES,
) -> None:
    """Give the tenant tiers and active rules: the demo's, unless given others."""
    tiers.set_ladder(session, tenant_id, ladder, actor=actor, clock=clock)
    for rule in rules:
        management.create_rule(
            session, {**rule, "status": "active"}, rule_types=rule_types, actor=actor, clock=clock
        )
