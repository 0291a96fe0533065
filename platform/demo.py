"""The demo tenant's earn program and mall: a realistic Chinese retail loyalty set-up.

Used by `flask jifen demo` and by the benchmarks, so they measure the rule set and the
catalog a merchant would start from.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.clock import Clock
from jifen.mall import cashier, catalog, codes, partners
from jifen.mall import settings as mall_settings
from jifen.members import tiers
from jifen.rules import management
from jifen.rules.registry import RuleTypes

if TYPE_CHECKING:
    from jifen.mall.models import Payment
    from jifen.services import Services

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
CATEGORIES = [
    ("数码家电", None),
    ("耳机音箱", "数码家电"),
    ("生活好物", None),
    ("卡券", None),
    ("抽奖", None),
]
PARTNER = {"name": "星巴克 Starbucks", "currency": "CNY", "budget": 500_000}
LOTTERY = {
    "prizes": [
        {"code": "earbuds", "name": "蓝牙耳机", "weight": 1, "stock": 3, "goods": True},
        {"code": "points500", "name": "500 积分", "weight": 9, "stock": 100, "points": 500},
        {"code": "thanks", "name": "谢谢参与 +5 积分", "weight": 90, "points": 5},
    ],
    "consolation": "thanks",
}
GAME_CODES = "code\n" + "\n".join(f"DEMO-GAME-{n:04d}" for n in range(1, 21))
# Products by category: every kind and every redemption mode, with limits, a
# tier-exclusive item and a flash sale.
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
        "耳机音箱",
        {
            "kind": "physical",
            "mode": "points_cash",
            "name": "智能音箱 Smart speaker (积分+现金)",
            "points_price": 1_200,
            "cash_price": 19_900,
            "currency": "CNY",
            "stock": 20,
            "sort_order": 2,
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
            "sort_order": 3,
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
            "sort_order": 4,
        },
    ),
    (
        "生活好物",
        {
            "kind": "physical",
            "mode": "co_branded",
            "name": "星巴克联名杯 Co-branded tumbler",
            "points_price": 900,
            "stock": 100,
            "sort_order": 5,
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
            "sort_order": 6,
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
            "sort_order": 7,
        },
    ),
    (
        "卡券",
        {
            "kind": "virtual",
            "name": "游戏点卡 Game card",
            "points_price": 1_000,
            "stock": None,
            "sort_order": 8,
        },
    ),
    (
        "抽奖",
        {
            "kind": "physical",
            "mode": "lottery",
            "mode_params": LOTTERY,
            "name": "幸运大转盘 Lucky wheel",
            "points_price": 50,
            "stock": None,
            "sort_order": 9,
        },
    ),
]


def seed_catalog(
    session: Session, svc: Services, tenant_id: uuid.UUID, *, actor: Actor
) -> dict[str, uuid.UUID]:
    """Give the tenant the demo's mall: categories, a partner brand, products of every
    kind and mode (on sale), a game card's codes, a flash sale today, and settings that
    let members pay the cash part (through the offline test gateway), use points at
    the checkout and buy points. The products' ids by name."""
    clock = svc.clock
    mall_settings.update_settings(
        session,
        tenant_id,
        {"payment_provider": "offline_test", "topup_enabled": True},
        providers=svc.payment_providers,
        actor=actor,
        clock=clock,
    )
    shelves: dict[str, uuid.UUID] = {}
    for name, parent in CATEGORIES:
        data = {"name": name, "parent_id": shelves.get(parent or ""), "sort_order": len(shelves)}
        shelves[name] = catalog.create_category(
            session, tenant_id, data, actor=actor, clock=clock
        ).id
    partner = partners.create_partner(session, tenant_id, PARTNER, actor=actor, clock=clock)
    ladder = tiers.tiers_of(session, tenant_id)
    products = {}
    for shelf, fields in PRODUCTS:
        if fields.get("mode") == "co_branded":
            fields = {**fields, "mode_params": {"partner_id": partner.id, "cost_share": 1_500}}
        product = catalog.create_product(
            session,
            tenant_id,
            {**fields, "category_id": shelves[shelf], "status": "active"},
            modes=svc.redeem_modes,
            tiers=ladder,
            actor=actor,
            clock=clock,
        )
        products[product.name] = product.id
    game = products["游戏点卡 Game card"]
    codes.upload(session, game, GAME_CODES, keyring=svc.keyring, actor=actor, clock=clock)
    today = clock.now().replace(minute=0, second=0, microsecond=0)
    catalog.create_flash_sale(
        session,
        products["蓝牙耳机 Bluetooth earbuds"],
        {
            "starts_at": today,
            "ends_at": today + timedelta(days=1),
            "points_price": 6_000,
            "stock": 5,
            "limit_per_member": 1,
        },
        actor=actor,
        clock=clock,
    )
    return products


def pay_at_the_test_gateway(svc: Services, payment_id: uuid.UUID) -> Payment:
    """Pay a committed payment as a member does on the offline test gateway's page: the
    relay asks the gateway (the payment is pending, its page live), then the page's Pay
    button posts its signed notification, which settles the payment."""
    svc.jobs.wait_idle()  # the worker thread may be delivering it already
    svc.relay.drain()
    gateway: Any = svc.payment_providers.get("offline_test")
    body = gateway.notification_body(payment_id, "succeeded")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    with svc.db.transaction() as session:
        return cashier.notified(session, svc, "offline_test", headers, body)
