"""Members: create, update, look up, search, freeze and erase.

Phone and email are personal data: encrypted at rest, looked up by keyed hash, never
logged or written to the audit log. Erasing a member anonymises the person and keeps
every ledger row that refers to them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.errors import JifenError, NotFound, ValidationFailed
from jifen.i18n import N_, Message
from jifen.keyring import Keyring
from jifen.members import sql
from jifen.members.domain_events import MemberRegistered
from jifen.members.models import Member, MemberTag, SavedAddress
from jifen.outbox.events import emit
from jifen.pagination import decode_cursor, page_of
from jifen.types import new_id

_PHONE_NOISE = re.compile(r"[\s().-]")
_PHONE = re.compile(r"^\+?[0-9]{5,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
PERSONAL_FIELDS = frozenset({"phone", "email", "name", "birthday"})
MAX_PAGE = 200
# An erased member's external id becomes `erased:<id>`; merchants may not use the prefix,
# or erasing that member would collide with their member and fail.
ERASED_PREFIX = "erased:"


class DuplicateExternalId(JifenError):
    code = "duplicate_external_id"
    status = 409
    message = N_("A member with this external_id already exists.")


class MemberErased(JifenError):
    code = "member_erased"
    status = 409
    message = N_("This member has been erased.")


class MemberMerged(JifenError):
    code = "member_merged"
    status = 409
    message = N_("This member has been merged into another: change that one.")


@dataclass(frozen=True)
class MemberView:
    """A member as callers see it, personal data decrypted."""

    id: uuid.UUID
    external_id: str | None  # None: a member the mall made, not given the merchant's id yet
    name: str | None
    phone: str | None
    email: str | None
    birthday: date | None
    tags: list[str]
    status: str
    created_at: datetime
    updated_at: datetime
    tier: str | None = None  # the tier's code (see /tiers), since `tier_since`
    tier_since: datetime | None = None
    erasure_requested_at: datetime | None = None
    origin: str = "merchant"
    merged_into: uuid.UUID | None = None
    merged_at: datetime | None = None


class PersonalValue(NamedTuple):
    plain: str | None
    encrypted: str | None
    lookup: bytes | None


def view(member: Member, keyring: Keyring) -> MemberView:
    return MemberView(
        id=member.id,
        external_id=member.external_id,
        name=member.name,
        phone=keyring.decrypt(member.phone_encrypted) if member.phone_encrypted else None,
        email=keyring.decrypt(member.email_encrypted) if member.email_encrypted else None,
        birthday=member.birthday,
        tags=member.tags,
        status=member.status,
        created_at=member.created_at,
        updated_at=member.updated_at,
        tier=member.tier,
        tier_since=member.tier_since,
        erasure_requested_at=member.erasure_requested_at,
        origin=member.origin,
        merged_into=member.merged_into,
        merged_at=member.merged_at,
    )


def normalize_phone(phone: str) -> str:
    value = _PHONE_NOISE.sub("", phone)
    if not _PHONE.match(value):
        raise ValidationFailed(details={"phone": [Message(N_("Not a phone number."))]})
    return value


def normalize_email(email: str) -> str:
    value = email.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValidationFailed(details={"email": [Message(N_("Not an email address."))]})
    return value


def _personal(field: str, value: str | None, keyring: Keyring) -> PersonalValue:
    """A phone number or email normalised, encrypted, and hashed for exact-match lookup."""
    if value is None:
        return PersonalValue(None, None, None)
    value = normalize_phone(value) if field == "phone" else normalize_email(value)
    return PersonalValue(value, keyring.encrypt(value), keyring.lookup_hash(value.lower()))


def _set_personal(member: Member, field: str, value: str | None, keyring: Keyring) -> None:
    personal = _personal(field, value, keyring)
    setattr(member, f"{field}_encrypted", personal.encrypted)
    setattr(member, f"{field}_lookup", personal.lookup)


def _set_tags(member: Member, tags: list[str]) -> None:
    wanted = sorted(set(tags))
    keep = [row for row in member.tag_rows if row.tag in wanted]
    have = {row.tag for row in keep}
    member.tag_rows = keep + [
        MemberTag(tenant_id=member.tenant_id, member_id=member.id, tag=t)
        for t in wanted
        if t not in have
    ]


def _stored(field: str, value: Any) -> Any:
    """A change's value as the member would hold it, to tell a change from a repeat."""
    if field == "tags":
        return sorted(set(value or []))
    if value is not None and field == "phone":
        return normalize_phone(value)
    if value is not None and field == "email":
        return normalize_email(value)
    return value


def _current(member: Member, field: str, keyring: Keyring) -> Any:
    if field in ("phone", "email"):
        encrypted = getattr(member, f"{field}_encrypted")
        return keyring.decrypt(encrypted) if encrypted else None
    if field == "tags":
        return sorted(member.tags)
    return getattr(member, field)


