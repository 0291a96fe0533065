"""The relay: delivers the log's events to the after-commit subscribers.

Each subscriber names the event types it wants; it reads each lane through a cursor of
its own. A round of the relay on a lane sequences what was written since the last one,
then for each subscriber leases its cursor (so two workers never deliver one
subscriber's events at once), reads a batch past the cursor, delivers it with no
database transaction open, and moves the cursor once for the batch.

Delivery is at least once and in log order, so per aggregate in the order the changes
committed. A relay killed mid-batch has moved no cursor: the batch is delivered again
once the lease runs out, and subscribers make a repeat harmless (database subscribers
keep a receipt per event in the transaction of their effect; external sends carry the
event id as their idempotency key or Message-ID, and skip a send already receipted).

An event a subscriber raises on is parked (`relay_parked`) and retried from there with
backoff; its aggregate's later events are parked behind it, in order, while the cursor
goes on delivering other aggregates' (other tenants') events: one poison event holds
back only its own aggregate. After `MAX_ATTEMPTS` the event is dead-lettered (kept for
`replay`) and the events parked behind it go on.

Why a lease on each subscriber's cursor rather than workers claiming event rows with
`SELECT ... FOR UPDATE SKIP LOCKED`: rows claimed that way go out in whatever order the
workers finish them, so one aggregate's events can overtake each other across workers
(and a row lock holds a transaction open through the delivery). One holder per cursor
keeps log order, delivers at least once (the cursor moves only after its batch), and
sees all of the subscriber's parked events to decide which aggregates are blocked;
parallelism comes from subscribers and lanes. The lease (`LEASE`) is never renewed: a
worker that outlives it loses its batch's outcomes and another delivers it again. So a
round attempts no further event once half the lease has passed (by `time.monotonic`,
not the app's clock) and moves the cursor only past the events it came to: a slow
subscriber (e-mail through a slow SMTP server) gets shorter batches, not repeated ones.
This rather than extending the lease between events, which would cost every delivery
of every subscriber a write transaction (on SQLite, the write lock), and a round
bounded in time also yields to the other lane and to jobs sooner. One delivery must
still take well under half the lease. At most `BATCH` parked events are retried a round.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from jifen.db import cross_tenant
from jifen.outbox import sql
from jifen.outbox.events import LANES, DomainEvent

if TYPE_CHECKING:
    from jifen.collaborators import Collaborators

log = logging.getLogger(__name__)

BATCH = 200
MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=2)
RETENTION = timedelta(days=7)


def backoff(attempts: int) -> timedelta:
    """How long a parked event waits after its n-th failure in a row: 5 s, doubling, at
    most half an hour (twelve attempts span about three hours)."""
    return timedelta(seconds=min(5 * 2 ** (attempts - 1), 1800))


@dataclass(frozen=True)
class Delivered:
    """An event as a subscriber receives it: the typed event and its envelope."""

    id: uuid.UUID
    tenant_id: uuid.UUID | None
    type: str
    version: int
    position: int
    created_at: datetime
    event: DomainEvent


# Called with the app's collaborators, typed as the Protocol the subscriber needs (the
# core's `Collaborators`, or a domain's extension of it such as `MallCollaborators`).
Deliver = Callable[[Any, Delivered], None]


@dataclass(frozen=True)
class Subscriber:
    """An after-commit subscriber: its stable `name` (its cursors and receipts are kept
    under it), the event classes it wants, and `deliver(services, delivered)`. It
    receives only the versions it lists a class for (a class per version of a type)."""

    name: str
    events: tuple[type[DomainEvent], ...]
    deliver: Deliver

    @property
    def types(self) -> tuple[str, ...]:
        """The event types it wants (whatever their version)."""
        return tuple(dict.fromkeys(cls.type for cls in self.events))

    def decode(self, row: Any) -> Delivered:
        """The logged event as this subscriber receives it: decoded by the class it
        lists for the row's type and version. `UnknownVersion` if it lists none."""
        for cls in self.events:
            if (cls.type, cls.version) == (row.type, row.version):
                return _delivered(row, cls)
        raise UnknownVersion(
            f"{self.name} does not know version {row.version} of {row.type}"
            f" (it knows {sorted(c.version for c in self.events if c.type == row.type)})"
        )


class UnknownVersion(LookupError):
    """An event's version that its subscriber lists no class for: dead-lettered at once
    (replay it once the subscriber knows the version)."""


