"""Where committed work runs: one worker thread in the embedded mode, rq with Redis.

Embedded (no `JIFEN_REDIS_URL`): jobs and relay rounds run on one background thread of
the process, after the commit and off the request, so a slow notifier or provider never
delays a response. Work is taken in this order: jobs, the interactive lane, the bulk
lane; a relay round is a bounded slice, so a run of 100,000 reminders yields to a
sign-in code between slices.

With Redis: jobs go to rq's queue, and a lane is woken by enqueueing one relay job for it
on its queue, coalesced: a marker key in Redis stands for "a relay job for this lane is
queued", and only the commit that sets it enqueues (the job clears it before it reads, so
a commit during the round wakes it again). Workers serve the interactive queue first.
Redis carries only wake-ups: if it is down, the event stays in the log and the periodic
sweep, which wakes each lane that has work, has it delivered.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jifen.outbox.events import BULK, INTERACTIVE, LANES

if TYPE_CHECKING:
    from jifen.collaborators import Collaborators

log = logging.getLogger(__name__)

QUEUES = {INTERACTIVE: "jifen", BULK: "jifen-bulk"}
WAKE_KEY = "jifen:relay:queued:{lane}"
WAKE_TTL = 600  # seconds: a marker outliving a lost job only delays until the sweep


def relay_round(services: Collaborators, lane: str) -> bool:
    """One slice of the relay on `lane`; whether work is left for another."""
    progress = services.relay.run(lane)
    # Work left but none done (a subscriber backing off): the sweep comes back for it.
    return progress.more and bool(progress.delivered or progress.failed)


def relay_job(services: Collaborators, lane: str) -> None:
    """rq's relay job: clear the lane's marker, run a slice, and queue another if work
    is left (behind whatever else is queued)."""
    waker = services.jobs
    waker.clear_marker(lane)
    if relay_round(services, lane):
        waker.wake_lane(lane)


def sweep(services: Collaborators) -> int:
    """Periodic job: wake each lane that has work (what wake-ups missed and what is due
    for a retry); how many were woken. The sweep delivers nothing itself: each lane's
    rounds run where its wake-ups do (rq: on the lane's own queue, coalesced by the
    marker), so bulk work never runs on the interactive queue."""
    woken = [lane for lane in LANES if services.relay.pending(lane)]
    for lane in woken:
        services.jobs.wake_lane(lane)
    return len(woken)


class InlineWorker:
    """The embedded mode's worker thread (see the module's docstring)."""

    def __init__(self, services: Collaborators) -> None:
        self.services = services
        self._jobs: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._lanes: set[str] = set()
        self._busy = False
        self._stopping = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def submit(self, job: Callable[..., Any], args: tuple[Any, ...]) -> None:
        with self._changed:
            self._jobs.append((job, args))
            self._start()
            self._changed.notify_all()

    def wake(self, lane: str) -> None:
        with self._changed:
            self._lanes.add(lane)
            self._start()
            self._changed.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is queued or running; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: not (self._jobs or self._lanes or self._busy), timeout
            )

    def stop(self, timeout: float = 30.0) -> None:
        """Finish what is running, drop what is queued (the log keeps events; the
        sweep delivers them), and end the thread."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
            thread = self._thread
        if thread is not None and self._pid == os.getpid():
            thread.join(timeout)

    def _start(self) -> None:
        # Started on first use, in the process that uses it (a forked child gets its own).
        alive = self._thread is not None and self._pid == os.getpid() and self._thread.is_alive()
        if alive or self._stopping:
            return
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._loop, name="jifen-worker", daemon=True)
        self._thread.start()

    def _next(self) -> tuple[str, Any] | None:
        with self._changed:
            self._busy = False
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._jobs or self._lanes or self._stopping)
            if self._stopping:
                return None
            self._busy = True
            if self._jobs:
                return "job", self._jobs.popleft()
            lane = next(lane for lane in LANES if lane in self._lanes)
            self._lanes.discard(lane)
            return "lane", lane

    def _loop(self) -> None:
        while (work := self._next()) is not None:
            kind, what = work
            try:
                if kind == "job":
                    job, args = what
                    job(self.services, *args)
                elif relay_round(self.services, what):
                    self.wake(what)
            except Exception:
                # What enqueued it has committed: report, never undo.
                name = f"{what[0].__module__}:{what[0].__qualname__}" if kind == "job" else what
                log.exception("background %s %s failed", kind, name)
        with self._changed:
            self._busy = False
            self._changed.notify_all()
