"""Per-key request limits: each API key may make so many requests a minute (its own
`rate_limit`, or the platform's `JIFEN_API_RATE_LIMIT`); the next is a 429 `rate_limited`
with `Retry-After`.

Counted with `limits` (the library under flask-limiter) in a fixed window that starts at
a key's first request: in Redis when it is configured, so every worker shares the count
(taken a block at a time: see `KeyRateLimits`), and in the process in the embedded mode,
which has one.
flask-limiter's own extension checks in an app-wide hook, before a blueprint has
authenticated the key, so it could not use the limit read with the key; here the check
follows the key lookup and reads nothing more. If Redis cannot be reached the request
goes through: an outage of the counter must not take the API down.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import threading
import time
import uuid

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from jifen.errors import JifenError
from jifen.i18n import N_

log = logging.getLogger(__name__)

RETRY_AFTER_DOC = {
    "description": "Seconds to wait before the key's next request is accepted.",
    "schema": {"type": "integer", "minimum": 1},
}
# The OpenAPI response of every route that takes a key (components/responses).
RATE_LIMITED_DOC = {
    "description": "The API key made more requests this minute than its limit"
    " (code `rate_limited`); retry after `Retry-After` seconds.",
    "headers": {"Retry-After": RETRY_AFTER_DOC},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


class RateLimited(JifenError):
    code = "rate_limited"
    status = 429
    message = N_("This API key made too many requests; retry after Retry-After seconds.")

    def __init__(self, *, retry_after: int, per_minute: int) -> None:
        super().__init__(details={"retry_after": retry_after, "limit_per_minute": per_minute})
        self.retry_after = retry_after


# A process takes a key's requests from the shared count in blocks of this share of its
# limit (at least 1), so that a busy key costs a round trip to Redis once a block.
BLOCK_SHARE = 100


@dataclasses.dataclass
class _Lease:
    """Requests a process took from a key's count in advance, valid in their window."""

    left: int
    until: float  # the window's end, seconds since the epoch


class KeyRateLimits:
    """The request counts of every API key, in Redis or in the process.

    Each process takes a key's requests from the shared count a block at a time (a
    `BLOCK_SHARE`th of the limit) and spends them locally until its window ends; near
    the limit, when a block no longer fits, one at a time. No key is ever let through
    past its limit; another process's unspent block can refuse a key at most that many
    requests early in a window.
    """

    def __init__(self, redis_url: str | None, default_per_minute: int) -> None:
        self.counter = FixedWindowRateLimiter(storage_from_string(redis_url or "memory://"))
        self.default = default_per_minute
        self._leases: dict[uuid.UUID, _Lease] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: uuid.UUID, per_minute: int | None) -> None:
        """Count one request of the key; RateLimited when it is over its limit."""
        limit = _per_minute(per_minute or self.default)
        if self._spend_leased(key_id):
            return
        block = max(1, limit.amount // BLOCK_SHARE)
        try:
            # A hit counts its cost even when it refuses it: ask for a block only while
            # one fits (`test`), else a refused block would cut the key off early.
            if (
                block > 1
                and self.counter.test(limit, key_id.hex, cost=block)
                and self.counter.hit(limit, key_id.hex, cost=block)
            ):
                until = self.counter.get_window_stats(limit, key_id.hex).reset_time
                with self._lock:
                    self._leases[key_id] = _Lease(block - 1, until)
                return
            allowed = self.counter.hit(limit, key_id.hex)
        except Exception:  # the counter's store is down: let the request through
            log.warning("API rate limit not counted (Redis unreachable?)", exc_info=True)
            return
        if not allowed:
            reset = self.counter.get_window_stats(limit, key_id.hex).reset_time
            retry_after = max(1, math.ceil(reset - time.time()))
            raise RateLimited(retry_after=retry_after, per_minute=limit.amount)

    def _spend_leased(self, key_id: uuid.UUID) -> bool:
        with self._lock:
            lease = self._leases.get(key_id)
            if lease is None or lease.left <= 0 or time.time() >= lease.until:
                self._leases.pop(key_id, None)
                return False
            lease.left -= 1
            return True


@functools.lru_cache(maxsize=1024)
def _per_minute(amount: int) -> RateLimitItem:
    return RateLimitItemPerMinute(amount)
