"""The periodic work, in one list.

In production one `rq cron` process reads `jifen.rq_cron`, built from this list, and
enqueues each job for the workers. In the embedded mode `flask jifen serve` runs the due
ones every minute in a background thread, and `flask jifen tick` runs a round by hand. A
periodic job is `job(services)`; it opens its own sessions and is idempotent, since a
round may be repeated.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from croniter import croniter

from jifen import idempotency
from jifen.ledger import expiry, holds
from jifen.mall import cashier, recommendations
from jifen.members import cards, sign_in_codes, sign_in_links, tiers
from jifen.outbox import worker
from jifen.outbox.events import BULK, INTERACTIVE
from jifen.rules import birthdays
from jifen.tenants import sessions, throttle, user_codes

if TYPE_CHECKING:
    from jifen.services import Services

log = logging.getLogger(__name__)


def purge_idempotency_keys(services: Services) -> int:
    """Forget idempotency keys past their retention period."""
    with services.db.transaction() as session:
        return idempotency.purge_expired(session, services.clock.now())


def refresh_statistics(services: Services) -> str:
    """Keep the embedded database's query planner informed (see Database)."""
    return services.db.refresh_statistics()


def purge_outbox(services: Services) -> int:
    """Forget relayed events past their retention period."""
    return services.relay.purge()


def purge_sign_ins(services: Services) -> int:
    """Forget ended sessions, failed sign-ins whose throttling is over, the nonces of
    expired sign-in links, expired member card and sign-in codes, and expired console
    users' codes."""
    now = services.clock.now()
    with services.db.transaction() as session:
        forgotten = sessions.purge_ended(session, now) + throttle.forget_stale(session, now)
    with services.db.transaction() as session:
        forgotten += sign_in_links.purge_used(session, now)
    with services.db.transaction() as session:
        forgotten += cards.purge_expired(session, now)
    with services.db.transaction() as session:
        forgotten += sign_in_codes.purge_expired(session, now)
    with services.db.transaction() as session:
        return forgotten + user_codes.purge_expired(session, now)


@dataclass(frozen=True)
class Schedule:
    name: str
    cron: str  # in UTC
    job: Callable[[Services], object]
    # The lane whose queue runs it under rq: a long run over every member (a sweep, a
    # re-evaluation) goes to the bulk lane, so that the relay's interactive work (payment
    # calls, sign-in codes) never waits behind it.
    lane: str = INTERACTIVE


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("purge-idempotency-keys", "17 3 * * *", purge_idempotency_keys, BULK),
    # What a wake-up missed (Redis down, a process killed) and what is due for a retry.
    Schedule("relay-sweep", "* * * * *", worker.sweep),
    Schedule("purge-outbox", "23 3 * * *", purge_outbox, BULK),
    Schedule("settle-due-holds", "* * * * *", holds.settle_due_holds),
    Schedule("expire-unpaid-payments", "* * * * *", cashier.expire_due),
    Schedule("expire-points", "*/10 * * * *", expiry.sweep, BULK),
    # 10:05 in China: reminders arrive in the morning, not at night.
    Schedule("points-expiry-reminders", "5 2 * * *", expiry.remind, BULK),
    # Hourly: each tenant's local day starts at another UTC hour; the events are unique
    # per member and day, so the repeats change nothing.
    Schedule("birthday-events", "11 * * * *", birthdays.emit, BULK),
    Schedule("tier-reevaluation", "37 19 * * *", tiers.reevaluate_tiers, BULK),
    Schedule("refresh-statistics", "43 * * * *", refresh_statistics, BULK),
    Schedule("purge-sign-ins", "29 * * * *", purge_sign_ins),
    Schedule("recommendations", "47 4 * * *", recommendations.compute_all, BULK),
)


def due(now: datetime) -> list[Schedule]:
    """The schedules whose cron expression matches this minute."""
    return [s for s in SCHEDULES if croniter.match(s.cron, now)]


def run_round(services: Services, schedules: list[Schedule]) -> dict[str, str]:
    """Run schedules one after another; a failure is logged and the others still run."""
    outcome: dict[str, str] = {}
    for schedule in schedules:
        try:
            result = schedule.job(services)
            outcome[schedule.name] = f"ok ({result})"
        except Exception:
            log.exception("periodic job %s failed", schedule.name)
            outcome[schedule.name] = "failed"
    return outcome


def start_ticker(services: Services, stop: threading.Event) -> threading.Thread:
    """The embedded mode's scheduler: every minute, run what is due."""

    def loop() -> None:
        while not stop.wait(60 - services.clock.now().second):
            run_round(services, due(services.clock.now()))

    thread = threading.Thread(target=loop, name="jifen-ticker", daemon=True)
    thread.start()
    return thread
