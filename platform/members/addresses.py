"""A member's address book: where they ship to, picked from when they redeem a physical
item (from the mall's pages, or through the merchant's app and the API).

Each address has the fields of an order's shipping address (`schemas.Address`) and is
sealed the same way (`seal`: personal data, encrypted at rest), with a label of the
member's own. A member keeps at most `MOST`, and exactly one default while they keep
any: the first saved becomes it, and deleting it passes it to the newest remaining.
Every change is audited (the label and the default, never the address) and announced
as `member.address_book_changed`. Erasing the member deletes the book
(`service.erase_member`); an erased member keeps none.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import tenant_of
from jifen.errors import Conflict, NotFound
from jifen.i18n import N_
from jifen.keyring import Keyring
from jifen.members.domain_events import AddressBookChanged
from jifen.members.models import Member, SavedAddress
from jifen.members.service import MemberErased, MemberMerged
from jifen.outbox.events import emit
from jifen.types import new_id

MOST = 10  # addresses a member keeps


class AddressBookFull(Conflict):
    code = "address_book_full"
    message = N_("An address book keeps at most %(most)s addresses: delete one first.")


@dataclass(frozen=True)
class SavedAddressView:
    """A saved address, opened: `address` has the fields of `schemas.Address`."""

    id: uuid.UUID
    address: dict[str, Any]
    label: str | None
    is_default: bool
    created_at: datetime
    updated_at: datetime


def seal(address: dict[str, Any], keyring: Keyring) -> str:
    """An address as it is kept, here and on an order: encrypted, personal data."""
    return keyring.encrypt(json.dumps(address, ensure_ascii=False))


def unseal(sealed: str, keyring: Keyring) -> dict[str, Any]:
    """An address kept by `seal`, opened."""
    address: dict[str, Any] = json.loads(keyring.decrypt(sealed))
    return address


def book_of(session: Session, member_id: uuid.UUID, keyring: Keyring) -> list[SavedAddressView]:
    """The member's saved addresses: the default first, then the newest first."""
    rows = session.scalars(
        select(SavedAddress)
        .where(SavedAddress.member_id == member_id)
        .order_by(
            SavedAddress.is_default.desc(), SavedAddress.created_at.desc(), SavedAddress.id.desc()
        )
    )
    return [_view(row, keyring) for row in rows]


def saved_address(
    session: Session, member_id: uuid.UUID, address_id: uuid.UUID, keyring: Keyring
) -> SavedAddressView:
    """One of the member's saved addresses; NotFound for anyone else's, as for none."""
    return _view(_own(session, member_id, address_id), keyring)


def ship_to(
    session: Session, member_id: uuid.UUID, address_id: uuid.UUID, keyring: Keyring
) -> dict[str, Any]:
    """What an order placed for the member ships to when it names one of their saved
    addresses: NotFound for no such member, then for no such address of theirs."""
    if session.scalar(select(Member.id).where(Member.id == member_id)) is None:
        raise NotFound("member", member_id)
    return saved_address(session, member_id, address_id, keyring).address