@dataclass(frozen=True)
class _Outcome:
    """What one delivery came to: `error` None if delivered; `dead` if given up on
    (dead-lettered); `waiting` if not tried (parked behind a failed event of its
    aggregate)."""

    row: Any
    attempts: int
    error: str | None
    dead: bool = False
    waiting: bool = False


@dataclass(frozen=True)
class Progress:
    delivered: int
    failed: int
    more: bool


class Relay:
    """The subscribers of one app, and the rounds that feed them: a round takes each
    subscriber's cursor for `lease` and delivers at most `batch` retries and `batch`
    new events."""

    def __init__(
        self,
        services: Collaborators,
        subscribers: Sequence[Subscriber],
        *,
        lease: timedelta = LEASE,
        batch: int = BATCH,
    ) -> None:
        names = [s.name for s in subscribers]
        if len(names) != len(set(names)):
            raise ValueError(f"two subscribers share a name: {sorted(names)}")
        self.services = services
        self.subscribers = list(subscribers)
        self.lease = lease
        self.batch = batch
        self._wanted = frozenset(t for s in self.subscribers for t in s.types)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def wanted(self, event_type: str) -> bool:
        """Whether any subscriber wants events of this type (else no wake-up is sent)."""
        return event_type in self._wanted

    def subscriber(self, name: str) -> Subscriber:
        for found in self.subscribers:
            if found.name == name:
                return found
        raise KeyError(name)

    # --- rounds -----------------------------------------------------------------------

    def run(self, lane: str) -> Progress:
        """One slice of work on `lane`: sequence what is new, then one batch for each
        subscriber. `more` says whether work is left; the caller runs another slice
        after anything more urgent (so a bulk run yields between batches)."""
        self.sequence(lane)
        delivered = failed = 0
        more = False
        for subscriber in self.subscribers:
            done, fault, left = self.deliver(subscriber, lane)
            delivered, failed, more = delivered + done, failed + fault, more or left
        return Progress(delivered, failed, more or self._unsequenced(lane))

    def drain(self, lanes: Iterable[str] = LANES, *, rounds: int = 100) -> Progress:
        """Run every lane until nothing deliverable is left (tests, the CLI).
        Parked events not due for a retry are left for later."""
        delivered = failed = 0
        for lane in lanes:
            for _ in range(rounds):
                progress = self.run(lane)
                delivered, failed = delivered + progress.delivered, failed + progress.failed
                if not progress.more or not (progress.delivered or progress.failed):
                    break
        return Progress(delivered, failed, False)

    def pending(self, lane: str) -> bool:
        """Whether a round on `lane` has work: an event a subscriber wants past its
        cursor (or not sequenced yet), or a parked event due for a retry."""
        now = self.services.clock.now()
        with self.reading() as connection:
            positions = self._positions(connection, lane)
            return any(
                sql.waiting(connection, lane, positions[s.name], list(s.types))
                or sql.retry_due(connection, s.name, lane, now)
                for s in self.subscribers
            )

    def sequence(self, lane: str, limit: int = 5000) -> int:
        names = [s.name for s in self.subscribers]
        now = self.services.clock.now()
        with self._transaction("sequence the outbox") as connection:
            return sql.sequence(connection, lane, limit, names, now)

    def _unsequenced(self, lane: str) -> bool:
        with self.reading() as connection:
            return sql.unsequenced(connection, lane)

    def deliver(self, subscriber: Subscriber, lane: str) -> tuple[int, int, bool]:
        """Deliver one batch of the lane to the subscriber: (delivered, failed, more).

        First the parked events due for an attempt (at most a batch of them), then a
        batch past the cursor. An event that fails is parked and blocks its aggregate:
        the aggregate's later events are parked behind it (in order) until it is
        delivered or dead-lettered, while other aggregates' events go on. Once half the
        lease has passed no further event is attempted; the cursor moves past the
        events the batch came to, and the next round starts at the first it did not.
        """
        deadline = time.monotonic() + self.lease.total_seconds() / 2
        now = self.services.clock.now()
        with self._transaction("lease a relay cursor") as connection:
            cursor = sql.lease(connection, subscriber.name, lane, self.owner, now, now + self.lease)
            if cursor is None:
                return 0, 0, False
            head = sql.lane_head(connection, lane)
            retries = sql.retries(connection, subscriber.name, lane, now, self.batch)
            past = retries[-1].position if len(retries) == self.batch else None
            held = sql.held(connection, subscriber.name, lane, now, past)
            rows = sql.events_after(
                connection, lane, cursor.position, head, list(subscriber.types), self.batch
            )
        outcomes, passed, cut = self._batch(subscriber, retries, held, rows, deadline)
        position = rows[passed - 1].position if passed else cursor.position
        if not cut and len(rows) < self.batch:
            position = max(position, head)  # nothing wanted up to the head: skip past it
        with self._transaction("move a relay cursor") as connection:
            values = {"position": position, "updated_at": self.services.clock.now()}
            if not sql.release(connection, subscriber.name, lane, self.owner, **values):
                log.warning(
                    "relay: %s lost its lease on %s; the batch repeats", subscriber.name, lane
                )
                return 0, 0, False
            for outcome in outcomes:
                self._record(connection, subscriber.name, outcome, now)
        delivered = sum(1 for o in outcomes if o.error is None and not o.waiting)
        failed = sum(1 for o in outcomes if o.error is not None)
        return delivered, failed, cut or self.batch in (len(retries), len(rows))

    def _batch(
        self,
        subscriber: Subscriber,
        retries: Sequence[Any],
        held: set[tuple[str, uuid.UUID]],
        rows: Sequence[Any],
        deadline: float,
    ) -> tuple[list[_Outcome], int, bool]:
        """Attempt the retries, then the new rows (parking those of a blocked or `held`
        aggregate), until the deadline: the outcomes, how many of `rows` it came to, and
        whether it stopped short of the end."""
        blocked: set[tuple[str, uuid.UUID]] = set()
        outcomes: list[_Outcome] = []
        retried = 0
        for row in _until(deadline, retries):
            retried += 1
            if _aggregate(row) not in blocked:
                outcomes.append(self._attempt(subscriber, row, row.attempts, blocked))
        blocked |= held
        passed = 0
        for row in _until(deadline, rows):
            passed += 1
            if _aggregate(row) in blocked:
                outcomes.append(_Outcome(row, attempts=0, error=None, waiting=True))
                continue
            outcomes.append(self._attempt(subscriber, row, 0, blocked))
        return outcomes, passed, retried < len(retries) or passed < len(rows)

    def _attempt(
        self,
        subscriber: Subscriber,
        row: Any,
        attempts: int,
        blocked: set[tuple[str, uuid.UUID]],
    ) -> _Outcome:
        """Deliver one event; a failure short of dead-lettering blocks its aggregate. An
        event of a version the subscriber does not know is dead-lettered at once."""
        try:
            delivered = subscriber.decode(row)
        except UnknownVersion as exc:
            return _Outcome(row, attempts, f"{type(exc).__name__}: {exc}", dead=True)
        try:
            subscriber.deliver(self.services, delivered)
        except Exception as exc:
            log.exception("relay: %s failed on event %s (%s)", subscriber.name, row.id, row.type)
            dead = attempts + 1 >= MAX_ATTEMPTS
            if not dead:
                blocked.add((row.aggregate, row.aggregate_id))
            return _Outcome(row, attempts + 1, f"{type(exc).__name__}: {exc}"[:2000], dead=dead)
        return _Outcome(row, attempts, None)

    def _record(self, connection: Connection, name: str, outcome: _Outcome, now: datetime) -> None:
        """Write what became of one event: parked (failed or waiting), dead-lettered, or
        delivered (no longer parked)."""
        row, error = outcome.row, outcome.error
        if outcome.waiting:
            sql.park(connection, name, row.id, 0, None, None, now)
        elif error is None:
            sql.unpark(connection, name, row.id)
        elif outcome.dead:
            sql.dead_letter(connection, name, row.id, error, outcome.attempts, now)
            sql.unpark(connection, name, row.id)
            log.error("relay: %s gave up on event %s", name, row.id)
        else:
            retry_at = now + backoff(outcome.attempts)
            sql.park(connection, name, row.id, outcome.attempts, retry_at, error, now)

    # --- dead letters ------------------------------------------------------------------

    def replay(self, subscriber_name: str, event_id: uuid.UUID | None = None) -> tuple[int, int]:
        """Deliver the subscriber's dead letters again (one, or all waiting), in order:
        (delivered, still failing). A delivered one is marked replayed."""
        subscriber = self.subscriber(subscriber_name)
        with self.reading() as connection:
            letters = [
                letter
                for letter in sql.dead_letters(connection, subscriber_name)
                if event_id is None or letter.event_id == event_id
            ]
        delivered = failing = 0
        for letter in letters:
            with self.reading() as connection:
                row = sql.event_row(connection, letter.event_id)
            assert row is not None  # the purge keeps dead-lettered events
            try:
                subscriber.deliver(self.services, subscriber.decode(row))
            except Exception:
                log.exception("relay: replay of %s to %s failed", letter.event_id, subscriber_name)
                failing += 1
                continue
            with self._transaction("mark a dead letter replayed") as connection:
                sql.mark_replayed(
                    connection, subscriber_name, letter.event_id, self.services.clock.now()
                )
            delivered += 1
        return delivered, failing

    # --- housekeeping -----------------------------------------------------------------

    def purge(self) -> int:
        """Forget events older than the retention period that every current
        subscriber's cursor has passed (a removed subscriber's cursor holds nothing)."""
        before = self.services.clock.now() - RETENTION
        purged = 0
        with self._transaction("purge the outbox") as connection:
            for lane in LANES:
                positions = self._positions(connection, lane).values()
                up_to = min(positions, default=sql.lane_head(connection, lane))
                purged += sql.purge(connection, lane, before, up_to)
        return purged

    def status(self) -> list[dict[str, Any]]:
        """Each cursor: its lane and position, how many events it wants and has not had
        (`behind`: those ahead of it and those parked), how many are `parked`, and the
        retry state of the first parked event that failed."""
        with self.reading() as connection:
            rows = []
            known = {s.name: list(s.types) for s in self.subscribers}
            for c in sql.cursors(connection):
                parked = sql.parked_count(connection, c.subscriber, c.lane)
                failing = sql.first_failed(connection, c.subscriber, c.lane)
                ahead = sql.waiting(connection, c.lane, c.position, known.get(c.subscriber))
                rows.append(
                    {
                        "subscriber": c.subscriber,
                        "lane": c.lane,
                        "position": c.position,
                        "behind": ahead + parked,
                        "parked": parked,
                        "attempts": failing.attempts if failing else 0,
                        "retry_at": failing.retry_at if failing else None,
                        "last_error": failing.last_error if failing else None,
                    }
                )
            return rows

    def backlog(self) -> int:
        """How many events the subscribers want and have not had yet, over every lane
        (the parked, the sequenced and the not yet sequenced)."""
        with self.reading() as connection:
            return sum(
                sql.waiting(connection, lane, position, list(s.types))
                + sql.parked_count(connection, s.name, lane)
                for lane in LANES
                for s, position in zip(
                    self.subscribers, self._positions(connection, lane).values(), strict=True
                )
            )

    def _positions(self, connection: Connection, lane: str) -> dict[str, int]:
        """Each current subscriber's cursor position on `lane`: where its cursor is, or
        for one not made yet, the lane's head (where the sequencer will make it)."""
        cursors = {c.subscriber: c.position for c in sql.cursors(connection) if c.lane == lane}
        head = sql.lane_head(connection, lane)
        return {s.name: cursors.get(s.name, head) for s in self.subscribers}

    # --- sessions ---------------------------------------------------------------------

    def _transaction(self, reason: str) -> Any:
        return _connection(self.services, reason, write=True)

    def reading(self) -> Any:
        """A connection to read the log and the relay's state (cross-tenant)."""
        return _connection(self.services, "read the outbox", write=False)


@contextmanager
def _connection(services: Collaborators, reason: str, *, write: bool) -> Iterator[Connection]:
    """A cross-tenant transaction's connection (the log is the platform's)."""
    with (
        services.db.transaction(write=write) as session,
        cross_tenant(session, reason, level=logging.DEBUG),
    ):
        yield session.connection()


def _aggregate(row: Any) -> tuple[str, uuid.UUID]:
    return row.aggregate, row.aggregate_id


def _until(deadline: float, rows: Sequence[Any]) -> Iterator[Any]:
    """The rows one at a time, until the `time.monotonic()` deadline has passed."""
    return itertools.takewhile(lambda _: time.monotonic() < deadline, rows)


def _delivered(row: Any, cls: type[DomainEvent]) -> Delivered:
    return Delivered(
        id=row.id,
        tenant_id=row.tenant_id,
        type=row.type,
        version=row.version,
        position=row.position,
        created_at=row.created_at,
        event=cls.from_payload(row.payload),
    )
