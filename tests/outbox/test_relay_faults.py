"""The relay under faults, with real processes: a relay killed between delivery and
acknowledgement, and Redis stopped while wake-ups are in flight, lose nothing, and
apply or send each event once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import sqlite_only
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from jifen.app import create_app
from jifen.jobs import job_path, run_queued
from jifen.ledger import expiry
from jifen.ledger.verify import verify_tenant
from jifen.outbox import relay as relays
from jifen.outbox import worker
from jifen.outbox.events import emit
from jifen.outbox.models import RelayReceipt
from jifen.outbox.relay import Relay, Subscriber
from jifen.testing import servers
from jifen.testing.pytest_plugin import unavailable

from .events import Bulky, Counted, applier
from .test_relay import balance, emit_counted, new_member

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def environment(svc, database, clock_file: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIFEN_")}
    env.update(
        JIFEN_DATABASE_URL=database.app,
        JIFEN_MIGRATION_DATABASE_URL=database.owner,
        JIFEN_OPERATOR_DATABASE_URL=database.operator,
        JIFEN_INSTANCE_PATH=str(svc.settings.instance_path),
        JIFEN_SECRET_KEY=svc.settings.secret_key,
        JIFEN_TESTING="1",
        JIFEN_CLOCK=f"file:{clock_file}",
        **extra,
    )
    return env


def wait_for(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_a_relay_killed_between_delivery_and_acknowledgement_loses_nothing(
    svc, database, tenant, clock, tmp_path
):
    svc.relay = Relay(svc, [])  # nothing delivers in this process until the kill
    alice, bob = new_member(svc, tenant.tenant_id), new_member(svc, tenant.tenant_id)
    for n in range(1, 7):
        emit_counted(svc, tenant.tenant_id, alice if n % 2 else bob, n)
    clock_file = tmp_path / "clock"
    clock_file.write_text(clock.now().isoformat())

    process = subprocess.Popen(
        [sys.executable, str(HERE / "relay_process.py"), "6"],
        env=environment(svc, database, clock_file),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [process.stdout.readline().strip() for _ in range(6)]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
    assert lines == [f"applied {n}" for n in range(1, 7)]
    assert (balance(svc, tenant.tenant_id, alice), balance(svc, tenant.tenant_id, bob)) == (3, 3)

    # Its lease runs out; this relay delivers the whole batch again, and the subscriber's
    # receipts make the repeat change nothing.
    seen: list = []
    svc.relay = Relay(svc, [applier(seen)])
    assert svc.relay.run("interactive").delivered == 0  # still leased to the dead one
    clock.set(clock.now() + relays.LEASE)
    assert svc.relay.drain().delivered == 6

    assert seen == []  # each was applied already, by the killed relay
    assert (balance(svc, tenant.tenant_id, alice), balance(svc, tenant.tenant_id, bob)) == (3, 3)
    (cursor,) = [
        c for c in svc.relay.status() if c["lane"] == "interactive" and c["subscriber"] == "applier"
    ]
    assert cursor["behind"] == 0
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert verify_tenant(session.connection(), tenant.tenant_id) is None


def notices_in(log: Path) -> Counter:
    """How many times the log notifier sent each event's notice, by event id."""
    sent = Counter()
    for line in log.read_text().splitlines():
        if "jifen.notify" in line and "notice " in line:
            sent[line.split("notice ", 1)[1].split()[0]] += 1
    return sent


def reminders_receipted(svc) -> int:
    with svc.relay.reading() as connection:
        query = select(func.count()).where(RelayReceipt.subscriber == "notify-members")
        return connection.execute(query.select_from(RelayReceipt)).scalar_one()


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jifen", "worker"]
    with log.open("a") as out:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


