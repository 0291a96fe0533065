"""The relay: events written with their transaction, delivered after it commits, in
order, at least once, retried, dead-lettered and replayed."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jifen.audit import SYSTEM
from jifen.ledger import service as ledger
from jifen.ledger.models import Account
from jifen.members import service as members
from jifen.outbox import relay as relays
from jifen.outbox.events import emit
from jifen.outbox.models import OutboxEvent, RelayDeadLetter
from jifen.outbox.relay import Relay, Subscriber

from .events import Bulky, Counted, Unwanted, applier


def new_member(svc, tenant_id) -> uuid.UUID:
    with svc.db.transaction(tenant_id=tenant_id) as session:
        member = members.create_member(
            session,
            tenant_id,
            {"external_id": f"m-{uuid.uuid4().hex[:8]}"},
            actor=SYSTEM,
            clock=svc.clock,
            keyring=svc.keyring,
        )
        return member.id


def balance(svc, tenant_id, member_id) -> int:
    with svc.db.session(tenant_id=tenant_id) as session:
        return session.scalar(select(Account.balance).where(Account.member_id == member_id))


def emit_counted(svc, tenant_id, member_id, n) -> uuid.UUID:
    with svc.db.transaction(tenant_id=tenant_id) as session:
        return emit(session, Counted(member_id, n), now=svc.clock.now())


def events_logged(svc) -> int:
    with svc.relay.reading() as connection:
        return connection.execute(select(func.count()).select_from(OutboxEvent)).scalar_one()


@pytest.fixture
def relay(svc):
    """The app's relay with the test's database subscriber in place of the real ones."""
    seen: list = []
    svc.relay = Relay(svc, [applier(seen)])
    svc.relay.seen = seen
    return svc.relay


def test_an_event_is_written_with_its_transaction_and_never_after_a_rollback(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    before = events_logged(svc)
    with pytest.raises(RuntimeError), svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        emit(session, Counted(alice, 1), now=svc.clock.now())
        raise RuntimeError("the change fails")
    assert events_logged(svc) == before

    emit_counted(svc, tenant.tenant_id, alice, 2)
    assert events_logged(svc) == before + 1


def test_the_payload_round_trips_to_the_typed_event(svc, tenant, clock):
    alice = new_member(svc, tenant.tenant_id)
    got = []
    svc.relay = Relay(svc, [Subscriber("reader", (Counted,), lambda s, d: got.append(d))])
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        event_id = emit(session, Counted(alice, 7, at=clock.now()), now=clock.now())
    assert svc.jobs.wait_idle()

    (delivered,) = got
    assert delivered.event == Counted(alice, 7, at=clock.now())
    assert (delivered.id, delivered.tenant_id, delivered.type) == (
        event_id,
        tenant.tenant_id,
        "test.counted",
    )


def test_a_keyed_event_is_written_once(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    before = events_logged(svc)
    for _ in range(3):
        with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
            emit(session, Counted(alice, 1), now=svc.clock.now(), key="once")
    assert events_logged(svc) == before + 1


def test_the_worker_thread_delivers_after_commit_and_applies_each_event_once(svc, tenant, relay):
    alice, bob = new_member(svc, tenant.tenant_id), new_member(svc, tenant.tenant_id)
    for n in range(1, 6):
        emit_counted(svc, tenant.tenant_id, alice, n)
        emit_counted(svc, tenant.tenant_id, bob, n)

    assert svc.jobs.wait_idle()
    assert relay.seen == [(m, n) for n in range(1, 6) for m in (alice, bob)]
    assert balance(svc, tenant.tenant_id, alice) == 5
    # A second round (the sweep) finds nothing new, and a replayed batch changes nothing.
    assert relay.drain().delivered == 0
    with relay.reading() as connection:
        query = select(OutboxEvent).where(OutboxEvent.type == Counted.type)
        rows = connection.execute(query.order_by(OutboxEvent.position)).all()
    for row in rows:
        relay.subscribers[0].deliver(svc, relays._delivered(row, Counted))
    assert balance(svc, tenant.tenant_id, alice) == 5


def test_events_no_subscriber_wants_wake_nothing(svc, tenant, relay, monkeypatch):
    alice = new_member(svc, tenant.tenant_id)
    woken = []
    monkeypatch.setattr(svc.jobs, "wake_lane", woken.append)
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        emit(session, Unwanted(alice), now=svc.clock.now())
    assert woken == []
    emit_counted(svc, tenant.tenant_id, alice, 1)
    assert woken == ["interactive"]


def test_a_failing_subscriber_backs_off_keeps_its_place_and_recovers(svc, tenant, clock):
    alice = new_member(svc, tenant.tenant_id)
    failures = [RuntimeError("down"), RuntimeError("still down")]
    got = []

    def flaky(services, delivered):
        if failures:
            raise failures.pop(0)
        got.append(delivered.event.n)

    svc.relay = Relay(svc, [Subscriber("flaky", (Counted,), flaky)])
    for n in (1, 2, 3):
        emit_counted(svc, tenant.tenant_id, alice, n)
    svc.jobs.wait_idle()

    assert got == []
    assert svc.relay.backlog() == 3
    (state,) = [c for c in svc.relay.status() if c["lane"] == "interactive"]
    assert (state["attempts"], state["behind"]) == (1, 3)
    assert state["retry_at"] == clock.now() + relays.backoff(1)
    assert "down" in state["last_error"]
    assert svc.relay.drain().delivered == 0  # not due yet

    clock.set(clock.now() + relays.backoff(1))
    assert svc.relay.drain().failed == 1
    clock.set(clock.now() + relays.backoff(2))
    svc.relay.drain()

    assert got == [1, 2, 3]
    assert svc.relay.backlog() == 0
    (state,) = [c for c in svc.relay.status() if c["lane"] == "interactive"]
    assert (state["attempts"], state["behind"], state["last_error"]) == (0, 0, None)


def test_an_event_that_keeps_failing_is_dead_lettered_and_replayed(svc, tenant, clock):
    alice = new_member(svc, tenant.tenant_id)
    broken = {"on": True}
    got = []

    def picky(services, delivered):
        if delivered.event.n == 2 and broken["on"]:
            raise ValueError("cannot handle 2")
        got.append(delivered.event.n)

    svc.relay = Relay(svc, [Subscriber("picky", (Counted,), picky)])
    for n in (1, 2, 3):
        emit_counted(svc, tenant.tenant_id, alice, n)
    svc.jobs.wait_idle()
    for _ in range(relays.MAX_ATTEMPTS):
        clock.advance(hours=1)
        svc.relay.drain()

    assert got == [1, 3]  # 2 gave up on; the ones after it went on
    with svc.relay.reading() as connection:
        (letter,) = connection.execute(select(RelayDeadLetter)).all()
    assert (letter.subscriber, letter.attempts) == ("picky", relays.MAX_ATTEMPTS)
    assert "cannot handle 2" in letter.error

    assert svc.relay.replay("picky") == (0, 1)  # still broken: still waiting
    broken["on"] = False
    assert svc.relay.replay("picky") == (1, 0)
    assert got == [1, 3, 2]
    assert svc.relay.replay("picky") == (0, 0)


def test_a_poison_event_holds_back_only_its_own_aggregate(svc, make_tenant, clock):
    a, b = make_tenant("tenant-a"), make_tenant("tenant-b")
    alice, bob = new_member(svc, a.tenant_id), new_member(svc, b.tenant_id)
    broken = {"on": True, "attempts": 0}
    got = []

    def picky(services, delivered):
        if delivered.event.member_id == alice and delivered.event.n == 1 and broken["on"]:
            broken["attempts"] += 1
            raise ValueError("cannot handle alice's 1")
        got.append((delivered.event.member_id, delivered.event.n))

    svc.relay = Relay(svc, [Subscriber("picky", (Counted,), picky)])
    emit_counted(svc, a.tenant_id, alice, 1)
    emit_counted(svc, b.tenant_id, bob, 1)
    emit_counted(svc, a.tenant_id, alice, 2)
    emit_counted(svc, b.tenant_id, bob, 2)
    svc.jobs.wait_idle()

    # Tenant B's events went out at once; alice's 2 waits behind her 1, which is parked.
    assert got == [(bob, 1), (bob, 2)]
    (state,) = [c for c in svc.relay.status() if c["lane"] == "interactive"]
    assert (state["parked"], state["attempts"]) == (2, 1)
    emit_counted(svc, b.tenant_id, bob, 3)
    svc.jobs.wait_idle()
    assert got[-1] == (bob, 3)  # not held back by alice's retry
    assert svc.relay.drain().failed == 0  # her retry is not due yet

    clock.set(clock.now() + relays.backoff(1))
    assert svc.relay.drain().failed == 1
    assert (alice, 2) not in got
    broken["on"] = False
    clock.set(clock.now() + relays.backoff(2))
    svc.relay.drain()

    assert [e for e in got if e[0] == alice] == [(alice, 1), (alice, 2)]
    assert broken["attempts"] == 2
    assert svc.relay.backlog() == 0


def test_a_dead_lettered_event_lets_its_aggregate_go_on(svc, make_tenant, clock):
    a, b = make_tenant("tenant-a"), make_tenant("tenant-b")
    alice, bob = new_member(svc, a.tenant_id), new_member(svc, b.tenant_id)
    got = []

    def picky(services, delivered):
        if delivered.event.member_id == alice and delivered.event.n == 1:
            raise ValueError("never")
        got.append((delivered.event.member_id, delivered.event.n))

    svc.relay = Relay(svc, [Subscriber("picky", (Counted,), picky)])
    emit_counted(svc, a.tenant_id, alice, 1)
    emit_counted(svc, a.tenant_id, alice, 2)
    emit_counted(svc, b.tenant_id, bob, 1)
    svc.jobs.wait_idle()
    assert got == [(bob, 1)]
    for _ in range(relays.MAX_ATTEMPTS):
        clock.advance(hours=1)
        svc.relay.drain()

    assert got == [(bob, 1), (alice, 2)]
    with svc.relay.reading() as connection:
        (letter,) = connection.execute(select(RelayDeadLetter)).all()
    assert letter.attempts == relays.MAX_ATTEMPTS
    assert svc.relay.backlog() == 0


def rounds(relay, lane: str = "interactive") -> list:
    """Run rounds on `lane` until one says no work is left: their progress."""
    done = [relay.run(lane)]
    while done[-1].more:
        assert len(done) < 20, "the rounds never end"
        done.append(relay.run(lane))
    return done


def cursor_of(relay, subscriber: str, lane: str = "interactive") -> dict:
    (state,) = [c for c in relay.status() if (c["subscriber"], c["lane"]) == (subscriber, lane)]
    return state


def dead_letters(relay) -> int:
    with relay.reading() as connection:
        query = select(func.count()).select_from(RelayDeadLetter)
        return connection.execute(query).scalar_one()


def test_a_slow_subscriber_gets_shorter_batches_within_its_lease_not_repeated_ones(svc, tenant):
    alice, bob = new_member(svc, tenant.tenant_id), new_member(svc, tenant.tenant_id)
    got = []

    def slow(services, delivered):  # an SMTP server taking its time over each message
        time.sleep(0.2)
        got.append(delivered)

    relay = Relay(svc, [Subscriber("slow", (Counted,), slow)], lease=timedelta(seconds=1))
    relay.sequence("interactive")  # its cursor, at the head of the lane
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        for n in range(1, 11):
            emit(session, Counted(alice if n % 2 else bob, n), now=svc.clock.now())
    svc.jobs.wait_idle()

    # Half the lease gone, the round stops: the cursor is past exactly what it delivered,
    # and the rest is neither delivered nor parked but waits for the next round.
    first = relay.run("interactive")
    assert 0 < first.delivered == len(got) < 10
    assert first.more
    cursor = cursor_of(relay, "slow")
    assert cursor["position"] == got[-1].position
    assert (cursor["parked"], cursor["behind"]) == (0, 10 - len(got))

    relay.drain()
    assert [d.event.n for d in got] == list(range(1, 11))  # each once, in order
    assert (relay.backlog(), cursor_of(relay, "slow")["parked"], dead_letters(relay)) == (0, 0, 0)


def test_a_relay_that_lost_its_lease_records_nothing_of_its_batch(svc, make_tenant, clock):
    a, b = make_tenant("tenant-a"), make_tenant("tenant-b")
    alice, bob = new_member(svc, a.tenant_id), new_member(svc, b.tenant_id)
    got = []
    other = Relay(svc, [Subscriber("shared", (Counted,), lambda s, d: got.append(d.event.n))])

    def outlives_its_lease(services, delivered):
        if delivered.event.n == 2:
            raise ValueError("cannot handle 2")
        if delivered.event.n == 3:  # the lease ran out meanwhile: another worker takes over
            clock.set(clock.now() + relays.LEASE)
            other.run("interactive")

    first = Relay(svc, [Subscriber("shared", (Counted,), outlives_its_lease)])
    first.sequence("interactive")
    emit_counted(svc, a.tenant_id, alice, 1)
    emit_counted(svc, a.tenant_id, alice, 2)
    emit_counted(svc, b.tenant_id, bob, 3)
    svc.jobs.wait_idle()

    progress = first.run("interactive")

    # The first worker's failure on 2 is not recorded over what the other one did.
    assert (progress.delivered, progress.failed) == (0, 0)
    assert got == [1, 2, 3]
    cursor = cursor_of(first, "shared")
    assert (cursor["behind"], cursor["parked"], cursor["attempts"]) == (0, 0, 0)
    assert cursor["last_error"] is None
    assert dead_letters(first) == 0
    assert other.drain().delivered == 0


def test_a_round_retries_at_most_a_batch_of_parked_events_in_each_aggregates_order(
    svc, make_tenant, clock
):
    a, b = make_tenant("tenant-a"), make_tenant("tenant-b")
    alice, bob = new_member(svc, a.tenant_id), new_member(svc, b.tenant_id)
    broken = {"on": True}
    got = []

    def picky(services, delivered):
        if broken["on"]:
            raise ValueError("down")
        got.append((delivered.event.member_id, delivered.event.n))

    relay = Relay(svc, [Subscriber("picky", (Counted,), picky)], batch=3)
    relay.sequence("interactive")
    for n in range(1, 5):
        emit_counted(svc, a.tenant_id, alice, n)
        emit_counted(svc, b.tenant_id, bob, n)
    svc.jobs.wait_idle()
    rounds(relay)  # each member's 1 fails; the rest are parked behind it
    assert (cursor_of(relay, "picky")["parked"], got) == (8, [])

    broken["on"] = False
    clock.set(clock.now() + relays.backoff(1))
    emit_counted(svc, a.tenant_id, alice, 5)  # new, behind alice's parked events
    svc.jobs.wait_idle()
    first = relay.run("interactive")
    assert (first.delivered, first.more) == (3, True)
    assert relay.backlog() == 9 - 3

    assert [p.delivered for p in rounds(relay) if p.delivered] == [3, 3]
    assert [n for member, n in got if member == alice] == [1, 2, 3, 4, 5]
    assert [n for member, n in got if member == bob] == [1, 2, 3, 4]
    assert relay.backlog() == 0


@dataclass(frozen=True)
class CountedV2(Counted):
    version = 2


def test_a_version_the_subscriber_does_not_know_is_dead_lettered(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    got = []

    def deliver(services, delivered):
        got.append((type(delivered.event), delivered.event.n))

    svc.relay = Relay(svc, [Subscriber("v1", (Counted,), deliver)])
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        emit(session, CountedV2(alice, 1), now=svc.clock.now())
    emit_counted(svc, tenant.tenant_id, alice, 2)
    svc.jobs.wait_idle()

    assert got == [(Counted, 2)]  # v2 never reached it; its aggregate went on
    with svc.relay.reading() as connection:
        (letter,) = connection.execute(select(RelayDeadLetter)).all()
    assert "UnknownVersion" in letter.error and "version 2 of test.counted" in letter.error
    assert svc.relay.replay("v1") == (0, 1)

    # Once the subscriber knows version 2, the replay delivers it as one.
    svc.relay = Relay(svc, [Subscriber("v1", (Counted, CountedV2), deliver)])
    assert svc.relay.replay("v1") == (1, 0)
    assert got == [(Counted, 2), (CountedV2, 1)]


def test_the_bulk_lane_never_holds_back_the_interactive_one(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    order = []
    started, release = threading.Event(), threading.Event()

    def slow_bulk(services, delivered):
        started.set()
        release.wait(10)
        order.append(("bulk", delivered.event.n))

    def quick(services, delivered):
        order.append(("interactive", delivered.event.n))

    svc.relay = Relay(
        svc,
        [Subscriber("bulk", (Bulky,), slow_bulk), Subscriber("quick", (Counted,), quick)],
    )
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        for n in range(relays.BATCH * 3):
            emit(session, Bulky(alice, n), now=svc.clock.now())
    assert started.wait(10)  # the worker is in the middle of the bulk run
    emit_counted(svc, tenant.tenant_id, alice, 1)
    release.set()
    assert svc.jobs.wait_idle()

    # The interactive event went out right after the bulk batch in flight.
    assert order.index(("interactive", 1)) == relays.BATCH
    assert len(order) == relays.BATCH * 3 + 1


def test_platform_events_belong_to_no_tenant(svc):
    got = []
    svc.relay = Relay(svc, [Subscriber("platform", (Counted,), lambda s, d: got.append(d))])
    someone = uuid.uuid4()
    with svc.db.transaction() as session:
        emit(session, Counted(someone, 1), now=svc.clock.now(), platform=True)
    svc.jobs.wait_idle()

    assert [(d.tenant_id, d.event.member_id) for d in got] == [(None, someone)]


def test_an_event_needs_a_tenant_or_the_platform_scope(svc):
    with svc.db.transaction() as session, pytest.raises(ValueError):
        emit(session, Counted(uuid.uuid4(), 1), now=svc.clock.now())


def test_the_purge_keeps_what_a_cursor_has_not_passed_and_what_a_dead_letter_names(
    svc, tenant, clock
):
    alice = new_member(svc, tenant.tenant_id)
    failing = {2, 4}

    def picky(services, delivered):
        if delivered.event.n in failing:
            raise ValueError(f"cannot handle {delivered.event.n}")

    svc.relay = Relay(svc, [Subscriber("picky", (Counted,), picky)])
    for n in (1, 2, 3):
        emit_counted(svc, tenant.tenant_id, alice, n)
    svc.jobs.wait_idle()
    for _ in range(relays.MAX_ATTEMPTS):  # 2 is dead-lettered; 1 and 3 delivered
        clock.advance(hours=1)
        svc.relay.drain()
    emit_counted(svc, tenant.tenant_id, alice, 4)  # fails once: the cursor stays before it
    svc.jobs.wait_idle()
    clock.set(clock.now() + relays.RETENTION + timedelta(days=1))
    emit_counted(svc, tenant.tenant_id, alice, 5)  # too young to purge
    svc.jobs.wait_idle()

    assert svc.relay.purge() == 3  # 1, 3 and alice's registration
    with svc.relay.reading() as connection:
        kept = connection.execute(select(OutboxEvent.payload).order_by(OutboxEvent.seq))
        assert [p["n"] for p in kept.scalars()] == [2, 4, 5]


def test_a_new_subscriber_starts_at_the_head_of_the_log(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    old, new = [], []
    first = Subscriber("first", (Counted,), lambda s, d: old.append(d.event.n))
    svc.relay = Relay(svc, [first])
    for n in (1, 2):
        emit_counted(svc, tenant.tenant_id, alice, n)
    svc.jobs.wait_idle()

    # Installed now: it sees events from its installation on, not the retained log.
    svc.relay = Relay(
        svc, [first, Subscriber("second", (Counted,), lambda s, d: new.append(d.event.n))]
    )
    assert svc.relay.backlog() == 0
    emit_counted(svc, tenant.tenant_id, alice, 3)
    svc.jobs.wait_idle()
    svc.relay.drain()

    assert (old, new) == ([1, 2, 3], [3])


def test_the_purge_ignores_the_cursors_of_removed_subscribers(svc, tenant, clock):
    alice = new_member(svc, tenant.tenant_id)
    kept = Subscriber("kept", (Counted,), lambda s, d: None)
    svc.relay = Relay(svc, [kept, Subscriber("removed", (Counted,), lambda s, d: None)])
    emit_counted(svc, tenant.tenant_id, alice, 1)
    svc.jobs.wait_idle()
    svc.relay = Relay(svc, [kept])  # an observer plugin uninstalled
    for n in (2, 3):
        emit_counted(svc, tenant.tenant_id, alice, n)
    svc.jobs.wait_idle()
    clock.set(clock.now() + relays.RETENTION + timedelta(days=1))

    svc.relay.purge()
    with svc.relay.reading() as connection:
        counted = select(func.count()).where(OutboxEvent.type == Counted.type)
        assert connection.execute(counted.select_from(OutboxEvent)).scalar_one() == 0


def test_one_aggregates_events_arrive_in_commit_order_while_writers_race_the_relay(svc, tenant):
    members_ = [new_member(svc, tenant.tenant_id) for _ in range(2)]
    got: list = []
    svc.relay = Relay(svc, [Subscriber("order", (Counted,), lambda s, d: got.append(d.event))])
    svc.jobs.wait_idle()
    writers_done = threading.Event()

    def write(worker: int) -> None:
        for i in range(20):
            member_id = members_[(worker + i) % 2]
            with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
                ledger.earn(session, member_id, 1, actor=SYSTEM, clock=svc.clock)
                # The wallet is locked: the balance numbers this member's events.
                n = session.scalar(select(Account.balance).where(Account.member_id == member_id))
                emit(session, Counted(member_id, n), now=svc.clock.now())

    def relay_while_writing() -> None:
        while not writers_done.is_set():
            svc.relay.run("interactive")

    relay_thread = threading.Thread(target=relay_while_writing)
    relay_thread.start()
    writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    writers_done.set()
    relay_thread.join()
    svc.jobs.wait_idle()
    svc.relay.drain()

    for member_id in members_:
        assert [e.n for e in got if e.member_id == member_id] == list(range(1, 41))