def add(
    session: Session,
    member_id: uuid.UUID,
    address: dict[str, Any],
    *,
    label: str | None,
    make_default: bool,
    actor: Actor,
    clock: Clock,
    keyring: Keyring,
) -> SavedAddressView:
    """Save an address to the member's book (the first saved is the default);
    AddressBookFull past `MOST`."""
    _lock(session, member_id)
    kept = session.scalar(
        select(func.count()).select_from(SavedAddress).where(SavedAddress.member_id == member_id)
    )
    if kept and kept >= MOST:
        raise AddressBookFull(params={"most": MOST}, details={"most": MOST})
    now = clock.now()
    if make_default:
        _clear_default(session, member_id)
    row = SavedAddress(
        tenant_id=tenant_of(session),
        id=new_id(),
        member_id=member_id,
        address=seal(address, keyring),
        label=label,
        is_default=make_default or not kept,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    _record(session, row, "added", actor=actor, now=now)
    return _view(row, keyring)


def remember(
    session: Session,
    member_id: uuid.UUID,
    address: dict[str, Any],
    *,
    label: str | None = None,
    default: bool = False,
    actor: Actor,
    clock: Clock,
    keyring: Keyring,
) -> SavedAddressView:
    """`add` from a form a member may send twice (a second tap, an address they ship to
    again): an address their book has already is not added again, but takes the label
    given and becomes the default if asked."""
    wanted = _same(address)
    for kept in book_of(session, member_id, keyring):
        if _same(kept.address) == wanted:
            found = kept
            if label is not None and label != kept.label:
                found = edit(
                    session,
                    member_id,
                    kept.id,
                    address,
                    label=label,
                    actor=actor,
                    clock=clock,
                    keyring=keyring,
                )
            if default and not kept.is_default:
                found = make_default(
                    session, member_id, kept.id, actor=actor, clock=clock, keyring=keyring
                )
            return found
    return add(
        session,
        member_id,
        address,
        label=label,
        make_default=default,
        actor=actor,
        clock=clock,
        keyring=keyring,
    )


def edit(
    session: Session,
    member_id: uuid.UUID,
    address_id: uuid.UUID,
    address: dict[str, Any],
    *,
    label: str | None,
    actor: Actor,
    clock: Clock,
    keyring: Keyring,
) -> SavedAddressView:
    """Replace a saved address and its label (it stays the default, or not)."""
    row = _own(session, member_id, address_id)
    now = clock.now()
    row.address, row.label, row.updated_at = seal(address, keyring), label, now
    session.flush()
    _record(session, row, "edited", actor=actor, now=now)
    return _view(row, keyring)


def make_default(
    session: Session,
    member_id: uuid.UUID,
    address_id: uuid.UUID,
    *,
    actor: Actor,
    clock: Clock,
    keyring: Keyring,
) -> SavedAddressView:
    """Make a saved address the one picked first (the default before is no longer)."""
    _lock(session, member_id)
    row = _own(session, member_id, address_id)
    if not row.is_default:
        now = clock.now()
        _clear_default(session, member_id)
        row.is_default, row.updated_at = True, now
        session.flush()
        _record(session, row, "default", actor=actor, now=now)
    return _view(row, keyring)


def delete_address(
    session: Session, member_id: uuid.UUID, address_id: uuid.UUID, *, actor: Actor, clock: Clock
) -> None:
    """Delete a saved address; the default's place passes to the newest remaining."""
    _lock(session, member_id)
    row = _own(session, member_id, address_id)
    now = clock.now()
    session.delete(row)
    session.flush()
    _record(session, row, "deleted", actor=actor, now=now)
    if row.is_default:
        newest = session.scalars(
            select(SavedAddress)
            .where(SavedAddress.member_id == member_id)
            .order_by(SavedAddress.created_at.desc(), SavedAddress.id.desc())
            .limit(1)
        ).first()
        if newest is not None:
            newest.is_default, newest.updated_at = True, now
            session.flush()
            _record(session, newest, "default", actor=actor, now=now)


def _own(session: Session, member_id: uuid.UUID, address_id: uuid.UUID) -> SavedAddress:
    row = session.get(SavedAddress, (tenant_of(session), address_id))
    if row is None or row.member_id != member_id:
        raise NotFound("address", address_id)
    return row


def _lock(session: Session, member_id: uuid.UUID) -> None:
    """Lock the member's row: their book's changes queue here, so its count and its one
    default hold under concurrent requests. NotFound for no such member, MemberErased
    for one erased, MemberMerged for one merged into another (which keeps nothing
    personal: its book is the other's now)."""
    status = session.scalar(select(Member.status).where(Member.id == member_id).with_for_update())
    if status is None:
        raise NotFound("member", member_id)
    if status == "erased":
        raise MemberErased()
    if status == "merged":
        raise MemberMerged()


def _clear_default(session: Session, member_id: uuid.UUID) -> None:
    session.execute(
        update(SavedAddress)
        .where(SavedAddress.member_id == member_id, SavedAddress.is_default)
        .values(is_default=False)
    )


def _same(address: dict[str, Any]) -> tuple[str, ...]:
    """An address's fields as compared: blanks and a missing postal code alike."""
    fields = ("name", "phone", "region", "line", "postal_code")
    return tuple(" ".join(str(address.get(field) or "").split()) for field in fields)


def _record(
    session: Session, row: SavedAddress, change: str, *, actor: Actor, now: datetime
) -> None:
    """Audit and announce a change of the book: the label and the default, never the
    address (personal data)."""
    audit.record(
        session,
        tenant_id=row.tenant_id,
        actor=actor,
        action=f"member.address_{change}",
        object_type="member_address",
        object_id=row.id,
        after={"member_id": str(row.member_id), "label": row.label, "is_default": row.is_default},
        now=now,
    )
    emit(
        session,
        AddressBookChanged(row.member_id, row.id, change),
        now=now,
        tenant_id=row.tenant_id,
    )


def _view(row: SavedAddress, keyring: Keyring) -> SavedAddressView:
    return SavedAddressView(
        id=row.id,
        address=unseal(row.address, keyring),
        label=row.label,
        is_default=row.is_default,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
