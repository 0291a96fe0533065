"""API keys: a public prefix that finds the row, a secret shown once.

A token reads `jf_<prefix>_<secret>`. Only HMAC-SHA256(pepper, secret) is stored; checking
it costs microseconds (argon2 would cost tens of milliseconds on every request). Keys are
scoped (`members:read`, `members:write`, ...) and revocable; `last_used_at` is refreshed at
most once a minute so reads do not turn into writes.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from jifen import audit, jobs
from jifen.audit import Actor
from jifen.clock import Clock, parse_instant
from jifen.db import reading_aside
from jifen.errors import JifenError, NotFound, ValidationFailed
from jifen.i18n import N_
from jifen.keyring import Keyring
from jifen.pagination import read_page
from jifen.tenants import lookups
from jifen.tenants.models import ApiKey, Tenant
from jifen.tenants.service import TENANT_VIEW_FIELDS, TenantView, require_active
from jifen.types import new_id

if TYPE_CHECKING:
    from jifen.collaborators import Collaborators

SCOPES = frozenset(
    {
        "members:read",
        "members:write",
        "points:read",
        "points:write",
        "events:write",
        "rules:read",
        "rules:write",
        "mall:read",
        "mall:write",
        "tenant:read",
        "tenant:write",
    }
)
_PREFIX_ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789"
LAST_USED_GRANULARITY = timedelta(minutes=1)
MAX_RATE_LIMIT = 2**31 - 1  # requests a minute: an INTEGER column


class InvalidApiKey(JifenError):
    code = "invalid_api_key"
    status = 401
    message = N_("The API key is missing, malformed, unknown or revoked.")


@dataclass(frozen=True)
class Caller:
    """An authenticated API caller: its key and its tenant's settings."""

    tenant: TenantView
    key_id: uuid.UUID
    scopes: frozenset[str]
    rate_limit: int | None  # requests a minute; None: the platform's default


def create_api_key(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    name: str,
    scopes: list[str],
    actor: Actor,
    clock: Clock,
    keyring: Keyring,
    rate_limit: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it with its token, which is never shown again. `rate_limit`
    is its requests a minute (None: the platform's default)."""
    unknown = sorted(set(scopes) - SCOPES)
    if unknown or not scopes:
        raise ValidationFailed(N_("Unknown or missing scopes."), details={"scopes": unknown})
    _check_rate_limit(rate_limit)
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(12))
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id(),
        tenant_id=tenant_id,
        name=name,
        prefix=prefix,
        digest=keyring.api_key_digest(secret),
        scopes=sorted(set(scopes)),
        created_at=clock.now(),
        created_by=actor.id,
        rate_limit=rate_limit,
    )
    session.add(key)
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="api_key.create",
        object_type="api_key",
        object_id=key.id,
        after={"name": name, "prefix": prefix, "scopes": key.scopes, "rate_limit": rate_limit},
        now=clock.now(),
    )
    return key, f"jf_{prefix}_{secret}"


def set_rate_limit(
    session: Session,
    tenant_id: uuid.UUID,
    key_id: uuid.UUID,
    rate_limit: int | None,
    *,
    actor: Actor,
    clock: Clock,
) -> ApiKey:
    """Give one of a tenant's keys its own requests a minute (None: the default again)."""
    _check_rate_limit(rate_limit)
    key = session.scalar(select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id))
    if key is None:
        raise NotFound("api_key", key_id, N_("No such API key."))
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="api_key.rate_limit",
        object_type="api_key",
        object_id=key.id,
        before={"rate_limit": key.rate_limit},
        after={"rate_limit": rate_limit},
        now=clock.now(),
    )
    key.rate_limit = rate_limit
    return key


def _check_rate_limit(rate_limit: int | None) -> None:
    if rate_limit is not None and not 1 <= rate_limit <= MAX_RATE_LIMIT:
        raise ValidationFailed(
            N_("A rate limit is 1 to %(maximum)s requests a minute."),
            details={"rate_limit": rate_limit},
            params={"maximum": MAX_RATE_LIMIT},
        )


