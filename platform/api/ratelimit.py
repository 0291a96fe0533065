"""Per-key request limits: each API key may make so many requests a minute (its own
`rate_limit`, or the platform's `JIFEN_API_RATE_LIMIT`); the next is a 429 `rate_limited`
with `Retry-After`.

Counted with `limits` (the library under flask-limiter) in a fixed window that starts at
a key's first request: in Redis when it is configured, so every worker shares the count
(one round trip a request), and in the process in the embedded mode, which has one.
flask-limiter's own extension checks in an app-wide hook, before a blueprint has
authenticated the key, so it could not use the limit read with the key; here the check
follows the key lookup and reads nothing more. If Redis cannot be reached the request
goes through: an outage of the counter must not take the API down.
"""

from __future__ import annotations

import functools
import logging
import math
import time
import uuid

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from jifen.errors import JifenError

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
    message = "This API key made too many requests; retry after Retry-After seconds."

    def __init__(self, *, retry_after: int, per_minute: int) -> None:
        super().__init__(details={"retry_after": retry_after, "limit_per_minute": per_minute})
        self.retry_after = retry_after


class KeyRateLimits:
    """The request counts of every API key, in Redis or in the process."""

    def __init__(self, redis_url: str | None, default_per_minute: int) -> None:
        self.counter = FixedWindowRateLimiter(storage_from_string(redis_url or "memory://"))
        self.default = default_per_minute

    def hit(self, key_id: uuid.UUID, per_minute: int | None) -> None:
        """Count one request of the key; RateLimited when it is over its limit."""
        limit = _per_minute(per_minute or self.default)
        try:
            allowed = self.counter.hit(limit, key_id.hex)
        except Exception:  # the counter's store is down: let the request through
            log.warning("API rate limit not counted (Redis unreachable?)", exc_info=True)
            return
        if not allowed:
            reset = self.counter.get_window_stats(limit, key_id.hex).reset_time
            retry_after = max(1, math.ceil(reset - time.time()))
            raise RateLimited(retry_after=retry_after, per_minute=limit.amount)


@functools.lru_cache(maxsize=1024)
def _per_minute(amount: int) -> RateLimitItem:
    return RateLimitItemPerMinute(amount)
