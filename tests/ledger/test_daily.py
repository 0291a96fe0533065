"""The tenant's points day by day: rolled up from the postings after commit, by its
local day, exact as of the request even before the relay has run, and equal to a count
made afresh from the postings."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from conftest import sqlite_only
from mall.shop import balance, give, member
from rules.api import call

from jifen.ledger import daily
from jifen.ledger.domain_events import EntriesPosted
from jifen.outbox.relay import Relay, Subscriber

pytestmark = sqlite_only
SHANGHAI = ZoneInfo("Asia/Shanghai")


def figures(svc, tenant, first: date, last: date) -> dict[date, daily.Day]:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return {day.day: day for day in daily.figures(session, first, last)}


def recounted(svc, tenant) -> dict[date, daily.Day]:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return daily.recount(session.connection(), tenant.tenant_id, SHANGHAI)


def today(clock) -> date:
    return clock.now().astimezone(SHANGHAI).date()


def test_a_day_holds_what_was_issued_redeemed_and_adjusted_and_who_was_active(
    client, svc, tenant, clock
):
    alice, bob = member(client, tenant), member(client, tenant)
    give(client, tenant, alice, 500)
    give(client, tenant, bob, 200)
    call(client, tenant, "POST", "/points/redeem", {"member_id": alice, "amount": 120}, 201)
    svc.jobs.wait_idle()
    svc.relay.drain()
    day = figures(svc, tenant, today(clock), today(clock))[today(clock)]
    assert (day.issued, day.redeemed, day.expired, day.active) == (700, 120, 0, 2)
    assert balance(client, tenant, alice) == 380


def test_days_are_the_tenants_local_days(client, svc, tenant, clock):
    """16:30 UTC is half past midnight the next day in Shanghai."""
    alice = member(client, tenant)
    clock.set(clock.now().replace(hour=15, minute=30))
    give(client, tenant, alice, 10)
    clock.advance(hours=1)
    give(client, tenant, alice, 20)
    svc.jobs.wait_idle()
    svc.relay.drain()
    first = clock.now().astimezone(SHANGHAI).date() - timedelta(days=1)
    shown = figures(svc, tenant, first, first + timedelta(days=1))
    assert [shown[first].issued, shown[first + timedelta(days=1)].issued] == [10, 20]


def test_the_figures_are_exact_before_the_relay_has_run(client, svc, tenant, clock):
    alice = member(client, tenant)
    give(client, tenant, alice, 40)
    svc.jobs.wait_idle()
    svc.relay = Relay(svc, [])  # the relay has not reached what follows
    give(client, tenant, alice, 2)
    bob = member(client, tenant)
    give(client, tenant, bob, 5)
    svc.jobs.wait_idle()
    shown = figures(svc, tenant, today(clock), today(clock))[today(clock)]
    assert (shown.issued, shown.active) == (47, 2)


def test_a_batch_the_roll_up_failed_on_still_counts_until_it_is_retried(client, svc, tenant, clock):
    alice = member(client, tenant)
    svc.jobs.wait_idle()

    def down(services, delivered):
        raise RuntimeError("the database went away")

    svc.relay = Relay(svc, [Subscriber(daily.SUBSCRIBER, (EntriesPosted,), down)])
    give(client, tenant, alice, 30)
    svc.jobs.wait_idle()
    assert svc.relay.backlog() == 1
    assert figures(svc, tenant, today(clock), today(clock))[today(clock)].issued == 30


def test_the_rows_equal_a_count_afresh_and_a_rebuild_changes_nothing(client, svc, tenant, clock):
    alice = member(client, tenant)
    give(client, tenant, alice, 300)
    clock.advance(days=2)
    give(client, tenant, alice, 50)
    call(client, tenant, "POST", "/points/redeem", {"member_id": alice, "amount": 100}, 201)
    svc.jobs.wait_idle()
    svc.relay.drain()
    first = today(clock) - timedelta(days=3)
    before = figures(svc, tenant, first, today(clock))
    again = recounted(svc, tenant)
    for day, counted in again.items():
        shown = before[day]
        assert (shown.issued, shown.redeemed, shown.entries, shown.active) == (
            counted.issued,
            counted.redeemed,
            counted.entries,
            len(counted.members),
        )
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        daily.rebuild(session, clock.now())
    svc.relay.drain()
    after = figures(svc, tenant, first, today(clock))
    assert [(d.issued, d.redeemed, d.active) for d in after.values()] == [
        (d.issued, d.redeemed, d.active) for d in before.values()
    ]