def revoke_api_key(
    session: Session, tenant_id: uuid.UUID, key_id: uuid.UUID, *, actor: Actor, clock: Clock
) -> ApiKey:
    """Revoke one of a tenant's keys; it stops working at once."""
    key = session.scalar(select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id))
    if key is None:
        raise NotFound("api_key", key_id, N_("No such API key."))
    if key.revoked_at is None:
        _revoke(session, key, actor=actor, clock=clock)
    return key


def page_of_keys(
    session: Session, tenant_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[ApiKey], str | None]:
    """A page of the tenant's keys, revoked ones too, newest first, and the next page's
    cursor. Their digests are not read (the column is deferred)."""
    query = select(ApiKey).where(ApiKey.tenant_id == tenant_id)
    return read_page(
        session.scalars, query, [ApiKey.id], [uuid.UUID], limit, cursor, descending=True
    )


def revoke_api_keys_named(
    session: Session, tenant_id: uuid.UUID, name: str, *, actor: Actor, clock: Clock
) -> list[ApiKey]:
    """Revoke every live key of a tenant with this name (the demo keeps one live key);
    returns the keys revoked."""
    keys = list(
        session.scalars(
            select(ApiKey)
            .where(ApiKey.tenant_id == tenant_id, ApiKey.name == name, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.id)
        )
    )
    for key in keys:
        _revoke(session, key, actor=actor, clock=clock)
    return keys


def _revoke(session: Session, key: ApiKey, *, actor: Actor, clock: Clock) -> None:
    key.revoked_at = clock.now()
    audit.record(
        session,
        tenant_id=key.tenant_id,
        actor=actor,
        action="api_key.revoke",
        object_type="api_key",
        object_id=key.id,
        now=clock.now(),
    )


_TENANTS = Tenant.__table__


def _by_prefix(dialect: str) -> Select[Any]:
    # Core, not ORM: this runs on every API request, and no tenant guard applies before
    # the key names the tenant, so the ORM's per-statement work buys nothing here.
    key = lookups.live_key(dialect)
    return select(
        key.c.id.label("key_id"),
        key.c.scopes,
        key.c.last_used_at,
        key.c.rate_limit,
        *(_TENANTS.c[name] for name in TENANT_VIEW_FIELDS),
    ).join_from(key, _TENANTS, _TENANTS.c.id == key.c.tenant_id)


_BY_PREFIX = {dialect: _by_prefix(dialect) for dialect in ("postgresql", "sqlite")}


def authenticate(session: Session, token: str, *, clock: Clock, keyring: Keyring) -> Caller:
    """The caller a bearer token belongs to: one indexed read by the key's prefix and its
    secret's digest (a wrong secret, like a revoked key, finds no row).

    The read runs on a connection of its own, outside the session's transaction, so a
    write request does not hold SQLite's write lock while its caller is looked up.
    """
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "jf" or len(parts[1]) != 12 or not parts[2]:
        raise InvalidApiKey()
    prefix, secret = parts[1], parts[2]
    with reading_aside(session) as connection:
        row = (
            connection.execute(
                _BY_PREFIX[connection.dialect.name],
                {"prefix": prefix, "digest": keyring.api_key_digest(secret)},
            )
            .mappings()
            .first()
        )
    if row is None:
        raise InvalidApiKey()
    tenant = require_active(TenantView(**{name: row[name] for name in TENANT_VIEW_FIELDS}))
    now = clock.now()
    last_used = row["last_used_at"]
    if last_used is None or now - last_used >= LAST_USED_GRANULARITY:
        # Recorded after the session commits, in its own short write: a read request
        # must not turn into a write transaction.
        jobs.enqueue(session, record_key_use, str(tenant.id), str(row["key_id"]), now.isoformat())
    return Caller(
        tenant=tenant,
        key_id=row["key_id"],
        scopes=frozenset(row["scopes"]),
        rate_limit=row["rate_limit"],
    )


def record_key_use(services: Collaborators, tenant_id: str, key_id: str, at: str) -> None:
    """Job: remember when a key was last used (at most once per granularity)."""
    used_at = parse_instant(at)
    with services.db.transaction(tenant_id=uuid.UUID(tenant_id)) as session:
        session.execute(
            update(ApiKey)
            .where(
                ApiKey.tenant_id == uuid.UUID(tenant_id),
                ApiKey.id == uuid.UUID(key_id),
                (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < used_at),
            )
            .values(last_used_at=used_at)
            .execution_options(synchronize_session=False)
        )
