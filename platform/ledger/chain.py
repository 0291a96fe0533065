"""Tamper evidence: each posting to a wallet extends the wallet's hash chain.

hash = sha256(prev_hash | tenant_id | posting_id | entry_id | amount | created_at), the
fields as text in that order: the previous hash as 64 hex digits (empty for a wallet's
first posting), UUIDs in their canonical form, the amount as a signed decimal integer,
and the instant in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. Anyone with the rows can
recompute a chain; the wallet row holds its head. There is no tenant-wide chain, so no
tenant-wide lock.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime


def posting_hash(
    prev: bytes | None,
    tenant_id: uuid.UUID,
    posting_id: uuid.UUID,
    entry_id: uuid.UUID,
    amount: int,
    created_at: datetime,
) -> bytes:
    instant = created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    text = f"{prev.hex() if prev else ''}|{tenant_id}|{posting_id}|{entry_id}|{amount}|{instant}"
    return hashlib.sha256(text.encode()).digest()
