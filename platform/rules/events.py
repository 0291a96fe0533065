"""Events as they come in: as a client sent them, and as checked for their kind; and the
reference the ledger keeps their points under."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class EventIn:
    """An event as a client sent it (the API's schema has checked its shape)."""

    event_id: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    member_id: uuid.UUID | None = None
    external_id: str | None = None
    occurred_at: datetime | None = None

    @classmethod
    def loaded(cls, data: dict[str, Any]) -> EventIn:
        """An event as `schemas.EventIn` loaded it."""
        return cls(
            event_id=data["id"],
            kind=data["kind"],
            data=data["data"],
            member_id=data["member_id"],
            external_id=data["external_id"],
            occurred_at=data["occurred_at"],
        )

    def fingerprint(self) -> bytes:
        """What makes a repeat of the event the same event (its idempotency hash)."""
        body = {
            "event_id": self.event_id,
            "kind": self.kind,
            "data": self.data,
            "member_id": str(self.member_id) if self.member_id else None,
            "external_id": self.external_id,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
        }
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).digest()


@dataclass
class CheckedEvent:
    """An event being recorded: its data validated for its kind, its time settled, and
    the members it names found (a referral's inviter too)."""

    index: int  # in the batch

    given: EventIn
    data: dict[str, Any]
    occurred_at: datetime
    member_id: uuid.UUID | None = None
    inviter_id: uuid.UUID | None = None


def ledger_reference(kind: str, event_id: str) -> str:
    """The reference under which an event's points are posted in the ledger."""
    return f"{kind}:{event_id}"[:128]
