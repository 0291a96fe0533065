"""One-time codes emailed to console users: one proves a new user's email is theirs
(`VERIFY_EMAIL`), another lets a user who forgot their password set a new one
(`RESET_PASSWORD`).

A code has `DIGITS` digits, lives `LIFE` and allows `ATTEMPTS` tries; it is kept
encrypted for the sending and as its keyed hash for the checking, and sent after commit
by the relay (`jifen.notify.console_codes`) in the language it was asked for in. A new
code for the same purpose ends the user's earlier ones. How often codes may be asked
for is the caller's to throttle (the console counts per email and per client address).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from jifen.clock import Clock
from jifen.db import rowcount
from jifen.errors import JifenError
from jifen.i18n import N_
from jifen.keyring import Keyring
from jifen.outbox.events import DomainEvent, emit
from jifen.tenants.models import User, UserCode
from jifen.types import new_id

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"  # noqa: S105 (what a code is for, not a password)
PURPOSES = (VERIFY_EMAIL, RESET_PASSWORD)
LIFE = timedelta(minutes=30)
DIGITS = 6
ATTEMPTS = 5


@dataclass(frozen=True)
class UserCodeRequested(DomainEvent):
    """A code is to be emailed to a console user: the code's id only."""

    type = "console.user_code_requested"
    aggregate = "user_code"
    aggregate_field = "code_id"

    code_id: uuid.UUID


class CodeRefused(JifenError):
    code = "code_refused"
    status = 422
    message = N_("This code has expired or was tried too often. Ask for a new one.")


class WrongCode(JifenError):
    code = "wrong_code"
    status = 422
    message = N_("That code is not right. Check it and try again.")


def request_code(
    session: Session,
    user: User,
    purpose: str,
    *,
    locale: str,
    clock: Clock,
    keyring: Keyring,
) -> uuid.UUID:
    """Make a code for `purpose` and have it emailed to the user after commit; its id."""
    assert purpose in PURPOSES
    now = clock.now()
    session.execute(
        update(UserCode)
        .where(UserCode.user_id == user.id, UserCode.purpose == purpose)
        .where(UserCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = "".join(secrets.choice("0123456789") for _ in range(DIGITS))
    code_id = new_id()
    session.add(
        UserCode(
            id=code_id,
            user_id=user.id,
            purpose=purpose,
            code_encrypted=keyring.encrypt(code),
            code_digest=_digest(keyring, code_id, code),
            locale=locale,
            attempts=0,
            expires_at=now + LIFE,
            used_at=None,
            created_at=now,
        )
    )
    session.flush()
    emit(session, UserCodeRequested(code_id), now=now, platform=True)
    return code_id


def _digest(keyring: Keyring, code_id: uuid.UUID, code: str) -> bytes:
    return keyring.lookup_hash(f"user-code:{code_id}:{code}")


def check_code(
    session: Session,
    code_id: uuid.UUID,
    typed: str,
    *,
    purpose: str,
    clock: Clock,
    keyring: Keyring,
) -> User:
    """The user whose code this is, the code used up. `WrongCode` counts a try (the
    caller commits it); `CodeRefused` for a code expired, used, tried `ATTEMPTS` times,
    unknown, or of another purpose."""
    now = clock.now()
    row = session.get(UserCode, code_id, with_for_update=True)
    if row is None or row.purpose != purpose or row.used_at is not None:
        raise CodeRefused()
    if row.expires_at <= now or row.attempts >= ATTEMPTS:
        raise CodeRefused()
    given = "".join(typed.split())
    if not hmac.compare_digest(row.code_digest, _digest(keyring, code_id, given)):
        row.attempts += 1
        session.flush()
        raise WrongCode(details={"tries_left": ATTEMPTS - row.attempts})
    row.used_at = now
    return session.get_one(User, row.user_id)


def latest(session: Session, user_id: uuid.UUID, purpose: str) -> uuid.UUID | None:
    """The id of the user's newest code for `purpose` that is still usable."""
    query = (
        select(UserCode.id)
        .where(UserCode.user_id == user_id, UserCode.purpose == purpose)
        .where(UserCode.used_at.is_(None))
        .order_by(UserCode.created_at.desc())
        .limit(1)
    )
    return session.scalar(query)


def purge_expired(session: Session, now: datetime) -> int:
    """Delete codes past their life; how many (a schedule runs it)."""
    return rowcount(session.execute(delete(UserCode).where(UserCode.expires_at <= now)))
