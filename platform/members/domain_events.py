"""The members' domain events. Payloads carry ids, never personal data: the log is
read by subscribers and kept for days, and an erased member must stay erased."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from jifen.outbox.events import DomainEvent


@dataclass(frozen=True)
class MemberRegistered(DomainEvent):
    """A merchant registered a member (under its own id, which erasure overwrites: so it
    is not in the payload; version 1 carried it)."""

    type = "member.registered"
    version = 2
    aggregate = "member"
    aggregate_field = "member_id"

    member_id: uuid.UUID


@dataclass(frozen=True)
class TierChanged(DomainEvent):
    """A member moved from tier `before` to tier `after` (codes; None is below every
    tier)."""

    type = "member.tier_changed"
    aggregate = "member"
    aggregate_field = "member_id"

    member_id: uuid.UUID
    before: str | None
    after: str | None


@dataclass(frozen=True)
class AddressBookChanged(DomainEvent):
    """A member's address book changed: `change` is `added`, `edited`, `deleted` or
    `default` (the address picked first now). The addresses themselves are read from
    the book (GET /members/{id}/addresses), never carried here."""

    type = "member.address_book_changed"
    aggregate = "member"
    aggregate_field = "member_id"

    member_id: uuid.UUID
    address_id: uuid.UUID
    change: str


@dataclass(frozen=True)
class MergedIntoMember(DomainEvent):
    """A member (`member_id`, one the mall made at a code sign-in) was merged into
    another (`into_id`): what it had is that member's now (jifen.members.merging)."""

    type = "member.merged"
    aggregate = "member"
    aggregate_field = "member_id"

    member_id: uuid.UUID
    into_id: uuid.UUID
