"""Member cards: the code a member shows at a store's till, as a QR code and a barcode,
and the point of sale redeems to learn who the member is (then posts the purchase as an
event for that member).

A code is 18 random digits (what a till's barcode scanner reads, as a payment code is),
lives `LIFE`, and identifies the member once: redeeming marks it used in one conditional
UPDATE, so a replay, even a concurrent one, is refused. It is not self-contained (a
signature over the member and the time would not fit a barcode): the platform keeps its
keyed hash (HMAC with the keyring's lookup key) with the member and the expiry, and
forgets it once expired. Any fault (unknown, expired, used, another tenant's) is the
same refusal.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import delete_expired, tenant_of
from jifen.errors import JifenError
from jifen.i18n import N_
from jifen.keyring import Keyring
from jifen.members.models import CardCode, Member

LIFE = timedelta(seconds=60)
DIGITS = 18


class CardCodeRefused(JifenError):
    code = "member_card_refused"
    status = 422
    message = N_("This member card code is not valid: it is unknown, expired or used.")


@dataclass(frozen=True)
class Card:
    code: str
    expires_at: datetime


def _digest(keyring: Keyring, code: str) -> bytes:
    return keyring.lookup_hash(f"member-card:{code}")


def issue(session: Session, member_id: uuid.UUID, *, clock: Clock, keyring: Keyring) -> Card:
    """A new code for the member's card, good for `LIFE`."""
    code = "".join(secrets.choice("0123456789") for _ in range(DIGITS))
    expires_at = clock.now() + LIFE
    session.add(
        CardCode(
            tenant_id=tenant_of(session),
            digest=_digest(keyring, code),
            member_id=member_id,
            expires_at=expires_at,
            used_at=None,
        )
    )
    session.flush()
    return Card(code, expires_at)


def redeem(session: Session, code: str, *, actor: Actor, clock: Clock, keyring: Keyring) -> Member:
    """The member whose card showed `code`, which is used up (`CardCodeRefused` for any
    code that is not a live one of this tenant's)."""
    now = clock.now()
    cleaned = "".join(code.split())
    if len(cleaned) != DIGITS or not cleaned.isdigit():
        raise CardCodeRefused()
    digest = _digest(keyring, cleaned)
    used = session.execute(
        update(CardCode)
        .where(CardCode.digest == digest, CardCode.used_at.is_(None), CardCode.expires_at > now)
        .values(used_at=now)
        .returning(CardCode.member_id)
    ).scalar_one_or_none()
    member = session.get(Member, (tenant_of(session), used)) if used is not None else None
    if member is None or member.status != "active":
        raise CardCodeRefused()
    audit.record(
        session,
        tenant_id=member.tenant_id,
        actor=actor,
        action="member_card.redeem",
        object_type="member",
        object_id=member.id,
        now=now,
    )
    return member


def purge_expired(session: Session, now: datetime) -> int:
    """Forget the codes that have expired, for every tenant."""
    return delete_expired(session, CardCode.expires_at, now, "member card code")
