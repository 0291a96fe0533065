"""A transaction's ledger work: wallets locked and loaded, changes made in memory, then
written with one set-based statement per table at `flush()`.

The services in this package describe what happens (credit this wallet, take these
points, hold those); the journal keeps the books straight while they do: every posting
extends its wallet's hash chain, every lot taken from or given back is recorded, and
wallets and lots change only by the deltas it writes. One journal serves one operation
as well as a batch of a thousand, which is what makes batches cheap.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from jifen import driver
from jifen.audit import Actor
from jifen.db import writing_for
from jifen.errors import NotFound, Unknown, refuse_total_too_large
from jifen.i18n import N_
from jifen.ledger import memos, sql
from jifen.ledger.chain import posting_hash
from jifen.ledger.domain_events import EntriesPosted
from jifen.ledger.errors import InsufficientPoints, MemberNotActive
from jifen.outbox.events import INTERACTIVE, emit
from jifen.types import new_id


@dataclass(eq=False)
class LotState:
    id: uuid.UUID
    account_id: uuid.UUID
    entry_id: uuid.UUID
    amount: int
    remaining: int
    held: int
    earned_at: datetime
    expires_at: datetime | None
    is_new: bool = False
    moved_from: uuid.UUID | None = None
    orig_remaining: int = 0
    orig_held: int = 0

    def __post_init__(self) -> None:
        self.orig_remaining, self.orig_held = self.remaining, self.held

    @classmethod
    def from_row(cls, row: Any) -> LotState:
        return cls(
            row.id,
            row.account_id,
            row.entry_id,
            row.amount,
            row.remaining,
            row.held,
            row.earned_at,
            row.expires_at,
        )

    @property
    def spendable(self) -> int:
        return self.remaining - self.held

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def sort_key(self) -> tuple[bool, datetime | None, uuid.UUID]:
        return (self.expires_at is None, self.expires_at, self.id)


@dataclass(eq=False)
class WalletState:
    id: uuid.UUID
    member_id: uuid.UUID
    status: str
    balance: int
    held: int
    debt: int
    head_hash: bytes | None
    seq: int
    orig: tuple[int, int, int, int] = (0, 0, 0, 0)
    lots: dict[uuid.UUID, LotState] | None = None  # loaded on demand
    only_due: bool = False  # only the lots due now are loaded (the sweep's journal)
    posted: int = 0  # the sum of the wallet's postings, this journal's included

    def __post_init__(self) -> None:
        self.orig = (self.balance, self.held, self.debt, self.seq)
        self.posted = self.total

    @property
    def changed(self) -> bool:
        return self.orig != (self.balance, self.held, self.debt, self.seq)

    @property
    def total(self) -> int:
        """What the wallet's postings sum to."""
        return self.balance + self.held - self.debt

    def lots_in_order(self) -> list[LotState]:
        assert self.lots is not None, "load the wallet's lots first"
        return sorted(self.lots.values(), key=LotState.sort_key)


@dataclass
class EntryDraft:
    id: uuid.UUID
    kind: str
    created_at: datetime
    reference: str | None
    memo: str | None  # a platform's memo is a `jifen.i18n.Message` (see ledger.memos)
    data: dict[str, Any] | None
    reverses_entry_id: uuid.UUID | None
    # What the entry did to each wallet it touched, and the wallet's total after it.
    amounts: dict[uuid.UUID, int] = field(default_factory=dict)
    totals: dict[uuid.UUID, int] = field(default_factory=dict)
    # What it did to each wallet's points (balance + held, its lots), by account id: the
    # rest of a wallet's amount moved its debt.
    points: dict[uuid.UUID, int] = field(default_factory=dict)


