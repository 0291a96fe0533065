"""The demo tenant's earn program and mall: a realistic Chinese retail loyalty set-up.

Used by `flask jifen demo` and by the benchmarks, so they measure the rule set and the
catalog a merchant would start from.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.clock import Clock
from jifen.mall import catalog
from jifen.mall.modes import RedeemModes
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
        "params": {"event": "registered", "points": 50, "title": "welcome gift"},
    },
    {
        "name": "分享有礼 · share",
        "type": "task",
        "params": {"event": "share", "points": 10, "limit": 3, "period": "day", "title": "share"},
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
) -> None:
    """Give the tenant the demo's tiers and active rules."""
    tiers.set_ladder(session, tenant_id, TIERS, actor=actor, clock=clock)
    for rule in RULES:
        management.create_rule(
            session, {**rule, "status": "active"}, rule_types=rule_types, actor=actor, clock=clock
        )


# (name, parent): shelves of the demo mall.
CATEGORIES = [("数码家电", None), ("耳机音箱", "数码家电"), ("生活好物", None), ("卡券", None)]
# Products by category; one of every kind, with limits, a tier-exclusive item and a
# listing window.
PRODUCTS: list[tuple[str, dict[str, Any]]] = [
    (
        "耳机音箱",
        {
            "kind": "physical",
            "name": "蓝牙耳机 Bluetooth earbuds",
            "points_price": 12_000,
            "stock": 30,
            "tags": ["hot"],
            "limit_ever": 1,
            "sort_order": 1,
        },
    ),
    (
        "生活好物",
        {
            "kind": "physical",
            "name": "保温杯 Vacuum flask",
            "points_price": 1_500,
            "stock": 200,
            "tags": ["new"],
            "limit_per_week": 2,
            "sort_order": 2,
        },
    ),
    (
        "生活好物",
        {
            "kind": "physical",
            "name": "金卡专享 真丝围巾 Silk scarf (gold members)",
            "points_price": 8_000,
            "stock": 10,
            "min_tier": "gold",
            "sort_order": 3,
        },
    ),
    (
        "卡券",
        {
            "kind": "coupon",
            "name": "满100减10元券 10 off 100",
            "points_price": 500,
            "coupon": {
                "type": "amount_off",
                "amount_off": 1_000,
                "threshold": 10_000,
                "valid_days": 30,
            },
            "limit_per_day": 1,
            "sort_order": 4,
        },
    ),
    (
        "卡券",
        {
            "kind": "service",
            "name": "门店洗护服务 In-store care service",
            "points_price": 2_500,
            "stock": 50,
            "service": {"booking_url": "https://demo.jifen.test/book", "valid_days": 90},
            "sort_order": 5,
        },
    ),
]


def seed_catalog(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    modes: RedeemModes,
    actor: Actor,
    clock: Clock,
) -> dict[str, uuid.UUID]:
    """Give the tenant the demo's categories and products (on sale); their ids by name."""
    shelves: dict[str, uuid.UUID] = {}
    for name, parent in CATEGORIES:
        data = {"name": name, "parent_id": shelves.get(parent or ""), "sort_order": len(shelves)}
        shelves[name] = catalog.create_category(
            session, tenant_id, data, actor=actor, clock=clock
        ).id
    ladder = tiers.tiers_of(session, tenant_id)
    products = {}
    for shelf, fields in PRODUCTS:
        product = catalog.create_product(
            session,
            tenant_id,
            {**fields, "category_id": shelves[shelf], "status": "active"},
            modes=modes,
            tiers=ladder,
            actor=actor,
            clock=clock,
        )
        products[product.name] = product.id
    return products