def _flush(session: Session, external_id: str | None) -> None:
    # The unique (tenant_id, external_id) index is the check, also against a concurrent
    # twin. The transaction is lost either way, and the request edge rolls it back.
    try:
        session.flush()
    except IntegrityError:
        raise DuplicateExternalId(details={"external_id": external_id}) from None


def _check_external_id(external_id: str) -> None:
    if external_id.startswith(ERASED_PREFIX):
        raise ValidationFailed(
            details={
                "external_id": [
                    Message(
                        N_("The prefix %(prefix)s is reserved."), {"prefix": repr(ERASED_PREFIX)}
                    )
                ]
            }
        )


def _taken(session: Session, external_id: str, *, other_than: uuid.UUID | None = None) -> bool:
    query = select(Member.id).where(Member.external_id == external_id)
    if other_than is not None:
        query = query.where(Member.id != other_than)
    return session.scalar(query) is not None


def create_member(
    session: Session,
    tenant_id: uuid.UUID,
    data: dict[str, Any],
    *,
    actor: Actor,
    clock: Clock,
    keyring: Keyring,
    origin: str = "merchant",
) -> MemberView:
    """Register a member under the merchant's own `external_id`, in the tenant's
    starting tier if its ladder has one (see `sql.insert_member`). A member the mall
    makes (`origin` "code") has no external id (None) until the merchant gives one."""
    external_id = data["external_id"]
    if external_id is not None:
        _check_external_id(external_id)
    now = clock.now()
    member_id = new_id()
    phone = _personal("phone", data.get("phone"), keyring)
    email = _personal("email", data.get("email"), keyring)
    tags = sorted(set(data.get("tags") or []))
    audit_event = audit.event(
        tenant_id=tenant_id,
        actor=actor,
        action="member.create",
        object_type="member",
        object_id=member_id,
        after=_redacted(data),
        now=now,
    )
    # The unique (tenant_id, external_id) index refuses a duplicate, concurrent ones too.
    try:
        tier = sql.insert_member(
            session,
            tenant_id,
            {
                "id": member_id,
                "external_id": external_id,
                "name": data.get("name"),
                "phone_encrypted": phone.encrypted,
                "phone_lookup": phone.lookup,
                "email_encrypted": email.encrypted,
                "email_lookup": email.lookup,
                "birthday": data.get("birthday"),
                "locale": None,
                "status": "active",
                "created_at": now,
                "updated_at": now,
                "erased_at": None,
                "erasure_requested_at": None,
                "tier_grace_until": None,
                "origin": origin,
                "merged_into": None,
                "merged_at": None,
            },
            tags,
            audit_event,
        )
    except IntegrityError:
        raise DuplicateExternalId(details={"external_id": external_id}) from None
    emit(session, MemberRegistered(member_id), now=now, tenant_id=tenant_id)
    return MemberView(
        id=member_id,
        external_id=external_id,
        name=data.get("name"),
        phone=phone.plain,
        email=email.plain,
        birthday=data.get("birthday"),
        tags=tags,
        status="active",
        created_at=now,
        updated_at=now,
        tier=tier,
        tier_since=now if tier else None,
        origin=origin,
    )


def check_new_member(data: dict[str, Any]) -> dict[str, Any]:
    """What `create_member` would register from `data`, checked without writing: the
    external id clear of the reserved prefix, the phone and email as they would be
    stored. Raises ValidationFailed naming every field it refuses."""
    problems: dict[str, list[Message]] = {}
    checked = dict(data)
    if checked.get("external_id") is not None:
        try:
            _check_external_id(checked["external_id"])
        except ValidationFailed as refused:
            problems |= refused.details
    for field, normalize in (("phone", normalize_phone), ("email", normalize_email)):
        if checked.get(field) is not None:
            try:
                checked[field] = normalize(checked[field])
            except ValidationFailed as refused:
                problems |= refused.details
    if problems:
        raise ValidationFailed(details=problems)
    return checked


def get_member(session: Session, member_id: uuid.UUID) -> Member:
    """A member of the session's tenant; another tenant's is simply not found."""
    member = session.get(Member, (session.info.get("tenant_id"), member_id))
    if member is None:
        raise NotFound("member", member_id)
    return member


def by_external_id(session: Session, external_id: str) -> uuid.UUID:
    """The id of the session tenant's member the merchant knows by `external_id`."""
    member_id = session.scalar(select(Member.id).where(Member.external_id == external_id))
    if member_id is None:
        raise NotFound("member", external_id)
    return member_id