@sqlite_only
@pytest.mark.redis
def test_redis_stopped_mid_flight_loses_no_reminder_and_sends_none_twice(
    app, svc, database, tenant, clock, tmp_path
):
    from notify.test_member_notices import member_with_expiring_points

    try:
        first = servers.start_redis(tmp_path / "redis-1")
    except servers.ServiceUnavailable as error:
        unavailable(f"Redis unavailable: {error}")  # a failure under JIFEN_REQUIRE_SERVICES=1
    clock_file = tmp_path / "clock"
    clock_file.write_text(clock.now().isoformat())
    log = tmp_path / "worker.log"
    # This process commits as a web process would: waking the relay through Redis.
    web = create_app(replace(svc.settings, redis_url=first.url))
    svc = web.extensions["jifen.services"]
    svc.clock = clock
    workers = [start_worker(environment(svc, database, clock_file, JIFEN_REDIS_URL=first.url), log)]
    second = None
    try:
        for _ in range(3):
            member_with_expiring_points(svc, tenant.tenant_id)
        assert expiry.remind(svc) == 3
        wait_for(lambda: reminders_receipted(svc) == 3, what="the first reminders")

        first.stop()  # Redis goes away with wake-ups to send
        for _ in range(2):
            member_with_expiring_points(svc, tenant.tenant_id)
        assert expiry.remind(svc) == 2  # committed all the same; the wake-up is lost
        time.sleep(1)
        assert reminders_receipted(svc) == 3

        # Redis is back (a new one); the periodic sweep, queued by rq's cron in
        # production, delivers what the lost wake-ups did not.
        second = servers.start_redis(tmp_path / "redis-2")
        workers[0].kill()
        workers[0].wait()
        env = environment(svc, database, clock_file, JIFEN_REDIS_URL=second.url)
        workers.append(start_worker(env, log))
        Queue("jifen", connection=Redis.from_url(second.url)).enqueue(
            run_queued, job_path(worker.sweep)
        )
        wait_for(lambda: reminders_receipted(svc) == 5, what="the reminders after the outage")
    finally:
        for process in workers:
            process.kill()
            process.wait()
        first.stop()
        if second is not None:
            second.stop()
        svc.close()

    sent = notices_in(log)
    assert len(sent) == 5 and set(sent.values()) == {1}, sent


@pytest.mark.redis
def test_the_sweep_wakes_each_lane_with_work_on_its_own_queue(svc, tenant, clock, redis_url):
    web = create_app(replace(svc.settings, redis_url=redis_url))
    svc = web.extensions["jifen.services"]
    svc.clock = clock
    got = []
    svc.relay = Relay(
        svc,
        [
            Subscriber("quick", (Counted,), lambda s, d: got.append(("interactive", d.event.n))),
            Subscriber("slow", (Bulky,), lambda s, d: got.append(("bulk", d.event.n))),
        ],
    )
    redis = Redis.from_url(redis_url)
    queues = {lane: Queue(name, connection=redis) for lane, name in worker.QUEUES.items()}

    def wake_ups_lost() -> None:
        for lane, queue in queues.items():
            queue.empty()
            redis.delete(worker.WAKE_KEY.format(lane=lane))

    def serve(lane: str) -> None:
        with web.app_context():
            SimpleWorker([queues[lane]], connection=redis).work(burst=True)

    try:
        wake_ups_lost()
        assert worker.sweep(svc) == 0  # nothing to do: nothing queued
        assert [q.count for q in queues.values()] == [0, 0]

        alice = new_member(svc, tenant.tenant_id)
        with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
            emit(session, Bulky(alice, 1), now=clock.now())
        wake_ups_lost()
        assert worker.sweep(svc) == 1
        assert worker.sweep(svc) == 1  # woken again: still one job, the marker coalesces
        assert (queues["interactive"].count, queues["bulk"].count) == (0, 1)
        serve("interactive")  # the interactive queue never delivers bulk work
        assert got == []
        serve("bulk")
        assert got == [("bulk", 1)]

        emit_counted(svc, tenant.tenant_id, alice, 1)
        wake_ups_lost()
        assert worker.sweep(svc) == 1
        assert (queues["interactive"].count, queues["bulk"].count) == (1, 0)
        serve("interactive")
        assert got == [("bulk", 1), ("interactive", 1)]
        assert worker.sweep(svc) == 0
    finally:
        wake_ups_lost()
        svc.close()
