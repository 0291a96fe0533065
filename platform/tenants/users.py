"""Console users and their staff memberships. Passwords are hashed with argon2."""

from __future__ import annotations

import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.errors import Conflict, JifenError, ValidationFailed
from jifen.field_messages import one_of
from jifen.i18n import N_, Message
from jifen.tenants import lookups, sessions, throttle
from jifen.tenants.models import ROLES, StaffMembership, Tenant, User

MIN_PASSWORD = 10
MAX_PASSWORD = 1024


class LoginFailed(JifenError):
    code = "login_failed"
    status = 401
    message = N_("Wrong email or password.")


def _hasher() -> PasswordHasher:
    return PasswordHasher()


# Verified against when the email is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher().hash("not a password of anyone")


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    clock: Clock,
    verified: bool = True,
) -> User:
    """A console user. The email is the login, compared case-insensitively; it counts as
    verified unless `verified` is False (a self-serve sign-up proves it with a code)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise ValidationFailed(details={"email": [Message(N_("Not an email address."))]})
    check_password(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(N_("This email is already registered."), details={"email": email})
    now = clock.now()
    user = User(
        email=email,
        name=name,
        password_hash=_hasher().hash(password),
        created_at=now,
        email_verified_at=now if verified else None,
    )
    session.add(user)
    session.flush()
    return user


def check_password(password: str) -> None:
    """Refuse a password too short to be one (ValidationFailed on `password`)."""
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            details={
                "password": [
                    Message(N_("At least %(length)s characters."), {"length": MIN_PASSWORD})
                ]
            }
        )
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed(
            details={
                "password": [
                    Message(N_("At most %(length)s characters."), {"length": MAX_PASSWORD})
                ]
            }
        )


def set_password(session: Session, user: User, password: str, *, clock: Clock) -> None:
    """Give the user a new password, ending every console session they have open (who
    reset it may be locking someone out)."""
    check_password(password)
    user.password_hash = _hasher().hash(password)
    sessions.revoke_subject(session, user.id, surface=sessions.CONSOLE, clock=clock)


def by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def authenticate(session: Session, *, email: str, password: str, clock: Clock) -> User:
    """The user with these credentials, or LoginFailed (the same for either mistake)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise LoginFailed() from None
    if user is None:
        raise LoginFailed()
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = clock.now()
    return user


def password_matches(user: User, password: str) -> bool:
    """Whether `password` is the user's: the check a signed-in user passes again before
    a change to how they sign in."""
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def sign_in(
    session: Session, *, email: str, password: str, address: str | None, clock: Clock
) -> User:
    """`authenticate`, throttled by account and by client address (jifen.tenants.throttle):
    TooManySignIns while either is blocked, whatever the password. A failure is counted
    in `session` before LoginFailed is raised: the caller commits it all the same."""
    attempt = throttle.Attempt(email=email, address=address)
    now = clock.now()
    throttle.check(session, attempt, now)
    try:
        user = authenticate(session, email=email, password=password, clock=clock)
    except LoginFailed:
        throttle.record_failure(session, attempt, now)
        raise
    throttle.record_success(session, attempt)
    return user


def add_staff(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    actor: Actor,
    clock: Clock,
) -> StaffMembership:
    """Make a user staff of a tenant with a role."""
    if role not in ROLES:
        raise ValidationFailed(details={"role": [one_of(ROLES)]})
    membership = StaffMembership(
        tenant_id=tenant_id, user_id=user_id, role=role, created_at=clock.now()
    )
    session.add(membership)
    session.flush()
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="staff.add",
        object_type="user",
        object_id=user_id,
        after={"role": role},
        now=clock.now(),
    )
    return membership


def tenants_of(session: Session, user_id: uuid.UUID) -> list[tuple[Tenant, str]]:
    """The tenants a user is staff of, with their role there."""
    staff = lookups.staff_roles(session.get_bind().dialect.name)
    rows = session.execute(
        select(Tenant, staff.c.role)
        .join(staff, staff.c.tenant_id == Tenant.id)
        .order_by(Tenant.name),
        {"user_id": user_id},
    )
    return [(tenant, role) for tenant, role in rows]
