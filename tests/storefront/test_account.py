"""A member's own pages: their points with every upcoming expiry by date, their tier and
what the next one takes, the history of their points with each line's reason in their
language and the balance after it, filtered by kind and by day, and their orders; none
of it for a browser signed in to no member."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from conftest import sqlite_only
from mall.shop import ADDRESS, give, placed, product, set_tier
from rules.api import call, rule

from jifen.members import add_to_days
from storefront.mall_pages import CHINESE, ENGLISH, coffee_card, page, shopper, text
from storefront.test_check_in import check_in_form

pytestmark = sqlite_only


def ladder(client, tenant) -> None:
    silver = {"code": "silver", "name": "Silver", "rank": 1, "threshold": 1_000}
    gold = {"code": "gold", "name": "Gold", "rank": 2, "threshold": 5_000}
    tiers = [
        t | {"basis": "lifetime_points", "redemption_discount_percent": 10 * t["rank"]}
        for t in (silver, gold)
    ]
    call(client, tenant, "PUT", "/tiers", {"tiers": tiers}, 200)


def earned_so_far(svc, tenant, member_id: str, day, points: int) -> None:
    """What the earn engine counts towards tiers: the member's points by day."""
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        totals = {(uuid.UUID(member_id), day): (points, 0)}
        add_to_days(session.connection(), tenant.tenant_id, totals)


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (
            ENGLISH,
            [
                "Your 积分 1,400",
                "100 expire after Jan 31, 2027",
                "300 expire after Mar 31, 2027",
                "1,000 expire after Jun 30, 2027",
                "Your tier: Silver",
                "10% off redemptions",
                "Earn 3,600 more 积分 to reach Gold",
            ],
        ),
        (
            CHINESE,
            [
                "我的积分 1,400",
                "100 将于 2027年1月31日 后过期",
                "300 将于 2027年3月31日 后过期",
                "您的等级：Silver",
                "兑换享 10% 折扣",
                "再获得 3,600 积分即可升级为 Gold",
            ],
        ),
    ],
)
def test_the_account_lists_every_expiry_and_the_way_to_the_next_tier(
    client, tenant, svc, clock, headers, says
):
    ladder(client, tenant)
    alice = shopper(client, tenant)
    for points, day in [(300, "2027-03-31"), (100, "2027-01-31"), (1_000, "2027-06-30")]:
        give(
            client, tenant, alice, points, expires_at=f"{day}T16:00:00Z"
        )  # next midnight, Shanghai
    set_tier(svc, tenant, alice, "silver")
    earned_so_far(svc, tenant, alice, clock.now().date(), 1_400)

    shown = text(page(client, f"/m/{tenant.slug}/account", headers))

    for words in says:
        assert words in shown
    # Soonest first.
    assert shown.index("100 ") < shown.index("300 ") < shown.index("1,000 ")


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (ENGLISH, ["Your 积分 1,300", "300 expire after Mar 31, 2027"]),
        (CHINESE, ["我的积分 1,300", "300 将于 2027年3月31日 后过期"]),
    ],
)
def test_the_home_page_shows_what_the_member_can_spend_and_when_some_expires(
    client, tenant, clock, headers, says
):
    alice = shopper(client, tenant)
    soon = (clock.now() + timedelta(days=1)).isoformat()
    for points, at in [(50, soon), (300, "2027-03-31T16:00:00Z"), (1_000, None)]:
        give(client, tenant, alice, points, **({"expires_at": at} if at else {}))
    clock.advance(days=2)  # the 50 lapse; no sweep has run yet

    shown = text(page(client, f"/m/{tenant.slug}/", headers))

    for words in says:
        assert words in shown
    assert "50 " not in shown and "1,000 " not in shown


def test_the_history_says_why_in_the_members_language(client, tenant, clock):
    rule(client, tenant, "checkin", {"points": 5})
    alice = shopper(client, tenant)
    give(client, tenant, alice, 1_000, memo="Welcome gift from Acme")
    action, form = check_in_form(client, tenant)
    client.post(action, data=form)
    mug = product(client, tenant, name="Travel mug", points_price=300)
    placed(client, tenant, alice, mug["id"], address=ADDRESS)

    english = lines(page(client, f"/m/{tenant.slug}/account/history"))
    chinese = lines(page(client, f"/m/{tenant.slug}/account/history", CHINESE))

    # Newest first, each with the balance after it.
    assert english.index("-300") < english.index("+5") < english.index("+1,000")
    assert "Welcome gift from Acme +1,000" in english and "Balance 1,000" in english
    assert "Balance 705" in english
    assert "Welcome gift from Acme +1,000" in chinese  # the merchant's words as written
    assert "签到" in chinese and "余额 705" in chinese


def lines(html: str) -> str:
    """The history's lines, as read."""
    return text(html.split('<ol class="history">', 1)[1].split("</ol>", 1)[0])


def test_the_history_filters_by_kind_and_by_day(client, tenant, clock):
    alice = shopper(client, tenant)
    give(client, tenant, alice, 1_000, memo="First")
    clock.advance(days=3)
    give(client, tenant, alice, 50, memo="Later")
    mug = product(client, tenant, name="Travel mug", points_price=300)
    placed(client, tenant, alice, mug["id"], address=ADDRESS)
    url = f"/m/{tenant.slug}/account/history"

    spent = text(page(client, f"{url}?kind=redeem"))
    assert "-300" in spent and "First" not in spent and "Later" not in spent
    first_day = (clock.now() - timedelta(days=3)).date().isoformat()
    that_day = text(page(client, f"{url}?since={first_day}&until={first_day}&kind="))
    assert "First" in that_day and "Later" not in that_day

    refused = text(page(client, f"{url}?since=yesterday&kind=gifts", status=400))
    assert "Some filters could not be used:" in refused and "Not a valid date." in refused
    for extreme in ("since=0001-01-01", "until=9999-12-31"):  # no day a ledger holds
        assert "Some filters could not be used:" in text(
            page(client, f"{url}?{extreme}", status=400)
        )


def test_my_orders_lists_the_members_own_orders(client, app, tenant):
    mug = product(client, tenant, name="Travel mug", points_price=300)
    alice = shopper(client, tenant, points=1_000)
    placed(client, tenant, alice, mug["id"], address=ADDRESS)
    bobs_phone = app.test_client()
    shopper(bobs_phone, tenant, user_id="wx-bob")

    assert "Travel mug Preparing" in text(page(client, f"/m/{tenant.slug}/account/orders"))
    assert "Travel mug" not in text(page(bobs_phone, f"/m/{tenant.slug}/account/orders"))


def test_a_browser_signed_in_to_no_member_sees_none_of_it(client, tenant):
    for path in ("account", "account/history", "account/orders"):
        shown = text(page(client, f"/m/{tenant.slug}/{path}", status=403))
        assert "Open the mall from" in shown


def test_my_coupons_shows_each_code_to_its_owner_with_its_state(client, app, tenant, clock):
    card = coffee_card(client, tenant, valid_days=1)
    alice = shopper(client, tenant, points=1_000)
    (code,) = placed(client, tenant, alice, card["id"])["delivery"]["coupons"]
    bobs_phone = app.test_client()
    shopper(bobs_phone, tenant, user_id="wx-bob")

    mine = text(page(client, f"/m/{tenant.slug}/account/coupons"))
    assert f"Coffee card {code} Ready to use" in mine
    assert code not in page(bobs_phone, f"/m/{tenant.slug}/account/coupons")
    clock.advance(days=2)
    assert f"{code} 过期" in text(page(client, f"/m/{tenant.slug}/account/coupons", CHINESE))
