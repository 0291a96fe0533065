"""The dashboard shows a tenant's points day by day, its redemption rate, what members
redeem most, its tiers and the liability its points are, in points and at the point's
cost, now or as of a past day, in both languages."""

from __future__ import annotations

from decimal import Decimal

from conftest import sqlite_only
from mall.shop import ADDRESS, give, member, product
from rules.api import call

from console.console_pages import CHINESE, ENGLISH, page, signed_in_as, text
from jifen.audit import SYSTEM
from jifen.finance.values import set_value

pytestmark = sqlite_only


def test_the_dashboard_shows_the_days_points_and_what_they_are_worth(client, svc, tenant, clock):
    alice, bob = member(client, tenant), member(client, tenant)
    give(client, tenant, alice, 1_000)
    give(client, tenant, bob, 500)
    tote = product(client, tenant, name="Tote <bag>", points_price=300, stock=5)
    order = {"member_id": alice, "product_id": tote["id"], "address": ADDRESS}
    call(client, tenant, "POST", "/orders", order, 201)
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        set_value(
            session,
            tenant.tenant_id,
            cost=Decimal("0.5"),
            selling_price=Decimal("1"),
            redemption_rate=None,
            actor=SYSTEM,
            clock=svc.clock,
        )
    signed_in_as(client, svc, tenant, "viewer")
    shown = text(page(client, "/console/dashboard", ENGLISH))
    assert "Issued 1,500" in shown and "Redeemed 300" in shown and "Redemption rate 20.0%" in shown
    assert "Active members today 2" in shown
    assert "Tote <bag> 1 1 300" in shown  # escaped in the page, read back as text
    # 1,200 points held at 0.5 fen each: ¥6.00.
    assert "Members hold 1,200 CN¥6.00" in shown
    chinese = text(page(client, "/console/dashboard", CHINESE))
    assert "已发放 1,500" in chinese and "兑换率 20.0%" in chinese


def test_the_liability_as_of_a_past_day(client, svc, tenant, clock):
    alice = member(client, tenant)
    give(client, tenant, alice, 700)
    yesterday = clock.now().date()
    clock.advance(days=1)
    give(client, tenant, alice, 50)
    signed_in_as(client, svc, tenant, "viewer")
    past = text(page(client, f"/console/dashboard?as_of={yesterday.isoformat()}", ENGLISH))
    assert "Members hold (net of debt) 700" in past
    now = text(page(client, "/console/dashboard", ENGLISH))
    assert "Members hold 750" in now
    # Nonsense is the present, never a 500.
    assert client.get("/console/dashboard?as_of=<script>&days=x").status_code == 200
