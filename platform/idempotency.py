"""Idempotency keys: a repeated write returns its first response and changes nothing.

The key's row is written in the same transaction as the write's effect, so the two
commit or vanish together: a request that failed (and rolled back) may be retried with
the same key. A repeat with another body is `idempotency_mismatch`. On PostgreSQL a
duplicate that arrives while the first is still in flight is refused at once with
`idempotency_in_progress` (a transaction-scoped advisory lock marks the flight); on SQLite
write transactions are serial, so the duplicate waits and then replays the stored answer.
Rows are kept `RETENTION` and then purged by a periodic job.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, LargeBinary, String, delete, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from jifen.db import Base, TenantScoped, cross_tenant, rowcount, tenant_of
from jifen.errors import JifenError, ValidationFailed
from jifen.i18n import N_
from jifen.types import Json, UTCDateTime

RETENTION = timedelta(days=8)
MAX_KEY_LENGTH = 255


class IdempotencyMismatch(JifenError):
    code = "idempotency_mismatch"
    status = 409
    message = N_("This Idempotency-Key was used with a different request.")


class IdempotencyInProgress(JifenError):
    code = "idempotency_in_progress"
    status = 409
    message = N_("A request with this Idempotency-Key is still being processed; retry later.")


class IdempotencyKey(TenantScoped, Base):
    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    method: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    status: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[Any | None] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ValidationFailed(
            N_("Idempotency-Key must be 1-255 printable ASCII characters."),
            details={"header": "Idempotency-Key"},
        )
    return key


def request_hash(method: str, path: str, body: bytes) -> bytes:
    """The request's fingerprint; JSON bodies are compared by content, not spacing."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # not JSON: compared byte for byte
        canonical = body
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), canonical])).digest()


def claim(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    key: str,
    method: str,
    route: str,
    fingerprint: bytes,
    now: datetime,
) -> StoredResponse | None:
    """Claim `key` for this request, or return the response stored for it."""
    stored = _stored(session, key, fingerprint)
    if stored is not None:
        return stored
    if session.get_bind().dialect.name == "postgresql":
        locked = session.execute(
            text("SELECT pg_try_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"{tenant_id}:{key}"},
        ).scalar_one()
        if not locked:
            raise IdempotencyInProgress()
        # The first request may have committed between our read and the lock.
        stored = _stored(session, key, fingerprint)
        if stored is not None:
            return stored
    session.add(
        IdempotencyKey(
            tenant_id=tenant_id,
            key=key,
            method=method,
            route=route,
            request_hash=fingerprint,
            status=None,
            response=None,
            created_at=now,
        )
    )
    session.flush()
    return None


def _stored(session: Session, key: str, fingerprint: bytes) -> StoredResponse | None:
    row = session.scalar(
        select(IdempotencyKey)
        .where(IdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    )
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise IdempotencyMismatch()
    if row.status is None:  # only visible to the claiming transaction itself
        raise IdempotencyInProgress()
    return StoredResponse(status=row.status, body=row.response)


def complete(session: Session, key: str, status: int, body: Any) -> None:
    """Store the response of the request that claimed `key`."""
    row = session.get(IdempotencyKey, (tenant_of(session), key))
    if row is not None:
        row.status = status
        row.response = body


def purge_expired(session: Session, now: datetime) -> int:
    """Delete keys older than the retention period, for every tenant."""
    with cross_tenant(session, "idempotency key purge"):
        result = session.execute(
            delete(IdempotencyKey)
            .where(IdempotencyKey.created_at < now - RETENTION)
            .execution_options(synchronize_session=False)
        )
    return rowcount(result) or 0
