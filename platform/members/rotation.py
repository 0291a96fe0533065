"""Moving members' personal data to the current encryption key.

After a new key is put first in JIFEN_ENCRYPTION_KEYS, new writes use it at once; this
re-encrypts the old rows in batches (all tenants), after which the old key can be
removed. The lookup hashes do not change, so lookups keep working throughout.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from jifen.db import cross_tenant
from jifen.keyring import Keyring
from jifen.members.models import Member

FIELDS = ("phone_encrypted", "email_encrypted")


def reencrypt_batch(session: Session, keyring: Keyring, *, batch: int = 500) -> int:
    """Re-encrypt up to `batch` members not yet under the current key; returns how many."""
    current = f"{keyring.current_key_id}.%"
    stale = or_(
        *(
            (getattr(Member, f).is_not(None)) & (getattr(Member, f).not_like(current))
            for f in FIELDS
        )
    )
    with cross_tenant(session, "personal data re-encryption"):
        members = session.scalars(select(Member).where(stale).limit(batch)).all()
        for member in members:
            for field in FIELDS:
                token = getattr(member, field)
                if token and keyring.key_id_of(token) != keyring.current_key_id:
                    setattr(member, field, keyring.encrypt(keyring.decrypt(token)))
        session.flush()
    return len(members)
