"""Console sign-in throttling: after too many failed attempts for an account, or from
one client address, every attempt is refused for a while, the right password included.

The counts are rows (`sign_in_throttles`), shared by every worker process. An account
allows 5 failures in 15 minutes, an address 20 (offices and mobile carriers put many
people behind one address); the next attempt is then refused for 15 minutes. A success
clears the account's count, not the address's, so one valid account does not buy an
attacker more guesses at others. The account's count is kept by the email as typed, known or not:
otherwise the refusal itself would tell which emails have accounts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from jifen.db import rowcount, upsert
from jifen.errors import JifenError
from jifen.i18n import N_
from jifen.tenants.models import SignInThrottle

WINDOW = timedelta(minutes=15)
BLOCK = timedelta(minutes=15)
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20


class TooManySignIns(JifenError):
    code = "too_many_sign_ins"
    status = 429
    message = N_("Too many failed sign-ins. Try again later.")

    def __init__(self, retry_after: int) -> None:
        minutes = math.ceil(retry_after / 60)
        super().__init__(
            N_("Too many failed sign-ins. Try again in %(minutes)s minutes.")
            if minutes > 1
            else N_("Too many failed sign-ins. Try again in 1 minute."),
            details={"retry_after": retry_after},
            params={"minutes": minutes},
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    """Who tries to sign in, as the throttle counts them: `email` names the account (a
    console user's email, or for a mall's sign-in codes the tenant and the keyed hash of
    the phone or email), `address` the client's; `scope` keeps the console's counts
    apart from each mall's."""

    email: str
    address: str | None
    scope: str = ""

    def counters(self) -> dict[str, int]:
        """Each count's key, with how many failures it allows in a window."""
        prefix = f"{self.scope}:" if self.scope else ""
        keys = {f"{prefix}account:{self.email.strip().lower()}": ACCOUNT_FAILURES}
        if self.address:
            keys[f"{prefix}address:{self.address}"] = ADDRESS_FAILURES
        return keys


def check(session: Session, attempt: Attempt, now: datetime) -> None:
    """Refuse the attempt (TooManySignIns, with the seconds to wait) while any of its
    counts is blocked."""
    rows = [session.get(SignInThrottle, key) for key in attempt.counters()]
    blocked = [row.blocked_until for row in rows if row and row.blocked_until]
    until = max((moment for moment in blocked if moment > now), default=None)
    if until is not None:
        raise TooManySignIns(retry_after=math.ceil((until - now).total_seconds()))


def record_failure(session: Session, attempt: Attempt, now: datetime) -> None:
    """Count a failed attempt; a count that reaches its limit blocks for BLOCK. Each
    row is locked while counted (FOR UPDATE), so concurrent failures all count."""
    connection = session.connection()
    for key, limit in attempt.counters().items():
        connection.execute(
            upsert(connection, SignInThrottle.__table__).on_conflict_do_nothing(),
            {"key": key, "failures": 0, "window_started_at": now, "blocked_until": None},
        )
        row = session.get_one(SignInThrottle, key, with_for_update=True, populate_existing=True)
        if now - row.window_started_at >= WINDOW:
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        if row.failures >= limit:
            # Blocked; the block starts the next window.
            row.blocked_until = now + BLOCK
            row.failures, row.window_started_at = 0, now


def record_success(session: Session, attempt: Attempt) -> None:
    """Forget the account's failures (the address's stand)."""
    account = next(iter(attempt.counters()))
    session.execute(delete(SignInThrottle).where(SignInThrottle.key == account))


def forget_stale(session: Session, now: datetime) -> int:
    """Remove counts whose window and block are over; returns how many."""
    result = session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.window_started_at <= now - WINDOW,
            (SignInThrottle.blocked_until.is_(None)) | (SignInThrottle.blocked_until <= now),
        )
    )
    return rowcount(result)
