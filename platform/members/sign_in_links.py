"""Sign-in links: the merchant's app opens its member's mall already signed in.

The merchant's server makes the link for one of its members (by the merchant's own user
id) and signs it with one of its tenant's sign-in keys; the member's phone opens it; the
mall checks it and starts the member's session. A link reads

    /m/<slug>/sign-in?member=<user id>&key=<key id>&expires=<unix time>&nonce=<nonce>&sig=<hex>

where `sig` is HMAC-SHA256, keyed with the key's secret, over the text `message()`
builds: a fixed purpose, the tenant's slug, the user id, the expiry and the nonce, one
per line. A link opens the mall once (its nonce is kept until it expires), for at most
`MAX_LIFE` from when it was made; a revoked key's links open nothing. A tenant rotates
its key by making a new one, moving its server to it, and revoking the old one: at most
`ACTIVE_KEYS` keys are live at once.

A link is refused with one answer whatever its fault (forged, expired, replayed, a
revoked key, a member who is not active or not registered where the tenant does not
create members), so that a link's holder learns nothing from it; the reason is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import delete_expired
from jifen.errors import Conflict, JifenError, NotFound
from jifen.i18n import N_
from jifen.keyring import Keyring
from jifen.members.models import Member, SignInKey, SignInNonce
from jifen.members.service import create_member
from jifen.pagination import read_page
from jifen.tenants import Tenant

log = logging.getLogger(__name__)

PURPOSE = "jifen sign-in link v1"
MAX_LIFE = timedelta(minutes=10)
ACTIVE_KEYS = 2
KEY_PREFIX = "sk_"
NONCE_LENGTH = (16, 64)  # characters, URL-safe
_NONCE_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
# Who a member created by a link was registered by, in the audit log.
LINK = Actor(kind="system", id="sign-in link")


class TooManySignInKeys(Conflict):
    code = "too_many_sign_in_keys"
    message = N_("Revoke a sign-in key before making another: two may be live at once.")


class NoSignInKey(Conflict):
    code = "no_sign_in_key"
    message = N_("The tenant has no live sign-in key: make one first.")


class SignInLinkRefused(JifenError):
    code = "sign_in_link_refused"
    status = 403
    message = N_("This sign-in link cannot be used. Open the mall again from the app.")


@dataclass(frozen=True)
class NewKey:
    """A key just made: its secret is shown this once."""

    id: str
    secret: str
    created_at: datetime


def message(slug: str, member: str, expires: int, nonce: str) -> bytes:
    """What a link's signature covers."""
    return "\n".join((PURPOSE, slug, member, str(expires), nonce)).encode()


def signature(secret: str, slug: str, member: str, expires: int, nonce: str) -> str:
    return hmac.new(
        secret.encode(), message(slug, member, expires, nonce), hashlib.sha256
    ).hexdigest()


def link_query(
    key_id: str, secret: str, slug: str, member: str, *, now: datetime, life: timedelta = MAX_LIFE
) -> str:
    """The query of a link for `member` (the merchant's user id), valid for `life` from
    `now`: what the merchant's server computes (the demo and `flask jifen sign-in-link`
    use it too)."""
    expires = int((now + life).timestamp())
    nonce = secrets.token_urlsafe(18)
    sig = signature(secret, slug, member, expires, nonce)
    return urlencode(
        {"member": member, "key": key_id, "expires": expires, "nonce": nonce, "sig": sig}
    )


def link_path(
    session: Session, tenant: Tenant, member: str, *, clock: Clock, keyring: Keyring
) -> str:
    """A sign-in link's path for `member`, signed with the tenant's newest live key: what
    an operator's command or the demo prints (a merchant's server signs its own)."""
    key = session.scalars(
        select(SignInKey)
        .where(SignInKey.revoked_at.is_(None))
        .order_by(SignInKey.created_at.desc(), SignInKey.id.desc())
    ).first()
    if key is None:
        raise NoSignInKey()
    secret = keyring.decrypt(key.secret_encrypted)
    query = link_query(key.id, secret, tenant.slug, member, now=clock.now())
    return f"/m/{tenant.slug}/sign-in?{query}"


def live_count(session: Session) -> int:
    """How many of the tenant's keys are live (not revoked)."""
    live = session.scalar(
        select(func.count()).select_from(SignInKey).where(SignInKey.revoked_at.is_(None))
    )
    return int(live or 0)


