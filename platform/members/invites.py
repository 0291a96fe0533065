"""A member's invitation code: the member it names and a keyed tag, so that anyone can
be given it and no one can forge another member's, with nothing stored. The mall puts
it in the invite link a member shares (jifen.storefront.invites)."""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid

from sqlalchemy.orm import Session

from jifen.keyring import Keyring
from jifen.members.models import Member

_TAG = 8  # bytes of the keyed hash a code carries
CODE_LENGTH = 32  # characters: 16 bytes of member id and the tag, base64url unpadded


def code_for(keyring: Keyring, tenant_id: uuid.UUID, member_id: uuid.UUID) -> str:
    """The member's invitation code at the tenant's mall."""
    raw = member_id.bytes + _tag(keyring, tenant_id, member_id)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def inviter_in(keyring: Keyring, tenant_id: uuid.UUID, code: str) -> uuid.UUID | None:
    """The member whose code this is at the tenant's mall (None: not one of its codes)."""
    if len(code) != CODE_LENGTH or not code.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (binascii.Error, ValueError):
        return None
    member_id = uuid.UUID(bytes=raw[:16])
    return member_id if hmac.compare_digest(raw[16:], _tag(keyring, tenant_id, member_id)) else None


def active_inviter(
    session: Session, keyring: Keyring, tenant_id: uuid.UUID, code: str
) -> Member | None:
    """The tenant's active member whose invitation code this is (None: no such member,
    or one no longer active). A member merged into another invites for that one: the
    same person (`jifen.members.merging`; a merge points at the end of the line)."""
    member_id = inviter_in(keyring, tenant_id, code)
    found = session.get(Member, (tenant_id, member_id)) if member_id else None
    if found is not None and found.merged_into is not None:
        found = session.get(Member, (tenant_id, found.merged_into))
    return found if found is not None and found.status == "active" else None


def _tag(keyring: Keyring, tenant_id: uuid.UUID, member_id: uuid.UUID) -> bytes:
    return keyring.lookup_hash(f"invite:{tenant_id}:{member_id}")[:_TAG]
