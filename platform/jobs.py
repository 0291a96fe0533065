"""Background jobs, enqueued to run after the current transaction commits.

Never inside it: an inline job would wait on the request's own SQLite write lock, and an
rq job could start before the rows it needs are committed. With `JIFEN_REDIS_URL` set,
jobs go to rq; otherwise they run inline in this process right after the commit (the
embedded default). A job is a plain function `job(services, tenant_id, *args)` that opens
its own session; its arguments must be JSON-like values (ids as strings are fine).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from jifen.services import Services

log = logging.getLogger(__name__)

Job = Callable[..., Any]
QUEUE = "jifen"


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
    return target


class JobRunner:
    """Dispatches committed jobs: to rq when Redis is configured, else inline."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.queue = None
        if services.settings.redis_url:
            from redis import Redis
            from rq import Queue

            self.queue = Queue(QUEUE, connection=Redis.from_url(services.settings.redis_url))

    def dispatch(self, job: Job, args: tuple[Any, ...]) -> None:
        if self.queue is not None:
            self.queue.enqueue(run_queued, job_path(job), *args)
            return
        try:
            job(self.services, *args)
        except Exception:
            # The request that enqueued it has committed; report, do not undo it.
            log.exception("inline job %s failed", job_path(job))


def run_queued(path: str, *args: Any) -> Any:
    """rq's entry point: runs a job with the worker's app services."""
    from flask import current_app

    return resolve(path)(current_app.extensions["jifen.services"], *args)