def create_key(
    session: Session, tenant_id: uuid.UUID, *, actor: Actor, clock: Clock, keyring: Keyring
) -> NewKey:
    """A new sign-in key; refused while `ACTIVE_KEYS` are live."""
    if live_count(session) >= ACTIVE_KEYS:
        raise TooManySignInKeys()
    now = clock.now()
    key_id = KEY_PREFIX + secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    session.add(
        SignInKey(
            tenant_id=tenant_id,
            id=key_id,
            secret_encrypted=keyring.encrypt(secret),
            created_at=now,
        )
    )
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="sign_in_key.create",
        object_type="sign_in_key",
        object_id=key_id,
        now=now,
    )
    return NewKey(key_id, secret, now)


def keys(
    session: Session, *, limit: int, cursor: str | None = None
) -> tuple[list[SignInKey], str | None]:
    """The tenant's keys, revoked ones too, oldest first, a page at a time."""
    order = (SignInKey.created_at, SignInKey.id)
    return read_page(session.scalars, select(SignInKey), order, (datetime, str), limit, cursor)


def revoke_key(
    session: Session, tenant_id: uuid.UUID, key_id: str, *, actor: Actor, clock: Clock
) -> SignInKey:
    """Revoke a key: its links open nothing from now on. Revoking it again changes nothing."""
    key = session.get(SignInKey, (tenant_id, key_id))
    if key is None:
        raise NotFound("sign_in_key", key_id)
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        audit.record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="sign_in_key.revoke",
            object_type="sign_in_key",
            object_id=key_id,
            now=key.revoked_at,
        )
    return key


def revoke_live_keys(session: Session, tenant_id: uuid.UUID, *, actor: Actor, clock: Clock) -> None:
    """Revoke every live key (the demo keeps one at a time)."""
    live = session.scalars(select(SignInKey.id).where(SignInKey.revoked_at.is_(None))).all()
    for key_id in live:
        revoke_key(session, tenant_id, key_id, actor=actor, clock=clock)


@dataclass(frozen=True)
class Link:
    """A link's parameters as the request carried them (any of them may be missing)."""

    member: str
    key: str
    expires: str
    nonce: str
    sig: str


def open_link(
    session: Session, tenant: Tenant, link: Link, *, clock: Clock, keyring: Keyring
) -> tuple[Member, bool]:
    """The member a link signs in, the link used up, and whether the link created the
    member (the tenant creates members on first visit); `SignInLinkRefused` otherwise."""
    try:
        return _open(session, tenant, link, clock=clock, keyring=keyring)
    except _Refused as refused:
        log.info("sign-in link refused for tenant %s: %s", tenant.slug, refused.reason)
        raise SignInLinkRefused() from None


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _open(
    session: Session, tenant: Tenant, link: Link, *, clock: Clock, keyring: Keyring
) -> tuple[Member, bool]:
    now = clock.now()
    expires = _expiry(link.expires)
    if not _well_formed_nonce(link.nonce) or not link.member or len(link.member) > 128:
        raise _Refused("malformed")
    key = session.get(SignInKey, (tenant.id, link.key)) if len(link.key) <= 16 else None
    if key is None or key.revoked_at is not None:
        raise _Refused("unknown or revoked key")
    expected = signature(
        keyring.decrypt(key.secret_encrypted), tenant.slug, link.member, expires, link.nonce
    )
    if not hmac.compare_digest(expected, link.sig):
        raise _Refused("bad signature")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if expires_at <= now:
        raise _Refused("expired")
    if expires_at > now + MAX_LIFE:
        raise _Refused("expires too far ahead")
    _use_nonce(session, tenant.id, link.nonce, expires_at)
    member = session.scalar(select(Member).where(Member.external_id == link.member))
    created = member is None
    if member is None:
        if not tenant.auto_create_members:
            raise _Refused("member not registered")
        view = create_member(
            session,
            tenant.id,
            {"external_id": link.member},
            actor=LINK,
            clock=clock,
            keyring=keyring,
        )
        member = session.get_one(Member, (tenant.id, view.id))
    if member.status != "active":
        raise _Refused(f"member {member.status}")
    return member, created


def _expiry(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise _Refused("malformed expiry")
    return int(text)


def _well_formed_nonce(nonce: str) -> bool:
    shortest, longest = NONCE_LENGTH
    return shortest <= len(nonce) <= longest and set(nonce) <= _NONCE_ALPHABET


def _use_nonce(session: Session, tenant_id: uuid.UUID, nonce: str, expires_at: datetime) -> None:
    """Keep the nonce until its link expires; a nonce kept already is a replay."""
    try:
        with session.begin_nested():
            session.add(SignInNonce(tenant_id=tenant_id, nonce=nonce, expires_at=expires_at))
    except IntegrityError:
        raise _Refused("replayed") from None


def purge_used(session: Session, now: datetime) -> int:
    """Forget the nonces of links that have expired (they open nothing anyway), for every
    tenant."""
    return delete_expired(session, SignInNonce.expires_at, now, "used sign-in link")