class Journal:
    """Ledger changes of one tenant within the session's (write) transaction."""

    def __init__(
        self, session: Session, tenant_id: uuid.UUID, now: datetime, *, lane: str = INTERACTIVE
    ) -> None:
        self.session = session
        self.connection = writing_for(session, tenant_id)
        self.tenant_id = tenant_id
        self.now = now
        self.lane = lane  # of the EntriesPosted events it emits (BULK for sweeps)
        self.wallets: dict[uuid.UUID, WalletState] = {}  # by member id
        self._rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._closed_holds: list[dict[str, Any]] = []
        self._entries: list[tuple[EntryDraft, Actor]] = []
        # Lots credited to wallets whose lots are not loaded, by account.
        self._new_lots: dict[uuid.UUID, list[LotState]] = defaultdict(list)

    # --- loading ----------------------------------------------------------------------

    def wallets_of(
        self,
        member_ids: list[uuid.UUID],
        *,
        create: bool = False,
        active: bool = True,
        merged: bool = False,
    ) -> list[WalletState]:
        """The members' wallets, locked; `create` opens missing ones (else they read as
        empty). `active` refuses frozen and erased members; a merged member's wallet is
        closed, refused unless `merged` (the merge itself, and reversals that follow it:
        jifen.ledger.merging)."""
        wanted = list(dict.fromkeys(member_ids))
        missing = [m for m in wanted if m not in self.wallets]
        if missing:
            self._lock(missing, create=create)
        wallets = [self.wallets[m] for m in wanted]
        for wallet in wallets:
            closed = wallet.status == "merged" and not merged
            if closed or (active and wallet.status != "active"):
                raise MemberNotActive(details={"member_id": str(wallet.member_id)})
        return wallets

    def _lock(self, member_ids: list[uuid.UUID], *, create: bool) -> None:
        rows = {
            r.member_id: r for r in sql.lock_wallets(self.connection, self.tenant_id, member_ids)
        }
        absent = [m for m in member_ids if m not in rows]
        if absent:
            statuses = sql.member_statuses(self.connection, self.tenant_id, absent)
            unknown = [m for m in absent if m not in statuses]
            if unknown:
                raise NotFound("member", unknown[0])
            if create:
                sql.create_wallets(self.connection, self.tenant_id, absent, self.now)
                rows |= {
                    r.member_id: r
                    for r in sql.lock_wallets(self.connection, self.tenant_id, absent)
                }
            else:
                for member_id in absent:
                    # No wallet yet: an empty one that is never written.
                    self.wallets[member_id] = WalletState(
                        uuid.UUID(int=0), member_id, statuses[member_id], 0, 0, 0, None, 0
                    )
        for member_id, row in rows.items():
            self.wallets[member_id] = WalletState(
                row.id,
                member_id,
                row.status,
                row.balance,
                row.held,
                row.debt,
                row.head_hash,
                row.seq,
            )

    def load_lots(self, wallets: list[WalletState], *, only_due: bool = False) -> None:
        """Load the open lots (points left) of wallets whose lots are not loaded yet.

        `only_due` loads just the lots due now: enough to expire them (the sweep, which
        reads a third of the rows that way), not to spend from the wallet.
        """
        todo = [w for w in wallets if w.lots is None]
        for wallet in todo:
            wallet.only_due = only_due
        for wallet in todo:
            wallet.lots = {lot.id: lot for lot in self._new_lots.pop(wallet.id, [])}
        # A wallet whose chain starts in this journal has no lots in the database yet.
        by_account = {w.id: w for w in todo if w.orig[3] > 0}
        if not by_account:
            return
        due_at = self.now if only_due else None
        for row in sql.open_lots(self.connection, self.tenant_id, list(by_account), due_at=due_at):
            lots = by_account[row.account_id].lots
            assert lots is not None
            lots[row.id] = LotState.from_row(row)

    def spendable(self, wallet: WalletState) -> int:
        """The wallet's available points less those past their expiry that the sweep has
        not reached yet: what spending from it now could take (it expires those first)."""
        self.load_lots([wallet])
        assert wallet.lots is not None
        due = sum(lot.spendable for lot in wallet.lots.values() if lot.expired(self.now))
        return wallet.balance - due

    def lots_by_id(self, wallet: WalletState, lot_ids: list[uuid.UUID]) -> list[LotState]:
        """Particular lots of a wallet, also used-up ones (to give points back to them)."""
        self.load_lots([wallet])
        assert wallet.lots is not None
        missing = [lot_id for lot_id in lot_ids if lot_id not in wallet.lots]
        for row in sql.lots_by_id(self.connection, self.tenant_id, missing):
            if row.account_id != wallet.id:
                continue
            wallet.lots[row.id] = LotState.from_row(row)
        unknown = [str(lot_id) for lot_id in lot_ids if lot_id not in wallet.lots]
        if unknown:
            raise Unknown("lot", N_("No such lot in this member's wallet."), lot_ids=unknown)
        return [wallet.lots[lot_id] for lot_id in lot_ids]

    # --- entries and postings ---------------------------------------------------------

    def entry(
        self,
        kind: str,
        actor: Actor,
        *,
        reference: str | None = None,
        memo: str | None = None,
        data: dict[str, Any] | None = None,
        reverses: uuid.UUID | None = None,
    ) -> EntryDraft:
        draft = EntryDraft(new_id(), kind, self.now, reference, memo, data, reverses)
        self._entries.append((draft, actor))
        return draft

    def system_account(self, kind: str) -> uuid.UUID:
        return sql.system_account_id(self.tenant_id, kind)

    def post_to_system(self, entry: EntryDraft, kind: str, amount: int) -> None:
        self._posting(entry, self.system_account(kind), amount, None, None)

    def post_to_wallet(self, entry: EntryDraft, wallet: WalletState, amount: int) -> None:
        """Record a posting to a wallet (its balances are the caller's to move)."""
        posting_id = new_id()
        wallet.seq += 1
        wallet.head_hash = posting_hash(
            wallet.head_hash, self.tenant_id, posting_id, entry.id, amount, self.now
        )
        entry.amounts[wallet.member_id] = entry.amounts.get(wallet.member_id, 0) + amount
        wallet.posted += amount
        entry.totals[wallet.member_id] = wallet.posted
        self._posting(entry, wallet.id, amount, wallet.seq, wallet.head_hash, posting_id)
        self._rows["postings"][-1]["total_after"] = wallet.posted

    def _posting(
        self,
        entry: EntryDraft,
        account_id: uuid.UUID,
        amount: int,
        seq: int | None,
        digest: bytes | None,
        posting_id: uuid.UUID | None = None,
    ) -> None:
        self._rows["postings"].append(
            {
                "tenant_id": self.tenant_id,
                "id": posting_id or new_id(),
                "entry_id": entry.id,
                "account_id": account_id,
                "amount": amount,
                "seq": seq,
                "hash": digest,
                "total_after": None,
                "created_at": self.now,
            }
        )

    # --- moving points ----------------------------------------------------------------

    def credit(
        self,
        entry: EntryDraft,
        wallet: WalletState,
        amount: int,
        *,
        source: str,
        earned_at: datetime,
        expires_at: datetime | None,
    ) -> tuple[int, LotState | None]:
        """Move points from a system account into the wallet. Debt is repaid first; the
        rest becomes a lot. Returns (debt repaid, the new lot)."""
        self.post_to_system(entry, source, -amount)
        self.post_to_wallet(entry, wallet, amount)
        repaid = min(wallet.debt, amount)
        wallet.debt -= repaid
        lot = None
        if amount > repaid:
            lot = self.new_lot(entry, wallet, amount - repaid, earned_at, expires_at)
            wallet.balance += lot.amount
        return repaid, lot

    def new_lot(
        self,
        entry: EntryDraft,
        wallet: WalletState,
        amount: int,
        earned_at: datetime,
        expires_at: datetime | None,
        *,
        moved_from: uuid.UUID | None = None,
    ) -> LotState:
        lot = LotState(
            new_id(),
            wallet.id,
            entry.id,
            amount,
            amount,
            0,
            earned_at,
            expires_at,
            is_new=True,
            moved_from=moved_from,
        )
        entry.points[wallet.id] = entry.points.get(wallet.id, 0) + amount
        if wallet.lots is not None:
            wallet.lots[lot.id] = lot
        else:
            self._new_lots[wallet.id].append(lot)
        return lot

    def debit(self, entry: EntryDraft, wallet: WalletState, amount: int, *, sink: str) -> None:
        """Move available points out of the wallet into a system account, taking lots
        soonest-expiring first."""
        self.take(entry, wallet, amount)
        self.post_to_wallet(entry, wallet, -amount)
        self.post_to_system(entry, sink, amount)

    def take(
        self, entry: EntryDraft, wallet: WalletState, amount: int
    ) -> list[tuple[LotState, int]]:
        """Take available points from the wallet's lots (no postings); returns what was
        taken from which lot, soonest-expiring first."""
        pieces = self._allocate(wallet, amount)
        for lot, took in pieces:
            self.consume(entry, lot, took)
        wallet.balance -= amount
        return pieces

    def _allocate(self, wallet: WalletState, amount: int) -> list[tuple[LotState, int]]:
        """Which available points `amount` takes: soonest-expiring lots first."""
        if amount == 0:
            return []
        if wallet.balance < amount:
            raise InsufficientPoints(details={"available": wallet.balance, "requested": amount})
        self.load_lots([wallet])
        assert not wallet.only_due, "spending needs all of the wallet's lots"
        pieces, left = [], amount
        for lot in wallet.lots_in_order():
            took = min(lot.spendable, left)
            if took > 0:
                pieces.append((lot, took))
                left -= took
            if left == 0:
                return pieces
        raise sql.LostUpdate("the wallet's balance and its lots disagree")

    def consume(self, entry: EntryDraft, lot: LotState, amount: int) -> None:
        """Record `amount` taken from a lot (negative: given back to it)."""
        lot.remaining -= amount
        entry.points[lot.account_id] = entry.points.get(lot.account_id, 0) - amount
        self._rows["lot_consumptions"].append(
            {
                "tenant_id": self.tenant_id,
                "id": new_id(),
                "entry_id": entry.id,
                "lot_id": lot.id,
                "amount": amount,
            }
        )

    def hold_lots(self, hold_id: uuid.UUID, wallet: WalletState, amount: int) -> None:
        """Set available points aside for a hold, soonest-expiring lots first."""
        for lot, took in self._allocate(wallet, amount):
            lot.held += took
            self._rows["hold_lots"].append(
                {"tenant_id": self.tenant_id, "hold_id": hold_id, "lot_id": lot.id, "amount": took}
            )
        wallet.balance -= amount
        wallet.held += amount

    # --- holds ------------------------------------------------------------------------

    def add_hold(self, row: dict[str, Any]) -> None:
        self._rows["holds"].append({"tenant_id": self.tenant_id, **row})

    def close_hold(self, hold_id: uuid.UUID, status: str, entry_id: uuid.UUID | None) -> None:
        self._closed_holds.append(
            {"hold_id": hold_id, "new_status": status, "at": self.now, "by_entry": entry_id}
        )

    # --- writing ----------------------------------------------------------------------

    def _announce(self) -> None:
        """One `EntriesPosted` event for the entries this flush writes."""
        if not self._entries:
            return
        entries = [
            {
                "id": str(draft.id),
                "kind": draft.kind,
                "reference": draft.reference,
                "memo": draft.memo,
                "reverses_entry_id": str(draft.reverses_entry_id)
                if draft.reverses_entry_id
                else None,
                "created_at": draft.created_at.isoformat(),
                "actor_kind": actor.kind,
                "actor_id": actor.id,
                "data": draft.data,
                "changes": [
                    {
                        "member_id": str(member),
                        "amount": amount,
                        "running_total": draft.totals[member],
                    }
                    for member, amount in draft.amounts.items()
                ],
            }
            for draft, actor in self._entries
        ]
        event = EntriesPosted(self.tenant_id, entries)
        emit(self.session, event, now=self.now, tenant_id=self.tenant_id, lane=self.lane)

    def flush(self) -> None:
        """Write everything recorded so far; the journal can go on afterwards."""
        wallets = [w for w in self.wallets.values() if w.changed]
        for wallet in wallets:
            # balance + held bounds each of them, every lot's remaining and the running
            # total the postings carry. Only growth is refused: a wallet filled past the
            # bound before it existed can still be spent down.
            balance, held, debt, _ = wallet.orig
            if wallet.balance + wallet.held > balance + held:
                refuse_total_too_large("wallet", wallet.balance + wallet.held)
            if wallet.debt > debt:
                refuse_total_too_large("debt", wallet.debt)
        lots = [
            lot for w in self.wallets.values() if w.lots is not None for lot in w.lots.values()
        ] + [lot for new in self._new_lots.values() for lot in new]
        t = self.tenant_id
        self._announce()
        # Sent together (one round trip on PostgreSQL) while the wallets are locked.
        with driver.batch(self.connection, sql.LostUpdate) as batch:
            sql.insert_rows(
                batch,
                "entries",
                [
                    {
                        "tenant_id": t,
                        "id": draft.id,
                        "kind": draft.kind,
                        "actor_kind": actor.kind,
                        "actor_id": actor.id,
                        "request_id": actor.request_id,
                        "reverses_entry_id": draft.reverses_entry_id,
                        "reference": draft.reference,
                        **memos.columns(draft.memo),
                        "data": draft.data,
                        "created_at": draft.created_at,
                    }
                    for draft, actor in self._entries
                ],
            )
            self._entries = []
            sql.insert_rows(batch, "holds", self._rows.pop("holds", []))
            sql.insert_rows(
                batch,
                "lots",
                [
                    {
                        "tenant_id": t,
                        "id": lot.id,
                        "account_id": lot.account_id,
                        "entry_id": lot.entry_id,
                        "amount": lot.amount,
                        "remaining": lot.remaining,
                        "held": lot.held,
                        "earned_at": lot.earned_at,
                        "expires_at": lot.expires_at,
                        "moved_from": lot.moved_from,
                    }
                    for lot in lots
                    if lot.is_new
                ],
            )
            sql.insert_rows(batch, "postings", self._rows.pop("postings", []))
            sql.insert_rows(batch, "lot_consumptions", self._rows.pop("lot_consumptions", []))
            sql.insert_rows(batch, "hold_lots", self._rows.pop("hold_lots", []))
            sql.update_lots(
                batch,
                t,
                [
                    {
                        "lot_id": lot.id,
                        "d_remaining": lot.remaining - lot.orig_remaining,
                        "d_held": lot.held - lot.orig_held,
                    }
                    for lot in lots
                    if not lot.is_new
                    and (lot.remaining, lot.held) != (lot.orig_remaining, lot.orig_held)
                ],
            )
            sql.close_holds(batch, t, self._closed_holds)
            sql.update_wallets(
                batch,
                t,
                [
                    {
                        "account_id": w.id,
                        "old_seq": w.orig[3],
                        "d_balance": w.balance - w.orig[0],
                        "d_held": w.held - w.orig[1],
                        "d_debt": w.debt - w.orig[2],
                        "new_head": w.head_hash,
                        "new_seq": w.seq,
                        "now": self.now,
                    }
                    for w in wallets
                ],
            )
        self._closed_holds = []
        for lot in lots:
            lot.is_new = False
            lot.orig_remaining, lot.orig_held = lot.remaining, lot.held
        self._new_lots.clear()
        for wallet in wallets:
            wallet.orig = (wallet.balance, wallet.held, wallet.debt, wallet.seq)
