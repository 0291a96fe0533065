"""One-time sign-in codes: a member who opens the mall directly, not from the merchant's
app, signs in with a code sent to their phone (SMS) or email.

The address typed is normalised and looked up by its keyed hash among the tenant's
members. A code is made either way (the page then reads the same whether or not the
address is a member's, so it tells a stranger nothing), and sent after commit by the
relay through the notifier serving its channel (`jifen.notify.codes`). A code has
`DIGITS` digits, lives `LIFE`, and allows `ATTEMPTS` tries; it is kept encrypted for the
sending and as its keyed hash for the checking. How often codes may be asked for is the
caller's to throttle (the storefront counts per address and per client).

A correct code for an address that is no member's makes a member of it where the tenant
chooses so (`code_sign_in_creates_members`): origin "code", the phone or email stored as
every member's is, and no merchant's user id until the merchant gives one or merges the
member into its own (`jifen.members.merging`).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import delete_expired, tenant_of
from jifen.errors import JifenError
from jifen.i18n import N_
from jifen.keyring import Keyring
from jifen.members.models import Member, SignInCode
from jifen.members.service import create_member, normalize_email, normalize_phone
from jifen.outbox.events import DomainEvent, emit
from jifen.types import new_id

LIFE = timedelta(minutes=10)
DIGITS = 6
ATTEMPTS = 5
# Who made a member for a code, in the audit log.
CODE = Actor(kind="system", id="sign-in code")


@dataclass(frozen=True)
class SignInCodeRequested(DomainEvent):
    """A sign-in code is to be sent: the code's id only (events hold no personal data)."""

    type = "member.sign_in_code_requested"
    aggregate = "sign_in_code"
    aggregate_field = "code_id"

    code_id: uuid.UUID


class SignInCodeRefused(JifenError):
    code = "sign_in_code_refused"
    status = 422
    message = N_("This code has expired or was tried too often. Ask for a new one.")


class WrongSignInCode(JifenError):
    code = "wrong_sign_in_code"
    status = 422
    message = N_("That code is not right. Check it and try again.")


class NotAMember(JifenError):
    code = "not_a_member"
    status = 403
    message = N_("No member of this mall has this phone number or email.")


def channel_of(address: str) -> tuple[str, str]:
    """The channel and the normalised address of what was typed: an email (it has an
    @), else a phone number (`ValidationFailed` for neither)."""
    if "@" in address:
        return "email", normalize_email(address).lower()
    return "sms", normalize_phone(address)


def active_by_contact(
    session: Session, channel: str, normalised: str, keyring: Keyring, *, most: int = 1
) -> list[uuid.UUID]:
    """Up to `most` active members whose phone number (`channel` "sms") or email this is
    (what `channel_of` made of what was typed), the longest-standing first. A member
    merged into another found by it stands for that member (`jifen.members.merging`
    keeps the hash of what the other has another of): the same person."""
    lookup = keyring.lookup_hash(normalised)
    column = Member.email_lookup if channel == "email" else Member.phone_lookup
    found = aliased(Member)
    query = (
        select(found.id, found.created_at)
        .join(
            Member,
            (Member.tenant_id == found.tenant_id)
            & (func.coalesce(Member.merged_into, Member.id) == found.id),
        )
        .where(column == lookup, found.status == "active")
        .distinct()
        .order_by(found.created_at, found.id)
        .limit(most)
    )
    return [member_id for member_id, _ in session.execute(query)]


def request_code(
    session: Session,
    channel: str,
    normalised: str,
    *,
    locale: str,
    clock: Clock,
    keyring: Keyring,
) -> uuid.UUID:
    """Make a code for an address (`channel_of` what was typed) and have it sent after
    commit, in `locale`; the code's id."""
    member_id = next(iter(active_by_contact(session, channel, normalised, keyring)), None)
    now = clock.now()
    code = "".join(secrets.choice("0123456789") for _ in range(DIGITS))
    code_id = new_id()
    session.add(
        SignInCode(
            tenant_id=tenant_of(session),
            id=code_id,
            channel=channel,
            to_encrypted=keyring.encrypt(normalised),
            member_id=member_id,
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
    emit(session, SignInCodeRequested(code_id), now=now, tenant_id=tenant_of(session))
    return code_id


def _digest(keyring: Keyring, code_id: uuid.UUID, code: str) -> bytes:
    return keyring.lookup_hash(f"sign-in-code:{code_id}:{code}")


def check_code(
    session: Session,
    code_id: uuid.UUID,
    typed: str,
    *,
    creates: bool,
    clock: Clock,
    keyring: Keyring,
) -> tuple[Member, bool]:
    """The member the code signs in, the code used up, and whether the code made the
    member (`creates`: the tenant makes members of addresses that are nobody's).
    `WrongSignInCode` counts a try (the caller commits it); `SignInCodeRefused` for a
    code expired, used, tried `ATTEMPTS` times, or unknown; `NotAMember` for an address
    that is nobody's here (or a frozen member's) when none is to be made."""
    now = clock.now()
    row = session.get(SignInCode, (tenant_of(session), code_id), with_for_update=True)
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise SignInCodeRefused()
    if row.attempts >= ATTEMPTS:
        raise SignInCodeRefused()
    given = "".join(typed.split())
    if not hmac.compare_digest(row.code_digest, _digest(keyring, code_id, given)):
        row.attempts += 1
        session.flush()
        raise WrongSignInCode(details={"tries_left": ATTEMPTS - row.attempts})
    row.used_at = now
    member = session.get(Member, (row.tenant_id, row.member_id)) if row.member_id else None
    if member is not None and member.status in ("active", "frozen"):
        if member.status != "active":
            raise NotAMember()
        return member, False
    # Nobody's when the code was asked for (or its member's since merged or erased):
    # whose it is now, else a new member's where the tenant makes them.
    address = keyring.decrypt(row.to_encrypted)
    found = active_by_contact(session, row.channel, address, keyring)
    if found:
        return session.get_one(Member, (row.tenant_id, found[0])), False
    if not creates or _held(session, row.channel, address, keyring):
        raise NotAMember()
    field = "email" if row.channel == "email" else "phone"
    made = create_member(
        session,
        row.tenant_id,
        {"external_id": None, field: address},
        actor=CODE,
        clock=clock,
        keyring=keyring,
        origin="code",
    )
    return session.get_one(Member, (row.tenant_id, made.id)), True


def _held(session: Session, channel: str, normalised: str, keyring: Keyring) -> bool:
    """Whether a member who is not active (frozen, or merged into a frozen one) has this
    phone number or email: such an address makes no new member."""
    column = Member.email_lookup if channel == "email" else Member.phone_lookup
    query = select(Member.id).where(column == keyring.lookup_hash(normalised)).limit(1)
    return session.scalar(query) is not None


def purge_expired(session: Session, now: datetime) -> int:
    """Forget codes that have expired, for every tenant."""
    return delete_expired(session, SignInCode.expires_at, now, "sign-in code")
