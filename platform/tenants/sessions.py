"""Signed-in sessions of the console and of each tenant's mall: rows, not signed cookies.

A browser holds a random token; the row keeps only its SHA-256, so a copy of the table
signs no one in. A session belongs to one surface, the console or one tenant's mall, and
ends at its expiry, after it has been idle too long, or when revoked (sign-out, or a new
sign-in from the same browser): a revoked token opens nothing, whatever the browser
kept. `last_seen_at` is refreshed at most once a minute, after the request commits, so
reading a page does not turn into a write.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from jifen import jobs
from jifen.clock import Clock, parse_instant
from jifen.db import rowcount
from jifen.tenants.models import WebSession

if TYPE_CHECKING:
    from jifen.collaborators import Collaborators

CONSOLE = "console"
MALL = "mall"
# How long a session lives at most, and how long it survives without a request: staff
# sign in each working day; members stay signed in to their mall on their phone.
LIFETIME = {CONSOLE: timedelta(hours=12), MALL: timedelta(days=30)}
IDLE = {CONSOLE: timedelta(hours=2), MALL: timedelta(days=7)}
SEEN_GRANULARITY = timedelta(minutes=1)
# Ended sessions are kept this long (who was signed in, from when), then purged.
KEEP_ENDED = timedelta(days=30)
TOKEN_BYTES = 32
_MAX_TOKEN = 64  # token_urlsafe(32) is 43 characters; anything much longer is not ours


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def open_session(
    session: Session,
    *,
    surface: str,
    subject_id: uuid.UUID,
    tenant_id: uuid.UUID | None,
    clock: Clock,
) -> tuple[WebSession, str]:
    """A new session with a new random token; returns it with the token for the cookie."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    row = WebSession(
        digest=token_digest(token),
        surface=surface,
        tenant_id=tenant_id,
        subject_id=subject_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + LIFETIME[surface],
    )
    session.add(row)
    return row, token


def find(
    session: Session,
    token: str | None,
    *,
    surface: str,
    tenant_id: uuid.UUID | None,
    clock: Clock,
) -> WebSession | None:
    """The live session a browser's token opens on this surface, if any. A mall's
    session opens that tenant's mall only; the console's, the console only."""
    if not token or len(token) > _MAX_TOKEN:
        return None
    row = session.get(WebSession, token_digest(token))
    if row is None or row.surface != surface or row.revoked_at is not None:
        return None
    if surface == MALL and row.tenant_id != tenant_id:
        return None
    now = clock.now()
    if now >= row.expires_at or now - row.last_seen_at >= IDLE[surface]:
        return None
    if now - row.last_seen_at >= SEEN_GRANULARITY:
        jobs.enqueue(session, record_seen, row.digest.hex(), now.isoformat())
    return row


def revoke(row: WebSession, *, clock: Clock) -> None:
    """End a session: its token opens nothing from now on."""
    if row.revoked_at is None:
        row.revoked_at = clock.now()


def revoke_subject(session: Session, subject_id: uuid.UUID, *, surface: str, clock: Clock) -> int:
    """End every live session of one subject on a surface; returns how many."""
    result = session.execute(
        update(WebSession)
        .where(
            WebSession.surface == surface,
            WebSession.subject_id == subject_id,
            WebSession.revoked_at.is_(None),
        )
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def hand_over(
    session: Session, tenant_id: uuid.UUID, member_id: uuid.UUID, to_member: uuid.UUID
) -> int:
    """Browsers signed in to a tenant's mall as one member, signed in as another from
    now on (a member merged into another: the same person); returns how many."""
    result = session.execute(
        update(WebSession)
        .where(
            WebSession.surface == MALL,
            WebSession.tenant_id == tenant_id,
            WebSession.subject_id == member_id,
        )
        .values(subject_id=to_member)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def record_seen(services: Collaborators, digest: str, at: str) -> None:
    """Job: remember when a session was last used (at most once per granularity)."""
    seen_at = parse_instant(at)
    with services.db.transaction() as session:
        session.execute(
            update(WebSession)
            .where(WebSession.digest == bytes.fromhex(digest), WebSession.last_seen_at < seen_at)
            .values(last_seen_at=seen_at)
            .execution_options(synchronize_session=False)
        )


def purge_ended(session: Session, now: datetime) -> int:
    """Delete sessions that expired or were revoked over KEEP_ENDED ago; returns how many."""
    before = now - KEEP_ENDED
    result = session.execute(
        delete(WebSession).where(
            or_(WebSession.expires_at < before, WebSession.revoked_at < before)
        )
    )
    return rowcount(result)
