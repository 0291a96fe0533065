"""Two-factor sign-in for console users: a code from an authenticator app (TOTP, RFC
6238: 6 digits, a new one every 30 seconds) after the password, and recovery codes for
when the phone is lost.

Enrolling takes two steps: `start` keeps a new secret on the user (encrypted), and the
user proves their app holds it by typing a code (`confirm`). That turns two-factor on
and makes `RECOVERY_CODES` recovery codes, returned this once: only their keyed hashes
are kept, and each is good once. An app's code is good once too: the time step of the
last one accepted is kept, and a code of that step or an earlier one is refused, so a
code seen over a shoulder cannot be used again. A code of the step before or after the
server's is taken, for phones whose clocks drift.

How often codes may be tried is the caller's to throttle (the console counts tries like
sign-ins, jifen.tenants.throttle). A tenant's owner may require two-factor of all its
staff (`require`); the console then sends staff who have not enrolled to enrol.

A user belongs to no tenant, so their enrolling and leaving are recorded in the audit
log of each tenant they are staff of: its owners see who signs in how.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import set_tenant
from jifen.errors import Conflict, JifenError
from jifen.i18n import N_
from jifen.keyring import Keyring
from jifen.tenants import users
from jifen.tenants.models import RecoveryCode, Tenant, User

ISSUER = "Jifen"
RECOVERY_CODES = 10
# Recovery codes are read off paper and typed: no 0/o, 1/l.
_RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_RECOVERY_HALF = 5
_DRIFT_STEPS = 1


class WrongTwoFactorCode(JifenError):
    code = "wrong_two_factor_code"
    status = 422
    message = N_("That code is not right. Type the code your app shows now, or a recovery code.")


class AlreadyEnrolled(Conflict):
    code = "two_factor_on"
    message = N_("Two-factor sign-in is on already.")


class NotEnrolling(Conflict):
    code = "two_factor_not_started"
    message = N_("Start setting up two-factor sign-in first.")


class EnrolFirst(Conflict):
    code = "two_factor_enrol_first"
    message = N_("Turn on two-factor sign-in for yourself first: you are staff too.")


def enrolled(user: User) -> bool:
    """Whether the user signs in with a second factor."""
    return user.two_factor_since is not None


def start(session: Session, user: User, *, keyring: Keyring) -> str:
    """Begin enrolling: a new secret for the user's app, kept encrypted; returned for the
    QR code. Starting again replaces a secret not yet confirmed."""
    if enrolled(user):
        raise AlreadyEnrolled()
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = keyring.encrypt(secret)
    session.flush()
    return secret


def pending_secret(user: User, *, keyring: Keyring) -> str | None:
    """The secret of an enrolment started and not yet confirmed, if any."""
    if enrolled(user) or user.totp_secret_encrypted is None:
        return None
    return keyring.decrypt(user.totp_secret_encrypted)


def provisioning_uri(user: User, secret: str) -> str:
    """The `otpauth://` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def confirm(
    session: Session, user: User, code: str, *, actor: Actor, clock: Clock, keyring: Keyring
) -> list[str]:
    """Finish enrolling with a code from the app: two-factor is on from now. Returns the
    new recovery codes, never shown again. `WrongTwoFactorCode` if the code is not the
    app's; `NotEnrolling` if no enrolment was started."""
    secret = pending_secret(user, keyring=keyring)
    if secret is None:
        raise AlreadyEnrolled() if enrolled(user) else NotEnrolling()
    step = _matching_step(secret, code, after=None, now=clock.now())
    if step is None:
        raise WrongTwoFactorCode()
    user.two_factor_since = clock.now()
    user.totp_last_step = step
    codes = _new_recovery_codes(session, user, clock=clock, keyring=keyring)
    _record(session, user, "user.two_factor_on", actor=actor, now=clock.now())
    return codes


def verify(session: Session, user: User, code: str, *, clock: Clock, keyring: Keyring) -> str:
    """Check a second-factor code of an enrolled user: the app's ("totp") or a recovery
    code ("recovery"), which is used up. `WrongTwoFactorCode` otherwise, also for an app's
    code used before; the caller counts the try."""
    if not enrolled(user) or user.totp_secret_encrypted is None:
        raise WrongTwoFactorCode()
    secret = keyring.decrypt(user.totp_secret_encrypted)
    step = _matching_step(secret, code, after=user.totp_last_step, now=clock.now())
    if step is not None:
        user.totp_last_step = step
        return "totp"
    typed = _normalised_recovery(code)
    if typed is not None:
        row = session.get(RecoveryCode, (user.id, _digest(keyring, user.id, typed)))
        if row is not None and row.used_at is None:
            row.used_at = clock.now()
            return "recovery"
    raise WrongTwoFactorCode()


