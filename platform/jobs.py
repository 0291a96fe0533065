"""Background jobs, run after the current transaction commits, and relay wake-ups.

Never inside the transaction: a job could start before the rows it needs are committed,
or wait on the request's own SQLite write lock. With `JIFEN_REDIS_URL` set, jobs go to
rq; otherwise they run on the process's worker thread (`jifen.outbox.worker`). A job is
a plain function `job(services, tenant_id, *args)` that opens its own session; its
arguments must be JSON-like values (ids as strings are fine).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from jifen.outbox.worker import QUEUES, WAKE_KEY, WAKE_TTL, InlineWorker, relay_job

if TYPE_CHECKING:
    from jifen.collaborators import Collaborators

log = logging.getLogger(__name__)

Job = Callable[..., Any]
QUEUE = QUEUES["interactive"]


def enqueue(session: Session, job: Job, *args: Any) -> None:
    """Run `job(services, *args)` once the session's transaction commits."""
    if "jobs" not in session.info:
        raise RuntimeError("this session has no job runner; open it through Database")
    session.info["pending_jobs"] = [*session.info.get("pending_jobs", ()), (job, args)]


@event.listens_for(Session, "after_commit")
def _dispatch(session: Session) -> None:
    pending = session.info.pop("pending_jobs", ())
    for job, args in pending:
        session.info["jobs"].dispatch(job, args)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop("pending_jobs", None)


def job_path(job: Job) -> str:
    return f"{job.__module__}:{job.__qualname__}"


def resolve(path: str) -> Job:
    module, _, name = path.partition(":")
    target: Any = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    job: Job = target
    return job


class JobRunner:
    """Dispatches committed jobs and relay wake-ups: to rq when Redis is configured,
    else to the process's worker thread."""

    def __init__(self, services: Collaborators) -> None:
        self.services = services
        self.redis: Any = None
        self.queues: dict[str, Any] = {}
        self.worker: InlineWorker | None = None
        if services.settings.redis_url:
            from redis import Redis
            from rq import Queue

            self.redis = Redis.from_url(services.settings.redis_url)
            self.queues = {
                lane: Queue(name, connection=self.redis) for lane, name in QUEUES.items()
            }
        else:
            self.worker = InlineWorker(services)

    def dispatch(self, job: Job, args: tuple[Any, ...]) -> None:
        if self.worker is not None:
            self.worker.submit(job, args)
            return
        try:
            self.queues["interactive"].enqueue(run_queued, job_path(job), *args)
        except Exception:
            # After commit: the change stands, so the request must not fail for it. The
            # job is lost; the error names it for whoever restores Redis.
            log.error("job %s not queued (Redis unreachable?)", job_path(job), exc_info=True)

    def wake(self, written: Iterable[tuple[str, str]]) -> None:
        """After a commit that wrote events: wake each lane that got an event some
        subscriber wants ((lane, type) pairs)."""
        relay = self.services.relay
        for lane in sorted({lane for lane, kind in written if relay.wanted(kind)}):
            self.wake_lane(lane)

    def wake_lane(self, lane: str) -> None:
        if self.worker is not None:
            self.worker.wake(lane)
            return
        try:
            if self.redis.set(WAKE_KEY.format(lane=lane), 1, nx=True, ex=WAKE_TTL):
                self.queues[lane].enqueue(run_queued, job_path(relay_job), lane)
        except Exception:
            # The commit stands and the event is in the log: the sweep wakes the lane again.
            log.warning("relay wake-up for %s not sent (Redis unreachable?)", lane, exc_info=True)

    def clear_marker(self, lane: str) -> None:
        if self.redis is not None:
            self.redis.delete(WAKE_KEY.format(lane=lane))

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Embedded mode: wait until the worker thread has nothing left (tests, the CLI).
        True at once with rq, whose workers are other processes."""
        return self.worker.wait_idle(timeout) if self.worker is not None else True

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        if self.redis is not None:
            self.redis.close()


def run_queued(path: str, *args: Any) -> Any:
    """rq's entry point: runs a job with the worker's app services."""
    from flask import current_app

    return resolve(path)(current_app.extensions["jifen.services"], *args)
