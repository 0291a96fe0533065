"""What the ledger's services return: plain values, detached from any session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jifen.ledger.domain_events import EntriesPosted
from jifen.ledger.journal import EntryDraft, Journal


@dataclass(frozen=True)
class WalletChange:
    """What an entry did to one member's wallet, and the wallet after it."""

    member_id: uuid.UUID
    amount: int
    running_total: int  # the wallet's balance + held - debt after the entry
    # The wallet now: right after posting for the operation that posted the entry, at the
    # time of reading for an entry read back; unknown to observers of posted entries.
    balance: int | None = None
    held: int | None = None
    debt: int | None = None
    # The entry's change to the wallet's debt (negative: repaid); the rest of `amount`
    # moved its points (balance + held). Unknown to observers of posted entries.
    debt_change: int | None = None


@dataclass(frozen=True)
class EntryView:
    id: uuid.UUID
    kind: str
    reference: str | None
    memo: str | None
    reverses_entry_id: uuid.UUID | None
    created_at: datetime
    changes: list[WalletChange]
    data: dict[str, Any] | None

    # Where the points went besides the members' balances: each is one member's, as
    # only one wallet's debt moves in an entry (an earn's, a transfer's receiver's, a
    # clawback's).
    @property
    def repaid_debt(self) -> int | None:
        """Points of the entry that repaid a member's debt instead of reaching a balance."""
        moved = [change.debt_change for change in self.changes]
        return None if None in moved else sum(-d for d in moved if d and d < 0)

    @property
    def incurred_debt(self) -> int | None:
        """Points a clawback could not take back, which the member now owes."""
        moved = [change.debt_change for change in self.changes]
        return None if None in moved else sum(d for d in moved if d and d > 0)

    @property
    def absorbed(self) -> int:
        """Points a clawback could not take back, which the tenant carries."""
        return int((self.data or {}).get("absorbed", 0)) if self.kind == "clawback" else 0


@dataclass(frozen=True)
class HoldView:
    id: uuid.UUID
    member_id: uuid.UUID
    kind: str
    status: str
    amount: int
    reference: str | None
    expires_at: datetime | None
    created_at: datetime
    entry_id: uuid.UUID | None = None


def entry_view(journal: Journal, draft: EntryDraft) -> EntryView:
    changes = []
    for member_id, amount in draft.amounts.items():
        wallet = journal.wallets[member_id]
        changes.append(
            WalletChange(
                member_id,
                amount,
                draft.totals[member_id],
                wallet.balance,
                wallet.held,
                wallet.debt,
                debt_change=draft.points.get(wallet.id, 0) - amount,
            )
        )
    return EntryView(
        id=draft.id,
        kind=draft.kind,
        reference=draft.reference,
        memo=draft.memo,
        reverses_entry_id=draft.reverses_entry_id,
        created_at=draft.created_at,
        changes=changes,
        data=draft.data,
    )


def posted_entries(event: EntriesPosted) -> list[EntryView]:
    """The entries an `EntriesPosted` event announces, as observers see them."""
    return [
        EntryView(
            id=uuid.UUID(entry["id"]),
            kind=entry["kind"],
            reference=entry["reference"],
            memo=entry["memo"],
            reverses_entry_id=(
                uuid.UUID(entry["reverses_entry_id"]) if entry["reverses_entry_id"] else None
            ),
            created_at=datetime.fromisoformat(entry["created_at"]),
            changes=[
                WalletChange(uuid.UUID(c["member_id"]), c["amount"], c["running_total"])
                for c in entry["changes"]
            ],
            data=entry["data"],
        )
        for entry in event.entries
    ]