def disable(session: Session, user: User, *, actor: Actor, clock: Clock) -> None:
    """Turn two-factor off: the secret and the recovery codes are forgotten. The caller
    has checked the user's code or password."""
    was_on = enrolled(user)
    user.totp_secret_encrypted = None
    user.two_factor_since = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    if was_on:
        _record(session, user, "user.two_factor_off", actor=actor, now=clock.now())


def renew_recovery_codes(
    session: Session, user: User, *, actor: Actor, clock: Clock, keyring: Keyring
) -> list[str]:
    """New recovery codes in place of the old ones (used or not), returned this once."""
    if not enrolled(user):
        raise NotEnrolling()
    codes = _new_recovery_codes(session, user, clock=clock, keyring=keyring)
    _record(session, user, "user.recovery_codes_renewed", actor=actor, now=clock.now())
    return codes


def recovery_codes_left(session: Session, user_id: uuid.UUID) -> int:
    """How many of the user's recovery codes are still unused."""
    query = select(func.count()).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
    )
    return session.scalar(query) or 0


def require(
    session: Session,
    tenant_id: uuid.UUID,
    required: bool,
    *,
    by: User,
    actor: Actor,
    clock: Clock,
) -> Tenant:
    """Require (or stop requiring) two-factor sign-in of every staff member of the
    tenant. Whoever turns it on must use it already (`EnrolFirst`): they are staff too."""
    tenant = session.get_one(Tenant, tenant_id)
    if tenant.two_factor_required == required:
        return tenant
    if required and not enrolled(by):
        raise EnrolFirst()
    audit.record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action="tenant.two_factor_required",
        object_type="tenant",
        object_id=tenant.id,
        before={"two_factor_required": tenant.two_factor_required},
        after={"two_factor_required": required},
        now=clock.now(),
    )
    tenant.two_factor_required = required
    return tenant


def _matching_step(secret: str, code: str, *, after: int | None, now: datetime) -> int | None:
    """The time step (near `now`) whose code `code` is, if later than `after`."""
    typed = "".join(code.split())
    if len(typed) != 6 or not (typed.isascii() and typed.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for offset in range(-_DRIFT_STEPS, _DRIFT_STEPS + 1):
        step = current + offset
        if (after is None or step > after) and hmac.compare_digest(
            totp.at(now, counter_offset=offset), typed
        ):
            return step
    return None


def _normalised_recovery(code: str) -> str | None:
    typed = "".join(ch for ch in code.lower() if ch.isalnum())
    if len(typed) != 2 * _RECOVERY_HALF or not typed.isascii():
        return None
    return typed


def _digest(keyring: Keyring, user_id: uuid.UUID, normalised: str) -> bytes:
    return keyring.lookup_hash(f"recovery-code:{user_id}:{normalised}")


def _new_recovery_codes(
    session: Session, user: User, *, clock: Clock, keyring: Keyring
) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(2 * _RECOVERY_HALF))
        session.add(
            RecoveryCode(
                user_id=user.id,
                digest=_digest(keyring, user.id, raw),
                created_at=clock.now(),
                used_at=None,
            )
        )
        codes.append(f"{raw[:_RECOVERY_HALF]}-{raw[_RECOVERY_HALF:]}")
    session.flush()
    return codes


def _record(session: Session, user: User, action: str, *, actor: Actor, now: datetime) -> None:
    """Record a user's security change in each of their tenants' audit logs; the session
    is scoped to the tenant it was scoped to again after (or to none, for the ORM)."""
    scoped = session.info.get("tenant_id")
    memberships = users.tenants_of(session, user.id)
    for tenant, _role in memberships:
        set_tenant(session, tenant.id)
        audit.record(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action=action,
            object_type="user",
            object_id=user.id,
            now=now,
        )
    if scoped is not None:
        set_tenant(session, scoped)
    else:
        session.info.pop("tenant_id", None)
