"""The demo mall's catalog: products of every kind and redemption mode, a partner brand,
a game card's codes and a flash sale, and how a member pays the cash part."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.mall import cashier, catalog, codes, partners
from jifen.mall import settings as mall_settings
from jifen.mall.starter import SAMPLES
from jifen.members import tiers

if TYPE_CHECKING:
    from jifen.mall.models import Payment
    from jifen.services import Services

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
            "images": [f"{SAMPLES}/headphones.svg"],
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
            "images": [f"{SAMPLES}/headphones.svg"],
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
            "images": [f"{SAMPLES}/mug.svg"],
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
            "images": [f"{SAMPLES}/gift.svg"],
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
            "images": [f"{SAMPLES}/mug.svg"],
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
            "images": [f"{SAMPLES}/coupon.svg"],
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
            "images": [f"{SAMPLES}/bag.svg"],
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
            "images": [f"{SAMPLES}/gift.svg"],
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
            "images": [f"{SAMPLES}/lucky.svg"],
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
