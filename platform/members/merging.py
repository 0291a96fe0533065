"""Merging a member the mall made into the merchant's own.

A visitor who signs in with a code may become a member of the mall's making (origin
"code", no user id of the merchant's: `jifen.members.sign_in_codes`). When the merchant's
own system registers that person, or has them already, the merchant merges the mall's
member into its own: everything the first had moves to the second, in one transaction,
and the first is closed (status "merged", `merged_into` naming the second), so that its
id keeps resolving for the merchant, to say where it went. Until then the merchant may
instead give the mall's member its user id (`PATCH /members/{id}`), once: it is then the
merchant's member like any other, and no longer merged.

Here, the members' own part: the check-ins (a day both checked in keeps the one merged
into), the daily totals tiers count (summed), who invited whom (the member merged into
keeps its own inviter), the notice choices (the later choice per kind), the merchant's
tags (of either), the saved addresses (as many as a book holds), the phone,
email, name, birthday and language where the member merged into has none (the merged
one keeps nothing personal but the keyed hash of a phone or email the other has another
of, so that the person's next code sign-in with it finds the member merged into), and
the browsers signed in (signed in as the member merged into: the same person). The
other domains move theirs in the same transaction, reacting to `MergedIntoMember`
(jifen.subscriptions): the ledger the points (jifen.ledger.merging), the mall the orders
and what they issued, the earn engine the member's events.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import reassign
from jifen.errors import JifenError, NotFound
from jifen.i18n import N_
from jifen.members import addresses, sql
from jifen.members.domain_events import MergedIntoMember
from jifen.members.models import (
    Checkin,
    Member,
    MemberDay,
    MemberTag,
    NoticeChoice,
    Referral,
    SavedAddress,
)
from jifen.members.service import MemberMerged
from jifen.outbox.events import emit
from jifen.tenants import hand_over_sessions

PERSONAL = ("name", "birthday", "locale")
CONTACTS = ("phone", "email")


class MergeIntoItself(JifenError):
    code = "merge_into_itself"
    status = 422
    message = N_("A member cannot be merged into itself.")


class NotMadeByCode(JifenError):
    code = "not_code_made"
    status = 409
    message = N_(
        "Only a member the mall made at a code sign-in, and not given your user id yet,"
        " can be merged into another."
    )


class MergeNotActive(JifenError):
    code = "member_not_active"
    status = 409
    message = N_("Frozen and erased members are not merged, nor merged into.")


class TargetMerged(JifenError):
    code = "target_merged"
    status = 409
    message = N_("That member has been merged into another itself: merge into that one.")


def merge(
    session: Session,
    member_id: uuid.UUID,
    into_id: uuid.UUID,
    *,
    actor: Actor,
    clock: Clock,
) -> Member:
    """Merge the member the mall made into `into_id` (see the module's docstring); the
    merged member. Merging it again into the same member changes nothing. Another
    tenant's member is not found, as a missing one."""
    source, target = _locked(session, member_id, into_id)
    if source.id == target.id:
        raise MergeIntoItself()
    if source.status == "merged":
        if source.merged_into == target.id:
            return source
        raise MemberMerged(details={"merged_into": str(source.merged_into)})
    if source.origin != "code" or source.external_id is not None:
        raise NotMadeByCode(details={"member_id": str(source.id)})
    if target.status == "merged":
        raise TargetMerged(details={"merged_into": str(target.merged_into)})
    for member in (source, target):
        if member.status != "active":
            raise MergeNotActive(details={"member_id": str(member.id), "status": member.status})
    now = clock.now()
    _move_checkins(session, source.id, target.id)
    _move_days(session, source, target.id)
    _move_referrals(session, source, target.id)
    _move_notice_choices(session, source, target.id)
    _move_addresses(session, source.id, target.id)
    _move_tags(source, target)
    _move_personal(source, target)
    hand_over_sessions(session, source.tenant_id, source.id, target.id)
    # Members merged into this one before: into the new one, so that a pointer is one hop.
    reassign(session, Member.merged_into, source.id, target.id)
    source.status, source.merged_into, source.merged_at = "merged", target.id, now
    source.updated_at = target.updated_at = now
    session.flush()
    audit.record(
        session,
        tenant_id=source.tenant_id,
        actor=actor,
        action="member.merge",
        object_type="member",
        object_id=source.id,
        before={"status": "active"},
        after={"status": "merged", "merged_into": str(target.id)},
        now=now,
    )
    emit(session, MergedIntoMember(source.id, target.id), now=now, actor=actor)
    return source


def _locked(session: Session, member_id: uuid.UUID, into_id: uuid.UUID) -> tuple[Member, Member]:
    """Both members, read afresh with their rows locked in id order (as the ledger locks
    wallets: no deadlock), so that a concurrent merge of either waits for this one and
    then sees it. NotFound for a member missing, or another tenant's."""
    rows = session.scalars(
        select(Member)
        .where(Member.id.in_({member_id, into_id}))
        .order_by(Member.id)
        .with_for_update(of=Member)
        .execution_options(populate_existing=True)
    )
    found = {member.id: member for member in rows}
    for wanted in (member_id, into_id):
        if wanted not in found:
            raise NotFound("member", wanted)
    return found[member_id], found[into_id]


def _move_checkins(session: Session, source: uuid.UUID, into: uuid.UUID) -> None:
    checked_in = select(Checkin.day).where(Checkin.member_id == into)
    session.execute(
        delete(Checkin)
        .where(Checkin.member_id == source, Checkin.day.in_(checked_in))
        .execution_options(synchronize_session=False)
    )
    reassign(session, Checkin.member_id, source, into)


def _move_days(session: Session, source: Member, into: uuid.UUID) -> None:
    days = session.execute(
        select(MemberDay.day, MemberDay.points, MemberDay.spend).where(
            MemberDay.member_id == source.id
        )
    )
    totals = {(into, day): (points, spend) for day, points, spend in days}
    sql.add_to_days(session.connection(), source.tenant_id, totals)
    session.execute(
        delete(MemberDay)
        .where(MemberDay.member_id == source.id)
        .execution_options(synchronize_session=False)
    )


def _move_referrals(session: Session, source: Member, into: uuid.UUID) -> None:
    # Who invited the person: the member merged into keeps its own inviter, if it has one.
    invited = session.get(Referral, (source.tenant_id, into)) is not None
    dropped = Referral.invitee_id == source.id
    if not invited:
        dropped &= Referral.inviter_id == into  # no member invites itself
    _delete_referrals(session, dropped)
    reassign(session, Referral.invitee_id, source.id, into)
    # Whom the person invited: the member merged into's invitees now, but itself.
    _delete_referrals(session, (Referral.inviter_id == source.id) & (Referral.invitee_id == into))
    reassign(session, Referral.inviter_id, source.id, into)


def _delete_referrals(session: Session, where: ColumnElement[bool]) -> None:
    session.execute(delete(Referral).where(where).execution_options(synchronize_session=False))


def _move_notice_choices(session: Session, source: Member, into: uuid.UUID) -> None:
    """Per kind of notice, the later of the two members' choices."""
    for choice in session.scalars(select(NoticeChoice).where(NoticeChoice.member_id == source.id)):
        kept = session.get(NoticeChoice, (source.tenant_id, into, choice.topic))
        if kept is None:
            kept = NoticeChoice(tenant_id=source.tenant_id, member_id=into, topic=choice.topic)
            session.add(kept)
        elif kept.chosen_at >= choice.chosen_at:
            session.delete(choice)
            continue
        kept.wanted, kept.chosen_at, kept.chosen_in = (
            choice.wanted,
            choice.chosen_at,
            choice.chosen_in,
        )
        session.delete(choice)


def _move_addresses(session: Session, source: uuid.UUID, into: uuid.UUID) -> None:
    """The merged member's saved addresses join the other's book, newest first, as far
    as a book holds (`addresses.MOST`; the rest go with the merged member's personal
    data); the other's default stays its default."""
    book = select(SavedAddress).where(SavedAddress.member_id == into)
    kept = list(session.scalars(book))
    room = max(0, addresses.MOST - len(kept))
    moved = session.scalars(
        select(SavedAddress)
        .where(SavedAddress.member_id == source)
        .order_by(SavedAddress.created_at.desc(), SavedAddress.id.desc())
    ).all()
    for index, saved in enumerate(moved):
        if index >= room:
            session.delete(saved)
            continue
        saved.member_id = into
        saved.is_default = saved.is_default and not kept
    session.flush()


def _move_tags(source: Member, target: Member) -> None:
    """The merchant's tags of either member, on the member merged into."""
    have = set(target.tags)
    moved = [
        MemberTag(tenant_id=target.tenant_id, member_id=target.id, tag=tag)
        for tag in source.tags
        if tag not in have
    ]
    target.tag_rows = sorted([*target.tag_rows, *moved], key=lambda row: row.tag)
    source.tag_rows = []


def _move_personal(source: Member, target: Member) -> None:
    """What the target lacks of the person, from the merged member, which keeps nothing
    personal but the keyed hash of a phone number or email the target has another of:
    a later code sign-in with it finds the target (`sign_in_codes.active_by_contact`),
    and erasing the target forgets it (`service.erase_member`)."""
    for field in PERSONAL:
        if getattr(target, field) is None:
            setattr(target, field, getattr(source, field))
        setattr(source, field, None)
    for field in CONTACTS:
        encrypted, lookup = f"{field}_encrypted", f"{field}_lookup"
        if getattr(target, encrypted) is None:
            setattr(target, encrypted, getattr(source, encrypted))
            setattr(target, lookup, getattr(source, lookup))
        if getattr(source, lookup) == getattr(target, lookup):
            setattr(source, lookup, None)  # the target's own now: it finds the target
        setattr(source, encrypted, None)
