"""Tiers: the ladder is validated as a whole; members move up as soon as they qualify,
and down only at the periodic re-evaluation, after their tier's grace period."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import select, update

from jifen import migrate
from jifen.audit import AuditEvent
from jifen.db import cross_tenant
from jifen.members import tiers
from jifen.members.models import Member, MemberDay

from .api import call, member, purchase, rule


def tier(code: str, rank: int, threshold: int, basis: str = "lifetime_points", **fields) -> dict:
    return {
        "code": code,
        "name": code.title(),
        "rank": rank,
        "basis": basis,
        "threshold": threshold,
        **fields,
    }


def put_ladder(client, tenant, *ladder: dict, status: int = 200):
    return call(client, tenant, "PUT", "/tiers", {"tiers": list(ladder)}, status).json


def tier_of(svc, tenant, member_id: str) -> str | None:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        held = tiers.benefits_of(session, tenant.tenant_id, uuid.UUID(member_id))
        return held.code if held else None


def grace_until(svc, tenant, member_id: str):
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return session.get(Member, (tenant.tenant_id, uuid.UUID(member_id))).tier_grace_until


@pytest.fixture
def earning(client, tenant) -> None:
    rule(client, tenant, "spend")  # 1 point per yuan


# --- the ladder -----------------------------------------------------------------------


def test_a_ladder_is_replaced_whole_and_read_lowest_first(client, tenant):
    saved = put_ladder(
        client,
        tenant,
        tier("gold", 2, 1_000, earn_multiplier="1.5", redemption_discount_percent=10),
        tier("silver", 1, 100),
    )
    read = call(client, tenant, "GET", "/tiers", None, 200).json
    assert read == saved
    assert [t["code"] for t in read["tiers"]] == ["silver", "gold"]
    silver, gold = read["tiers"]
    assert (silver["grace_days"], silver["window_days"]) == (0, None)
    assert Decimal(silver["earn_multiplier"]) == 1
    assert Decimal(gold["earn_multiplier"]) == Decimal("1.5")
    assert gold["redemption_discount_percent"] == 10

    replaced = put_ladder(client, tenant, tier("silver", 1, 200))
    assert call(client, tenant, "GET", "/tiers", None, 200).json == replaced
    assert [(t["code"], t["threshold"]) for t in replaced["tiers"]] == [("silver", 200)]


def test_ranks_may_be_swapped(client, tenant):
    put_ladder(client, tenant, tier("silver", 1, 100), tier("gold", 2, 1_000))
    swapped = put_ladder(client, tenant, tier("silver", 2, 100), tier("gold", 1, 1_000))
    assert [t["code"] for t in swapped["tiers"]] == ["gold", "silver"]


@pytest.mark.parametrize(
    ("ladder", "field"),
    [
        ([tier("silver", 1, 100), tier("silver", 2, 200)], "tiers"),
        ([tier("silver", 1, 100), tier("gold", 1, 200)], "tiers"),
        ([tier("silver", 1, 100, basis="points_in_window")], "tiers.0.window_days"),
        ([tier("silver", 1, 100, basis="spend_in_window")], "tiers.0.window_days"),
        ([tier("silver", 1, 100, window_days=30)], "tiers.0.window_days"),
    ],
)
def test_an_inconsistent_ladder_is_refused(client, tenant, ladder, field):
    error = put_ladder(client, tenant, *ladder, status=422)
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert call(client, tenant, "GET", "/tiers", None, 200).json == {"tiers": []}


@pytest.mark.parametrize(
    "bad",
    [
        {"basis": "visits"},
        {"code": "Gold Card"},
        {"code": "gold\n"},  # a pattern's $ would let a trailing newline through
        {"threshold": -1},
        {"threshold": 1.5},
        {"window_days": 0, "basis": "points_in_window"},
        {"grace_days": -1},
        {"earn_multiplier": "0.5"},
        {"redemption_discount_percent": 101},
        {"name": ""},
    ],
)
def test_a_malformed_tier_is_refused(client, tenant, bad):
    error = put_ladder(client, tenant, tier("silver", 1, 100) | bad, status=422)
    assert error["code"] == "validation_error"


def test_a_ladder_has_at_most_twenty_tiers(client, tenant):
    ladder = [tier(f"t{i}", i, i * 100) for i in range(21)]
    put_ladder(client, tenant, *ladder, status=422)
    put_ladder(client, tenant, *ladder[:20])


def test_a_tier_members_hold_cannot_be_removed(client, tenant, svc, earning):
    put_ladder(client, tenant, tier("silver", 1, 100), tier("gold", 2, 1_000))
    alice = member(client, tenant, "alice")
    purchase(client, tenant, alice, 10_000)
    assert tier_of(svc, tenant, alice) == "silver"

    error = put_ladder(client, tenant, tier("gold", 2, 1_000), status=409)
    assert error["code"] == "tier_in_use"
    assert error["details"] == {"tiers": ["silver"], "members": 1}
    # A tier nobody holds can go; a held one can change.
    put_ladder(client, tenant, tier("silver", 1, 50, grace_days=30))
    assert [t["code"] for t in call(client, tenant, "GET", "/tiers", None, 200).json["tiers"]] == [
        "silver"
    ]


def test_changing_the_ladder_is_audited(client, tenant, svc):
    put_ladder(client, tenant, tier("silver", 1, 100))
    put_ladder(client, tenant, tier("silver", 1, 200))
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "tiers.update")))
    changes = sorted((r.before["tiers"], r.after["tiers"][0]["threshold"]) for r in rows)
    assert [(len(before), after) for before, after in changes] == [(0, 100), (1, 200)]


# --- moving up ------------------------------------------------------------------------


def test_a_member_moves_up_as_soon_as_they_qualify(client, tenant, svc, clock, earning):
    put_ladder(client, tenant, tier("silver", 1, 100), tier("gold", 2, 1_000))
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")
    assert tier_of(svc, tenant, alice) is None

    purchase(client, tenant, alice, 9_900)
    assert tier_of(svc, tenant, alice) is None
    purchase(client, tenant, alice, 100)
    assert tier_of(svc, tenant, alice) == "silver"
    purchase(client, tenant, bob, 100_000)  # straight past silver
    assert tier_of(svc, tenant, bob) == "gold"
    # The merchant reads it with the member.
    shown = call(client, tenant, "GET", f"/members/{bob}", None, 200).json
    assert (shown["tier"], shown["tier_since"]) == ("gold", clock.now().isoformat())
    assert call(client, tenant, "GET", f"/members/{alice}", None, 200).json["tier"] == "silver"


def test_a_new_member_is_in_the_tier_that_starts_at_zero(client, tenant, svc, clock, earning):
    put_ladder(client, tenant, tier("member", 0, 0), tier("silver", 1, 100))
    clock.advance(minutes=5)
    alice = member(client, tenant, "alice")

    shown = call(client, tenant, "GET", f"/members/{alice}", None, 200).json
    assert (shown["tier"], shown["tier_since"]) == ("member", clock.now().isoformat())
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        registered = session.scalars(
            select(AuditEvent.after).where(
                AuditEvent.action == "member.create", AuditEvent.object_id == alice
            )
        ).one()
        assert (registered["external_id"], registered["tier"]) == ("alice", "member")
        moved = tiers.reevaluate_tenant(session, tenant.tenant_id, clock.now())
    assert moved == {"upgraded": 0, "downgraded": 0, "grace_started": 0}
    purchase(client, tenant, alice, 10_000)
    assert call(client, tenant, "GET", f"/members/{alice}", None, 200).json["tier"] == "silver"


def test_the_new_tier_counts_from_the_next_event(client, tenant, earning):
    put_ladder(client, tenant, tier("gold", 1, 100, earn_multiplier="2"))
    rule(client, tenant, "tier_multiplier")
    alice = member(client, tenant, "alice")
    assert purchase(client, tenant, alice, 10_000)["points"] == 100
    assert purchase(client, tenant, alice, 10_000)["points"] == 200


def test_in_a_batch_the_events_after_an_upgrade_count_at_the_new_tier(client, tenant, svc, earning):
    put_ladder(
        client,
        tenant,
        tier("silver", 1, 100, earn_multiplier="1.5"),
        tier("gold", 2, 400, earn_multiplier="2"),
    )
    rule(client, tenant, "tier_multiplier")
    alice = member(client, tenant, "alice")
    orders = [
        {
            "id": f"o-{n}",
            "kind": "purchase",
            "member_id": alice,
            "data": {"amount": 10_000, "currency": "CNY"},
        }
        for n in range(4)
    ]
    batch = call(client, tenant, "POST", "/events:batch", {"events": orders}, 200).json
    # 100 reach silver; at 1.5x, 250 and then 400 reach gold; the last order earns 2x.
    assert [item["result"]["points"] for item in batch["items"]] == [100, 150, 150, 200]
    assert tier_of(svc, tenant, alice) == "gold"
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        moves = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "member.tier")))
    assert [(m.before, m.after) for m in moves] == [({"tier": None}, {"tier": "gold"})]


def test_spend_in_a_window_qualifies_by_money_not_points(client, tenant, svc):
    put_ladder(client, tenant, tier("vip", 1, 50_000, basis="spend_in_window", window_days=365))
    alice = member(client, tenant, "alice")  # no earn rule: money counts, points do not
    purchase(client, tenant, alice, 49_999)
    assert tier_of(svc, tenant, alice) is None
    purchase(client, tenant, alice, 1)
    assert tier_of(svc, tenant, alice) == "vip"


def test_benefits_of_a_member_are_their_tiers(client, tenant, svc, earning):
    put_ladder(
        client,
        tenant,
        tier("silver", 1, 100, earn_multiplier="1.2", redemption_discount_percent=5),
    )
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")
    purchase(client, tenant, alice, 10_000)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        benefits = tiers.benefits_of(session, tenant.tenant_id, uuid.UUID(alice))
        assert benefits is not None
        assert (benefits.code, benefits.name) == ("silver", "Silver")
        assert benefits.earn_multiplier == Decimal("1.2")
        assert benefits.redemption_discount_percent == 5
        assert tiers.benefits_of(session, tenant.tenant_id, uuid.UUID(bob)) is None


# --- moving down ----------------------------------------------------------------------


@pytest.fixture
def windowed(client, tenant, earning) -> None:
    """Silver for life from 100 points; gold for 300 points within 30 days, kept 10 days
    after falling short."""
    put_ladder(
        client,
        tenant,
        tier("silver", 1, 100),
        tier("gold", 2, 300, basis="points_in_window", window_days=30, grace_days=10),
    )


def test_a_member_who_falls_short_keeps_the_tier_through_the_grace_period(
    client, tenant, svc, clock, windowed
):
    alice = member(client, tenant, "alice")
    purchase(client, tenant, alice, 30_000)
    assert tier_of(svc, tenant, alice) == "gold"
    start = clock.now()

    clock.advance(days=29)
    assert tiers.reevaluate_tiers(svc) == {"upgraded": 0, "downgraded": 0, "grace_started": 0}

    clock.advance(days=2)  # day 31: the purchase left the window
    assert tiers.reevaluate_tiers(svc)["grace_started"] == 1
    assert tier_of(svc, tenant, alice) == "gold"
    assert grace_until(svc, tenant, alice) == start + timedelta(days=41)
    assert tiers.reevaluate_tiers(svc) == {"upgraded": 0, "downgraded": 0, "grace_started": 0}

    clock.advance(days=9, hours=23)
    tiers.reevaluate_tiers(svc)
    assert tier_of(svc, tenant, alice) == "gold"

    clock.advance(hours=1)  # day 41: grace is over; lifetime points still make her silver
    assert tiers.reevaluate_tiers(svc)["downgraded"] == 1
    assert tier_of(svc, tenant, alice) == "silver"
    assert grace_until(svc, tenant, alice) is None


def test_requalifying_during_grace_clears_it(client, tenant, svc, clock, windowed):
    alice = member(client, tenant, "alice")
    purchase(client, tenant, alice, 30_000)
    clock.advance(days=31)
    tiers.reevaluate_tiers(svc)
    assert grace_until(svc, tenant, alice) is not None

    clock.advance(days=4)
    purchase(client, tenant, alice, 30_000)
    assert tier_of(svc, tenant, alice) == "gold"
    tiers.reevaluate_tiers(svc)
    assert grace_until(svc, tenant, alice) is None

    clock.advance(days=20)  # past the first grace period's end: she qualifies, so stays
    assert tiers.reevaluate_tiers(svc) == {"upgraded": 0, "downgraded": 0, "grace_started": 0}
    assert tier_of(svc, tenant, alice) == "gold"

    clock.advance(days=11)  # 31 days after the second purchase: a new grace period
    assert tiers.reevaluate_tiers(svc)["grace_started"] == 1


def test_without_grace_a_member_moves_down_at_the_next_evaluation(client, tenant, svc, clock):
    rule(client, tenant, "spend")
    put_ladder(client, tenant, tier("gold", 1, 100, basis="points_in_window", window_days=7))
    alice = member(client, tenant, "alice")
    purchase(client, tenant, alice, 10_000)
    assert tier_of(svc, tenant, alice) == "gold"
    clock.advance(days=8)
    assert tiers.reevaluate_tiers(svc) == {"upgraded": 0, "downgraded": 1, "grace_started": 0}
    assert tier_of(svc, tenant, alice) is None


def test_a_raised_threshold_applies_at_the_next_evaluation(client, tenant, svc, earning):
    put_ladder(client, tenant, tier("silver", 1, 100))
    alice = member(client, tenant, "alice")
    purchase(client, tenant, alice, 10_000)
    put_ladder(client, tenant, tier("silver", 1, 500))
    assert tier_of(svc, tenant, alice) == "silver"  # kept until evaluated
    assert tiers.reevaluate_tiers(svc)["downgraded"] == 1
    assert tier_of(svc, tenant, alice) is None


def test_the_evaluation_upgrades_those_a_lowered_threshold_lets_in(client, tenant, svc, earning):
    put_ladder(client, tenant, tier("silver", 1, 500))
    alice = member(client, tenant, "alice")
    purchase(client, tenant, alice, 10_000)
    assert tier_of(svc, tenant, alice) is None
    put_ladder(client, tenant, tier("silver", 1, 100))
    assert tiers.reevaluate_tiers(svc)["upgraded"] == 1
    assert tier_of(svc, tenant, alice) == "silver"


def test_each_tenant_is_evaluated_on_its_own_ladder(client, tenant, make_tenant, svc, earning):
    other = make_tenant("other")
    rule(client, other, "spend")
    put_ladder(client, tenant, tier("silver", 1, 500))
    put_ladder(client, other, tier("silver", 1, 50))
    alice, bob = member(client, tenant, "alice"), member(client, other, "bob")
    purchase(client, tenant, alice, 10_000)
    purchase(client, other, bob, 10_000)
    assert (tier_of(svc, tenant, alice), tier_of(svc, other, bob)) == (None, "silver")
    assert tiers.reevaluate_tiers(svc) == {"upgraded": 0, "downgraded": 0, "grace_started": 0}


def _days(svc, tenant) -> list[tuple]:
    table = MemberDay.__table__
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        rows = session.connection().execute(
            select(table.c.member_id, table.c.day, table.c.points, table.c.spend)
            .where(table.c.tenant_id == tenant.tenant_id)
            .order_by(table.c.member_id, table.c.day)
        )
        return [tuple(row) for row in rows]


def test_daily_totals_follow_events_and_the_migration_rebuilds_them_alike(
    app, client, svc, tenant, clock
):
    rule(client, tenant, "spend", {"rate": "1"})
    rule(client, tenant, "referral", {"invitee_registered": 10, "inviter_registered": 20})
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")
    purchase(client, tenant, alice, 10_000, id="o-1")
    call(
        client,
        tenant,
        "POST",
        "/events",
        {
            "id": "r-1",
            "kind": "refund",
            "member_id": alice,
            "data": {"order_id": "o-1", "amount": 4_000},
        },
        201,
    )
    clock.advance(days=1)
    purchase(client, tenant, bob, 2_500, id="o-2")
    call(
        client,
        tenant,
        "POST",
        "/events",
        {
            "id": "ref-1",
            "kind": "referral",
            "member_id": bob,
            "data": {"inviter_id": alice, "stage": "registered"},
        },
        201,
    )

    # Alice: 100 earned and 40 taken back on day one, spending 100.00 less 40.00; then
    # 20 for inviting Bob on day two. Bob: 25 and 10 on day two.
    kept = _days(svc, tenant)
    by_member = {(str(m), p, s) for m, _day, p, s in kept}
    assert by_member == {(alice, 60, 6_000), (alice, 20, 0), (bob, 35, 2_500)}

    config = migrate.alembic_config(svc.settings)
    command.downgrade(config, "0004")
    command.upgrade(config, "head")
    assert _days(svc, tenant) == kept

    # `ledger verify` recomputes them too, and names a day changed behind the engine.
    verify = ["jifen", "ledger", "verify", "--all"]
    assert app.test_cli_runner().invoke(args=verify).exit_code == 0
    with svc.db.transaction() as session, cross_tenant(session, "test tampering"):
        session.execute(update(MemberDay).values(points=MemberDay.points + 1))
    result = app.test_cli_runner().invoke(args=verify)
    assert result.exit_code == 1
    assert "daily totals: member" in result.output
