"""Seeding the demo: the `demo` mall (the full programme, members with history, orders of
every kind) and two smaller malls in other themes and languages (`jifen.demo.malls`),
each with a live API key and a sign-in link for a member. Idempotent: a mall seeded
before is left as it is, and only given a new key and link."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.db import set_tenant
from jifen.demo import catalog, malls, program
from jifen.finance import values
from jifen.ledger import holds, policy, reversal
from jifen.ledger import service as ledger
from jifen.mall import orders, reviews
from jifen.mall.starter import SAMPLES
from jifen.members import addresses, sign_in_links
from jifen.members import service as members
from jifen.members.models import Member
from jifen.rules import recording
from jifen.rules.events import EventIn
from jifen.tenants import apikeys, users
from jifen.tenants import service as tenants
from jifen.tenants.models import Tenant, User

if TYPE_CHECKING:
    from jifen.services import Services

DEMO_MEMBERS = [
    ("wx-o6zAJs-001", "张伟", "13800138001", "1990-03-12", ["vip"]),
    ("wx-o6zAJs-002", "王芳", "13800138002", "1988-07-30", []),
    ("wx-o6zAJs-003", "李娜", "13800138003", None, ["new"]),
    ("wx-o6zAJs-004", "刘洋", None, "1995-11-23", []),
    ("app-10005", "Chen Jing", "+85291234567", "1979-01-05", ["vip", "hk"]),
    ("app-10006", "Alice Wong", None, None, ["hk"]),
]
DEMO_OWNER = "owner@demo.jifen.test"
DEMO_REVIEW = "保温效果很好，早上装的茶到晚上还是热的。Keeps tea hot all day."
# The demo member's own address, in their address book.
DEMO_HOME = {
    "name": "张伟",
    "phone": "13800138001",
    "region": "上海市 浦东新区",
    "line": "世纪大道 100 号 1 栋 1201 室",
    "postal_code": "200120",
}
DEMO_ADDRESS = {
    "name": "Alice Wong",
    "phone": "+85291234568",
    "region": "香港 九龍 尖沙咀",
    "line": "彌敦道 100 號",
    "postal_code": None,
}
DEMO_PURCHASE = {
    "amount": 36_800,
    "currency": "CNY",
    "shipping": 1_000,
    "lines": [
        {"sku": "tea-longjing-250g", "category": "food", "amount": 25_800},
        {"sku": "gift-card-100", "category": "gift_card", "amount": 10_000},
    ],
}


@dataclass(frozen=True)
class Seeded:
    """A demo mall as the command reports it."""

    slug: str
    name: str
    theme: str
    members: int
    api_key: str
    member_link: str  # a sign-in link's path for its first member
    member: str  # that member's user id


@dataclass(frozen=True)
class Demo:
    malls: list[Seeded]
    owner_password: str | None  # the console owner's, when it was made now


def seed(svc: Services, *, actor: Actor) -> Demo:
    """Seed what is missing of the demo, and give each mall a new key and link."""
    payments: list[uuid.UUID] = []
    password = None
    with svc.db.transaction() as session:
        owner = session.scalar(select(User).where(User.email == DEMO_OWNER))
        if owner is None:
            password = secrets.token_urlsafe(9)
            owner = users.create_user(
                session, email=DEMO_OWNER, name="Demo Owner", password=password, clock=svc.clock
            )
        owner_id = owner.id
    specs = [("demo", "积分示范店 Demo Mall", _seed_demo_mall), *malls.SEEDERS]
    for slug, name, seeder in specs:
        # A transaction per mall: a tenant's rows (its events too) commit in its scope.
        with svc.db.transaction() as session:
            if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
                continue
            tenant = tenants.create_tenant(
                session, slug=slug, name=name, actor=actor, clock=svc.clock
            )
            users.add_staff(
                session,
                tenant_id=tenant.id,
                user_id=owner_id,
                role="owner",
                actor=actor,
                clock=svc.clock,
            )
            payments += seeder(session, svc, tenant, actor)
            # A point costs the merchant a fen; it is sold as one too (IFRS 15's price).
            values.set_value(
                session,
                tenant.id,
                cost=Decimal(1),
                selling_price=Decimal(1),
                redemption_rate=None,
                actor=actor,
                clock=svc.clock,
            )
    seeded = [_keys(svc, slug, actor) for slug, _, _ in specs]
    for payment_id in payments:
        # After the commit, as a member would: the gateway is asked, then paid.
        catalog.pay_at_the_test_gateway(svc, payment_id)
    return Demo(seeded, password)


def _keys(svc: Services, slug: str, actor: Actor) -> Seeded:
    """One live API key and one live sign-in key for the mall (the previous ones
    revoked), and a link for its first member."""
    with svc.db.transaction() as session:
        tenant = tenants.by_slug(session, slug)
        set_tenant(session, tenant.id)
        apikeys.revoke_api_keys_named(session, tenant.id, "demo", actor=actor, clock=svc.clock)
        _, token = apikeys.create_api_key(
            session,
            tenant_id=tenant.id,
            name="demo",
            scopes=sorted(apikeys.SCOPES),
            actor=actor,
            clock=svc.clock,
            keyring=svc.keyring,
        )
        sign_in_links.revoke_live_keys(session, tenant.id, actor=actor, clock=svc.clock)
        sign_in_links.create_key(
            session, tenant.id, actor=actor, clock=svc.clock, keyring=svc.keyring
        )
        first = session.scalars(select(Member.external_id).order_by(Member.id)).first() or ""
        link = sign_in_links.link_path(session, tenant, first, clock=svc.clock, keyring=svc.keyring)
        count = session.query(Member).count()
        return Seeded(slug, tenant.name, tenant.theme, count, token, link, first)


def _seed_demo_mall(
    session: Session, svc: Services, tenant: Tenant, actor: Actor
) -> list[uuid.UUID]:
    """The full demo: the programme, six members with points, events and orders. The
    payment to make once this commits."""
    tenants.update_settings(
        session,
        tenant.id,
        {
            "theme": "classic",
            "sign_in_methods": ["link", "code"],
            "banners": [
                {
                    "image_url": f"{SAMPLES}/banner-double.svg",
                    "alt": "会员日双倍积分：每月10日消费积分翻倍",
                    "link": None,
                },
                {
                    "image_url": f"{SAMPLES}/banner-tea.svg",
                    "alt": "积分好礼：保温杯、联名杯，积分兑换",
                    "link": f"/m/{tenant.slug}/shop?q=杯",
                },
            ],
        },
        actor=actor,
        clock=svc.clock,
        in_use=lambda _setting: False,
    )
    program.seed_earn_program(
        session, tenant.id, rule_types=svc.rule_types, actor=actor, clock=svc.clock
    )
    seeded = []
    for external_id, name, phone, birthday, tags in DEMO_MEMBERS:
        data: dict[str, Any] = {"external_id": external_id, "name": name, "phone": phone}
        data["tags"] = tags
        if birthday:
            data["birthday"] = date.fromisoformat(birthday)
        member = members.create_member(
            session, tenant.id, data, actor=actor, clock=svc.clock, keyring=svc.keyring
        )
        recording.emit_registered(
            session, member.id, rule_types=svc.rule_types, actor=actor, clock=svc.clock
        )
        seeded.append(member.id)
    _seed_points(session, tenant.id, seeded, svc, actor)
    _seed_events(session, seeded, svc, actor)
    return [_seed_orders(session, tenant.id, seeded, svc, actor)]


def _seed_points(
    session: Session, tenant_id: uuid.UUID, member_ids: list[Any], s: Services, actor: Actor
) -> None:
    """Points for the demo: a policy, earnings, a redemption, a refund and a hold."""
    policy.set_policy(
        session,
        tenant_id,
        {"expiry": "rolling", "rolling_months": 24, "transfers_enabled": True},
        actor=actor,
        clock=s.clock,
    )
    for n, member_id in enumerate(member_ids):
        ledger.earn(session, member_id, 500 + 250 * n, actor=actor, clock=s.clock, memo="welcome")
    first, second = member_ids[0], member_ids[1]
    spent = ledger.redeem(session, first, 300, actor=actor, clock=s.clock, reference="demo-1")
    reversal.reverse(session, spent.id, amount=100, actor=actor, clock=s.clock)
    holds.reserve(session, second, 200, actor=actor, clock=s.clock, reference="demo-2")
    ledger.transfer(session, first, second, 50, actor=actor, clock=s.clock)
    # Points expiring inside the policy's 30-day notice window: the reminder round that
    # `serve` runs at start-up reminds this member, and the log notifier shows it.
    soon = s.clock.now() + timedelta(days=10)
    ledger.earn(
        session,
        member_ids[2],
        200,
        actor=actor,
        clock=s.clock,
        expires_at=soon,
        memo="expiring soon",
    )


def _seed_orders(
    session: Session, tenant_id: uuid.UUID, member_ids: list[Any], s: Services, actor: Actor
) -> uuid.UUID:
    """The demo mall and its first orders: a flask shipped (its review published), a
    coupon issued, a spin of the lucky wheel, a game card, and a speaker to be paid
    partly in cash (the id of its payment, paid once this commits); the demo member's
    saved address."""
    products = catalog.seed_catalog(session, s, tenant_id, actor=actor)
    richest, first = member_ids[-1], member_ids[0]

    def place(member_id: Any, name: str, address: dict[str, Any] | None = None) -> Any:
        return orders.place(
            session, s, tenant_id, member_id, products[name], 1, address=address, actor=actor
        )

    flask = place(richest, "保温杯 Vacuum flask", DEMO_ADDRESS)
    orders.ship(
        session, flask.id, "顺丰速运 SF Express", "SF1000000001", actor=actor, clock=s.clock
    )
    # Its owner said it arrived and reviewed it; the merchant published the review
    # (the review task pays it).
    owner = Actor("member", str(richest))
    orders.complete(session, flask.id, actor=owner, clock=s.clock)
    review = reviews.submit(session, flask.id, richest, 5, DEMO_REVIEW, actor=owner, clock=s.clock)
    reviews.publish(session, review.id, actor=actor, clock=s.clock)
    # The demo member's address book, which the redeem page offers.
    addresses.add(
        session,
        first,
        DEMO_HOME,
        label="家 Home",
        make_default=True,
        actor=Actor("member", str(first)),
        clock=s.clock,
        keyring=s.keyring,
    )
    place(first, "满100减10元券 10 off 100")
    place(member_ids[1], "幸运大转盘 Lucky wheel", DEMO_ADDRESS)
    place(member_ids[-3], "游戏点卡 Game card")
    speaker = place(member_ids[-2], "智能音箱 Smart speaker (积分+现金)", DEMO_ADDRESS)
    return uuid.UUID(speaker.details["payment_id"])


def _seed_events(session: Session, member_ids: list[Any], s: Services, actor: Actor) -> None:
    """Events through the demo's rules: purchases, a check-in, a share and a referral."""
    first, second, third = member_ids[:3]
    given = [
        EventIn("demo-order-1001", "purchase", dict(DEMO_PURCHASE), member_id=first),
        EventIn(
            "demo-order-1002", "purchase", {"amount": 52_000, "currency": "CNY"}, member_id=second
        ),
        EventIn("demo-checkin-1", "checkin", member_id=first),
        EventIn("demo-share-1", "share", {"channel": "wechat"}, member_id=second),
        EventIn(
            "demo-referral-1",
            "referral",
            {"inviter_id": str(first), "stage": "registered"},
            member_id=third,
        ),
        EventIn(
            "demo-order-1003", "purchase", {"amount": 9_900, "currency": "CNY"}, member_id=third
        ),
    ]
    for outcome in recording.record_batch(
        session, given, rule_types=s.rule_types, actor=actor, clock=s.clock
    ):
        if outcome.error is not None:
            raise outcome.error