def update_member(
    session: Session,
    member_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    actor: Actor,
    clock: Clock,
    keyring: Keyring,
) -> Member:
    """Change some fields; `None` clears an optional one. Fields given with the value
    they already have are no change: a patch of nothing new writes nothing (no audit
    record, `updated_at` kept)."""
    member = get_member(session, member_id)
    if member.status == "erased":
        raise MemberErased()
    if member.status == "merged":
        raise MemberMerged(details={"merged_into": str(member.merged_into)})
    changes = {
        field: value
        for field, value in changes.items()
        if _stored(field, value) != _current(member, field, keyring)
    }
    if not changes:
        return member
    if "external_id" in changes:
        _check_external_id(changes["external_id"])
    if "external_id" in changes and _taken(session, changes["external_id"], other_than=member.id):
        raise DuplicateExternalId(details={"external_id": changes["external_id"]})
    before = {"status": member.status, "external_id": member.external_id}
    for field, value in changes.items():
        if field in ("phone", "email"):
            _set_personal(member, field, value, keyring)
        elif field == "tags":
            _set_tags(member, value or [])
        else:
            setattr(member, field, value)
    member.updated_at = clock.now()
    _flush(session, changes.get("external_id"))
    audit.record(
        session,
        tenant_id=member.tenant_id,
        actor=actor,
        action="member.update",
        object_type="member",
        object_id=member.id,
        before=before,
        after=_redacted(changes),
        now=member.updated_at,
    )
    return member


def erase_member(session: Session, member_id: uuid.UUID, *, actor: Actor, clock: Clock) -> Member:
    """Anonymise the person (PIPL / GDPR erasure), delete their address book, and keep
    their ledger.

    The external id is replaced too: it often is a personal identifier (an OpenID, a
    phone number), and freeing it lets the person register again as someone new. The
    members merged into this one forget the hashes of the phone numbers and emails they
    kept to find it (`jifen.members.merging`): nothing finds the person any more. A
    member merged into another kept nothing else personal: erase that one.
    """
    member = get_member(session, member_id)
    if member.status == "merged":
        _forget_contacts(session, Member.id == member.id)
    if member.status in ("erased", "merged"):
        return member
    now = clock.now()
    member.external_id = f"{ERASED_PREFIX}{member.id}"
    member.name = None
    member.birthday = None
    member.phone_encrypted = member.phone_lookup = None
    member.email_encrypted = member.email_lookup = None
    _forget_contacts(session, Member.merged_into == member.id)
    member.tag_rows = []
    session.execute(delete(SavedAddress).where(SavedAddress.member_id == member.id))
    member.status = "erased"
    member.erased_at = now
    member.updated_at = now
    session.flush()
    audit.record(
        session,
        tenant_id=member.tenant_id,
        actor=actor,
        action="member.erase",
        object_type="member",
        object_id=member.id,
        now=now,
    )
    return member


def _forget_contacts(session: Session, which: ColumnElement[bool]) -> None:
    session.execute(
        update(Member)
        .where(which)
        .values(phone_lookup=None, email_lookup=None)
        .execution_options(synchronize_session="fetch")
    )


def _redacted(data: dict[str, Any]) -> dict[str, Any]:
    """What the audit log may keep: personal fields are named, never shown."""
    return {
        key: ("<redacted>" if key in PERSONAL_FIELDS and value is not None else value)
        for key, value in data.items()
    }


# --- lookup and search ---------------------------------------------------------------


def search_members(
    session: Session,
    *,
    keyring: Keyring,
    external_id: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    tag: str | None = None,
    name: str | None = None,
    tier: str | None = None,
    status: str | None = None,
    origin: str | None = None,
    erasure_requested: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Member], str | None]:
    """Members matching every given filter, newest first, and the next page's cursor."""
    query: Select[Member] = select(Member)
    if external_id is not None:
        query = query.where(Member.external_id == external_id)
    if phone is not None:
        query = query.where(Member.phone_lookup == keyring.lookup_hash(normalize_phone(phone)))
    if email is not None:
        email = normalize_email(email).lower()
        query = query.where(Member.email_lookup == keyring.lookup_hash(email))
    if tag is not None:
        query = query.where(Member.id.in_(select(MemberTag.member_id).where(MemberTag.tag == tag)))
    if name is not None:
        escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Member.name.ilike(f"%{escaped}%", escape="\\"))
    if tier is not None:
        query = query.where(Member.tier == tier)
    if status is not None:
        query = query.where(Member.status == status)
    if origin is not None:
        query = query.where(Member.origin == origin)
    if erasure_requested is not None:
        asked = Member.erasure_requested_at.is_not(None) & (Member.status != "erased")
        query = query.where(asked if erasure_requested else ~asked)
    if cursor is not None:
        (after,) = decode_cursor(cursor, uuid.UUID)
        query = query.where(Member.id < after)
    limit = max(1, min(limit, MAX_PAGE))
    rows = list(session.scalars(query.order_by(Member.id.desc()).limit(limit + 1)))
    return page_of(rows, limit, lambda member: (member.id,))
