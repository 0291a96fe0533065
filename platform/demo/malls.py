"""Two smaller demo malls beside `demo`, in other themes and languages: a tea house in
the `fresh` theme (Chinese, its points called 茶豆) and a bookshop café in `night`
(English, Hong Kong dollars, its points called Stars). Each has a few tiers and rules, a
catalog with pictures, members with points and history, and a first order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.demo import program
from jifen.ledger import policy
from jifen.ledger import service as ledger
from jifen.mall import catalog, orders
from jifen.mall.starter import SAMPLES
from jifen.members import service as members
from jifen.members import tiers
from jifen.rules import recording
from jifen.rules.events import EventIn
from jifen.tenants import service as tenants
from jifen.tenants.models import Tenant

if TYPE_CHECKING:
    from collections.abc import Callable

    from jifen.services import Services


@dataclass(frozen=True)
class SmallMall:
    slug: str
    name: str
    settings: dict[str, Any]  # the tenant's: theme, locale, time zone, currency, points name
    ladder: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    products: list[tuple[str, dict[str, Any]]]  # (category, product)
    members: list[tuple[str, str, int]]  # (user id, name, welcome points)
    memo: str  # the welcome points' memo, in the mall's language
    address: dict[str, Any]


def _item(name: str, points: int, image: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "physical",
        "name": name,
        "points_price": points,
        "stock": 50,
        "images": [f"{SAMPLES}/{image}.svg"],
        **fields,
    }


TEA_HOUSE = SmallMall(
    slug="teahouse",
    name="茶语 Tea House",
    settings={"theme": "fresh", "points_name": "茶豆"},
    ladder=[
        {"code": "leaf", "name": "茶友", "rank": 0, "basis": "lifetime_points", "threshold": 0},
        {
            "code": "bud",
            "name": "茶客",
            "rank": 1,
            "basis": "lifetime_points",
            "threshold": 800,
            "redemption_discount_percent": 5,
        },
        {
            "code": "master",
            "name": "茶师",
            "rank": 2,
            "basis": "lifetime_points",
            "threshold": 3_000,
            "redemption_discount_percent": 10,
        },
    ],
    rules=[
        {"name": "消费积分", "type": "spend", "params": {"rate": "1"}},
        {"name": "每日签到", "type": "checkin", "params": {"points": 5}},
    ],
    products=[
        ("好茶", _item("明前龙井 50g Longjing tea", 680, "tea", tags=["hot"])),
        ("好茶", _item("茉莉花茶 Jasmine tea", 300, "tea")),
        ("茶具", _item("随手杯 Travel mug", 1_200, "mug", limit_per_week=1)),
        ("茶具", _item("帆布袋 Canvas bag", 450, "bag")),
        (
            "卡券",
            {
                "kind": "coupon",
                "name": "任意饮品立减 5 元 5 off any drink",
                "points_price": 200,
                "images": [f"{SAMPLES}/coupon.svg"],
                "coupon": {"type": "amount_off", "amount_off": 500, "valid_days": 30},
            },
        ),
    ],
    members=[("tea-0001", "陈静", 1_260), ("tea-0002", "周杰", 520), ("tea-0003", "吴敏", 90)],
    memo="开业有礼",
    address={
        "name": "陈静",
        "phone": "13900139001",
        "region": "浙江省 杭州市 西湖区",
        "line": "龙井路 1 号",
    },
)

NIGHT_OWL = SmallMall(
    slug="nightowl",
    name="Night Owl Books & Coffee",
    settings={
        "theme": "night",
        "locale": "en",
        "timezone": "Asia/Hong_Kong",
        "currency": "HKD",
        "points_name": "Stars",
    },
    ladder=[
        {"code": "reader", "name": "Reader", "rank": 0, "basis": "lifetime_points", "threshold": 0},
        {
            "code": "regular",
            "name": "Regular",
            "rank": 1,
            "basis": "lifetime_points",
            "threshold": 500,
            "redemption_discount_percent": 5,
        },
        {
            "code": "owl",
            "name": "Night Owl",
            "rank": 2,
            "basis": "lifetime_points",
            "threshold": 2_000,
            "redemption_discount_percent": 10,
        },
    ],
    rules=[
        {"name": "Stars per dollar", "type": "spend", "params": {"rate": "1"}},
        {"name": "Daily check-in", "type": "checkin", "params": {"points": 3}},
    ],
    products=[
        ("Coffee", _item("House blend beans 250g", 900, "bag", tags=["hot"])),
        ("Coffee", _item("Enamel mug", 650, "mug")),
        ("Books", _item("Mystery gift book", 1_500, "gift")),
        ("Books", _item("Reading umbrella", 1_100, "umbrella")),
        ("Treats", _item("Noise-cancelling headphones", 9_000, "headphones", stock=3)),
    ],
    members=[
        ("owl-001", "Alice Wong", 1_850),
        ("owl-002", "Ben Lee", 400),
        ("owl-003", "Chloe Ng", 60),
    ],
    memo="Welcome to Night Owl",
    address={
        "name": "Alice Wong",
        "phone": "+85291234568",
        "region": "Hong Kong, Kowloon",
        "line": "100 Nathan Road",
    },
)


def _seeder(mall: SmallMall) -> Callable[[Session, Services, Tenant, Actor], list[uuid.UUID]]:
    def seed(session: Session, svc: Services, tenant: Tenant, actor: Actor) -> list[uuid.UUID]:
        seed_small_mall(session, svc, tenant, mall, actor)
        return []

    return seed


def seed_small_mall(
    session: Session, svc: Services, tenant: Tenant, mall: SmallMall, actor: Actor
) -> None:
    clock = svc.clock
    tenants.update_settings(
        session, tenant.id, mall.settings, actor=actor, clock=clock, in_use=lambda _: False
    )
    policy.set_policy(
        session, tenant.id, {"expiry": "rolling", "rolling_months": 12}, actor=actor, clock=clock
    )
    program.seed_earn_program(
        session,
        tenant.id,
        rule_types=svc.rule_types,
        actor=actor,
        clock=clock,
        ladder=mall.ladder,
        rules=mall.rules,
    )
    shelves: dict[str, uuid.UUID] = {}
    ladder = tiers.tiers_of(session, tenant.id)
    products = []
    for shelf, fields in mall.products:
        if shelf not in shelves:
            data = {"name": shelf, "sort_order": len(shelves)}
            shelves[shelf] = catalog.create_category(
                session, tenant.id, data, actor=actor, clock=clock
            ).id
        products.append(
            catalog.create_product(
                session,
                tenant.id,
                {**fields, "category_id": shelves[shelf], "status": "active"},
                modes=svc.redeem_modes,
                tiers=ladder,
                actor=actor,
                clock=clock,
            )
        )
    ids = []
    for external_id, name, points in mall.members:
        member = members.create_member(
            session,
            tenant.id,
            {"external_id": external_id, "name": name},
            actor=actor,
            clock=clock,
            keyring=svc.keyring,
        )
        ledger.earn(session, member.id, points, actor=actor, clock=clock, memo=mall.memo)
        ids.append(member.id)
    # Some history: a purchase and yesterday's check-in for the first member, and a
    # batch of points expiring in a few weeks.
    first = ids[0]
    given = [
        EventIn(
            f"{mall.slug}-order-1",
            "purchase",
            {"amount": 12_800, "currency": tenant.currency},
            member_id=first,
        ),
        EventIn(
            f"{mall.slug}-checkin-1",
            "checkin",
            member_id=first,
            occurred_at=clock.now() - timedelta(days=1),
        ),
    ]
    for outcome in recording.record_batch(
        session, given, rule_types=svc.rule_types, actor=actor, clock=clock
    ):
        if outcome.error is not None:
            raise outcome.error
    orders.place(
        session, svc, tenant.id, first, products[1].id, 1, address=mall.address, actor=actor
    )
    soon = clock.now() + timedelta(days=20)  # after the order, which would spend it first
    ledger.earn(session, first, 120, actor=actor, clock=clock, expires_at=soon, memo=mall.memo)


SEEDERS = [(mall.slug, mall.name, _seeder(mall)) for mall in (TEA_HOUSE, NIGHT_OWL)]
