"""Idempotency keys: a repeated write returns its first response and changes nothing.

The key's row is written in the same transaction as the write's effect, so the two
commit or vanish together: a request that failed (and rolled back) may be retried with
the same key. A repeat with another body is `idempotency_mismatch`.

A duplicate that arrives while the first is still in flight waits for it, at most
`wait` seconds (the `JIFEN_IDEMPOTENCY_WAIT` setting), and then replays its answer, or
claims the key if the first failed; only a wait that runs out is refused with
`idempotency_in_progress`. The flight is marked by a lock on the tenant's key held
until the claiming transaction ends. On PostgreSQL it is a transaction-scoped advisory
lock, which the duplicate waits on in the server (holding its connection, as a request
waiting on a row lock does; `lock_timeout` bounds it). On SQLite it is a lock on a byte
of a file beside the database (`<database>-idempotency`, open-file-description locks,
so threads exclude each other too), taken before the write transaction begins, since
the duplicate must not hold the database's one write lock while it waits. Where the
system lacks those locks (not Linux), or the file cannot be created, a SQLite duplicate
waits for the write lock instead, as long as the database's busy timeout.
Rows are kept `RETENTION` and then purged by a periodic job.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import struct
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, LargeBinary, String, delete, event, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from jifen.db import Base, TenantScoped, cross_tenant, rowcount, tenant_of
from jifen.errors import JifenError, ValidationFailed
from jifen.i18n import N_
from jifen.types import Json, UTCDateTime

RETENTION = timedelta(days=8)
MAX_KEY_LENGTH = 255
# How often a waiting SQLite duplicate looks again whether the first request has finished.
POLL_INTERVAL = 0.01


class IdempotencyMismatch(JifenError):
    code = "idempotency_mismatch"
    status = 409
    message = N_("This Idempotency-Key was used with a different request.")


class IdempotencyInProgress(JifenError):
    code = "idempotency_in_progress"
    status = 409
    message = N_(
        "A request with this Idempotency-Key is still being processed and did not finish"
        " in time; retry later."
    )


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
    wait: float,
) -> StoredResponse | None:
    """Claim `key` for this request, or return the response stored for it.

    Call it before the session's transaction begins: a duplicate in flight is waited
    for (up to `wait` seconds) before anything is read.
    """
    _lock_key(session, f"{tenant_id}:{key}", wait)
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


def _lock_key(session: Session, name: str, wait: float) -> None:
    """Hold the lock on `name` until the session's transaction ends, waiting up to `wait`
    seconds for the request holding it to finish."""
    url = session.get_bind().engine.url
    if url.get_dialect().name == "postgresql":
        _advisory_lock(session, name, wait)
    elif url.database in (None, "", ":memory:") or not hasattr(fcntl, "F_OFD_SETLK"):
        return  # one connection, or no such locks: the write lock alone serialises
    else:
        try:
            lock = _FileLock(session, f"{url.database}-idempotency", name)
        except OSError:
            return  # a read-only folder: the write lock alone, as without such locks
        lock.wait(wait)


def _advisory_lock(session: Session, name: str, wait: float) -> None:
    """PostgreSQL's transaction-scoped advisory lock (COMMIT or ROLLBACK releases it).
    A duplicate blocks in the server until the first request's transaction ends, so it
    goes on the moment the first commits; `lock_timeout` (for this transaction only)
    bounds the wait (and is set back after it, so the request's own row locks wait as
    usual); a wait that runs out aborts the duplicate's transaction."""
    key = {"k": name}
    if session.execute(_TRY_ADVISORY, key).scalar_one():
        return
    before = session.execute(_LOCK_TIMEOUT).scalar_one()
    session.execute(_SET_LOCK_TIMEOUT, {"ms": f"{max(1, round(wait * 1000))}ms"})
    try:
        session.execute(_ADVISORY, key)
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise IdempotencyInProgress() from None
        raise
    session.execute(_SET_LOCK_TIMEOUT, {"ms": before})


_TRY_ADVISORY = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:k, 0))")
_ADVISORY = text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))")
# The transaction's lock_timeout, read and then set in statements of their own (the order
# in which one statement evaluates its functions is not defined).
_LOCK_TIMEOUT = text("SELECT current_setting('lock_timeout')")
_SET_LOCK_TIMEOUT = text("SELECT set_config('lock_timeout', :ms, true)")
# PostgreSQL's SQLSTATE for a lock wait that ran out (`lock_timeout`).
LOCK_NOT_AVAILABLE = "55P03"


# struct flock on 64-bit Linux: l_type, l_whence, l_start, l_len, l_pid (0 for OFD locks).
_FLOCK = "hhqqi4x"


class _FileLock:
    """A write lock on the byte of `path` that `name` hashes to, held by an open file
    description of its own and released (by closing it) when the session's transaction
    ends. The system offers no timed wait on such a lock, so a duplicate tries again
    every `POLL_INTERVAL` until its wait runs out."""

    def __init__(self, session: Session, path: str, name: str) -> None:
        self.session = session
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self.offset = int.from_bytes(hashlib.sha256(name.encode()).digest()[:7], "big")

    def wait(self, seconds: float) -> None:
        """Take the lock, waiting up to `seconds`; `IdempotencyInProgress` if it stays
        held."""
        deadline = time.monotonic() + seconds
        try:
            while not self._try_lock():
                if time.monotonic() >= deadline:
                    raise IdempotencyInProgress()
                time.sleep(POLL_INTERVAL)
        except BaseException:
            self._give_up()
            raise

    def _try_lock(self) -> bool:
        request = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, self.offset, 1, 0)
        try:
            fcntl.fcntl(self.fd, fcntl.F_OFD_SETLK, request)
        except BlockingIOError:
            return False
        event.listen(self.session, "after_transaction_end", self._transaction_ended)
        return True

    def _give_up(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _transaction_ended(self, _session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            self._give_up()


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
