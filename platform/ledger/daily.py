"""The tenant's points day by day: rolled up from the postings, after commit, by the
relay's `roll-up-points` subscriber to `EntriesPosted`, and read back exact as of the
request by adding the tail the relay has not reached yet.

A day is the tenant's local day of the entry's `created_at`. For each transaction's
entries the subscriber reads their postings to the system accounts (issued, redeemed,
expired, adjustments) and adds them to the days' rows (`point_days`), and records the
members whose points moved (`wallet_days`): in one transaction with its receipt for the
event, so a redelivered event adds nothing twice. Nothing counts in the transaction that
posts (a per-write counter would be a row every write of the tenant queues on). An
entry of an earlier day arriving late (a back-dated import, a transaction that committed
after midnight) adds to its own day, re-opening it: days are never closed here.

The figures are the rows plus the tail: the tenant's `EntriesPosted` events the
subscriber has not applied yet (past its cursor, parked, or not yet sequenced), read the
same way. `ledger verify` checks that the rows and the postings agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from jifen.db import insert_ignoring_duplicates, upsert
from jifen.ledger.domain_events import EntriesPosted
from jifen.ledger.models import Account, Entry, PointDay, Posting, RollUp, WalletDay
from jifen.outbox import sql as outbox
from jifen.outbox.events import LANES
from jifen.outbox.models import OutboxEvent, RelayCursor, RelayParked, RelayReceipt
from jifen.outbox.relay import Delivered
from jifen.tenants import Tenant

if TYPE_CHECKING:
    from jifen.collaborators import Collaborators

SUBSCRIBER = "roll-up-points"
# The system accounts a day's figures come from, and the sign that makes each figure
# what members gained (issued, adjusted) or gave up (redeemed, expired).
FIGURES = {"issued": -1, "redeemed": 1, "expired": 1, "adjustments": -1}
_COLUMN = {
    "issued": "issued",
    "redeemed": "redeemed",
    "expired": "expired",
    "adjustments": "adjusted",
}
_CHUNK = 500  # entry ids in one IN list
_PAGE = 10_000  # entries a page of `recount` reads
_READS = 20  # tries at reading the days while the roll-up moves


@dataclass
class Day:
    """One local day's figures."""

    day: date
    issued: int = 0
    redeemed: int = 0
    expired: int = 0
    adjusted: int = 0
    entries: int = 0
    members: set[uuid.UUID] = field(default_factory=set)
    active: int = 0

    def add(self, other: Day) -> None:
        self.issued += other.issued
        self.redeemed += other.redeemed
        self.expired += other.expired
        self.adjusted += other.adjusted
        self.entries += other.entries


def _days_of(
    connection: Connection, tenant_id: uuid.UUID, zone: ZoneInfo, entries: Sequence[dict[str, Any]]
) -> dict[date, Day]:
    """The figures the entries add, by the local day each was created on."""
    day_of = {
        uuid.UUID(entry["id"]): datetime.fromisoformat(entry["created_at"]).astimezone(zone).date()
        for entry in entries
    }
    days: dict[date, Day] = {}

    def day(key: date) -> Day:
        return days.setdefault(key, Day(key))

    for entry in entries:
        found = day(day_of[uuid.UUID(entry["id"])])
        found.entries += 1
        found.members.update(uuid.UUID(change["member_id"]) for change in entry["changes"])
    ids = list(day_of)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = connection.execute(
            select(Posting.entry_id, Account.kind, func.sum(Posting.amount))
            .join(
                Account,
                and_(Account.tenant_id == Posting.tenant_id, Account.id == Posting.account_id),
            )
            .where(
                Posting.tenant_id == tenant_id,
                Posting.entry_id.in_(chunk),
                Account.kind.in_(list(FIGURES)),
            )
            .group_by(Posting.entry_id, Account.kind)
        )
        for entry_id, kind, amount in rows:
            found = day(day_of[entry_id])
            name = _COLUMN[kind]
            setattr(found, name, getattr(found, name) + FIGURES[kind] * int(amount))
    return days


def roll_up(services: Collaborators, delivered: Delivered) -> None:
    """Add a transaction's entries to its tenant's days (the relay's subscriber)."""
    event = delivered.event
    assert isinstance(event, EntriesPosted)
    now = services.clock.now()
    with services.db.transaction(tenant_id=event.tenant_id) as session:
        connection = session.connection()
        if not outbox.add_receipt(connection, SUBSCRIBER, delivered.id, {}, now):
            return  # applied already
        zone = ZoneInfo(session.get_one(Tenant, event.tenant_id).timezone)
        days = _days_of(connection, event.tenant_id, zone, event.entries)
        _apply(connection, event.tenant_id, days.values())


def _apply(connection: Connection, tenant_id: uuid.UUID, days: Iterable[Day]) -> None:
    marks = RollUp.__table__
    mark = upsert(connection, marks)
    connection.execute(
        mark.on_conflict_do_update(
            index_elements=["tenant_id"], set_={"applied": marks.c.applied + 1}
        ),
        {"tenant_id": tenant_id, "applied": 1},
    )
    table = PointDay.__table__
    for found in days:
        row = {
            "tenant_id": tenant_id,
            "day": found.day,
            "issued": found.issued,
            "redeemed": found.redeemed,
            "expired": found.expired,
            "adjusted": found.adjusted,
            "entries": found.entries,
        }
        statement = upsert(connection, table)
        added = {
            name: table.c[name] + statement.excluded[name]
            for name in row
            if name not in ("tenant_id", "day")
        }
        connection.execute(
            statement.on_conflict_do_update(index_elements=["tenant_id", "day"], set_=added), row
        )
        if found.members:
            connection.execute(
                upsert(connection, WalletDay.__table__).on_conflict_do_nothing(),
                [
                    {"tenant_id": tenant_id, "day": found.day, "member_id": m}
                    for m in sorted(found.members)
                ],
            )


def figures(session: Session, first: date, last: date) -> list[Day]:
    """The session tenant's figures for each local day from `first` to `last`, exact as
    of now: the rolled-up rows plus what the relay has not rolled up yet."""
    tenant_id = session.info["tenant_id"]
    zone = ZoneInfo(session.get_one(Tenant, tenant_id).timezone)
    return shown(session.connection(), tenant_id, zone, first, last)


def shown(
    connection: Connection, tenant_id: uuid.UUID, zone: ZoneInfo, first: date, last: date
) -> list[Day]:
    """`figures` on a connection, for a tenant named explicitly. Read again while the
    roll-up applied a batch meanwhile (see `RollUp`)."""
    for _ in range(_READS):
        before = _applied(connection, tenant_id)
        days = _read(connection, tenant_id, zone, first, last)
        if _applied(connection, tenant_id) == before:
            return days
    raise RuntimeError("the roll-up kept moving while the days were read")


def _applied(connection: Connection, tenant_id: uuid.UUID) -> int:
    found = connection.scalar(select(RollUp.applied).where(RollUp.tenant_id == tenant_id))
    return found or 0


def _read(
    connection: Connection, tenant_id: uuid.UUID, zone: ZoneInfo, first: date, last: date
) -> list[Day]:
    days = {d: Day(d) for d in _dates(first, last)}
    for row in connection.execute(
        select(PointDay).where(
            PointDay.tenant_id == tenant_id, PointDay.day >= first, PointDay.day <= last
        )
    ):
        found = days[row.day]
        found.issued, found.redeemed, found.expired = row.issued, row.redeemed, row.expired
        found.adjusted, found.entries = row.adjusted, row.entries
    for day, active in connection.execute(
        select(WalletDay.day, func.count())
        .where(WalletDay.tenant_id == tenant_id, WalletDay.day >= first, WalletDay.day <= last)
        .group_by(WalletDay.day)
    ):
        days[day].active = active
    tail = _days_of(connection, tenant_id, zone, _tail(connection, tenant_id))
    for day, found in tail.items():
        if day in days:
            days[day].add(found)
            days[day].active += _new_members(connection, tenant_id, day, found.members)
    return [days[d] for d in sorted(days)]


def held_through(session: Session, last: date) -> int:
    """The points the session tenant's members held at the end of its local day `last`
    (net of debt: what the system accounts had given them, less what they took back):
    the liability as of that day, from the rows and the tail."""
    tenant_id = session.info["tenant_id"]
    connection = session.connection()
    zone = ZoneInfo(session.get_one(Tenant, tenant_id).timezone)
    net = PointDay.issued + PointDay.adjusted - PointDay.redeemed - PointDay.expired
    for _ in range(_READS):
        before = _applied(connection, tenant_id)
        rolled = connection.scalar(
            select(func.coalesce(func.sum(net), 0)).where(
                PointDay.tenant_id == tenant_id, PointDay.day <= last
            )
        )
        total = int(rolled or 0)
        tail = _days_of(connection, tenant_id, zone, _tail(connection, tenant_id))
        total += sum(
            d.issued + d.adjusted - d.redeemed - d.expired for d in tail.values() if d.day <= last
        )
        if _applied(connection, tenant_id) == before:
            return int(total)
    raise RuntimeError("the roll-up kept moving while the days were read")


def mismatch(connection: Connection, tenant_id: uuid.UUID, zone: ZoneInfo) -> str | None:
    """Where the figures shown differ from a count afresh from the postings (for
    `ledger verify`), or None."""
    counted = recount(connection, tenant_id, zone)
    rolled = connection.execute(
        select(func.min(PointDay.day), func.max(PointDay.day)).where(
            PointDay.tenant_id == tenant_id
        )
    ).one()
    known = [day for day in (*counted, *rolled) if day is not None]
    if not known:
        return None
    for day in shown(connection, tenant_id, zone, min(known), max(known)):
        expected = counted.get(day.day, Day(day.day))
        got = (day.issued, day.redeemed, day.expired, day.adjusted, day.entries, day.active)
        want = (
            expected.issued,
            expected.redeemed,
            expected.expired,
            expected.adjusted,
            expected.entries,
            len(expected.members),
        )
        if got != want:
            return f"{day.day}: rolled up {got}, counted {want}"
    return None


def _dates(first: date, last: date) -> list[date]:
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


def _new_members(
    connection: Connection, tenant_id: uuid.UUID, day: date, members: set[uuid.UUID]
) -> int:
    """How many of `members` have no row for `day` yet."""
    known: set[uuid.UUID] = set()
    listed = sorted(members)
    for start in range(0, len(listed), _CHUNK):
        known.update(
            connection.scalars(
                select(WalletDay.member_id).where(
                    WalletDay.tenant_id == tenant_id,
                    WalletDay.day == day,
                    WalletDay.member_id.in_(listed[start : start + _CHUNK]),
                )
            )
        )
    return len(members - known)


def _tail(connection: Connection, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """The entries of the tenant's `EntriesPosted` events the subscriber has not
    applied: past its cursor or not yet sequenced, and those parked for a retry."""
    entries: list[dict[str, Any]] = []
    for lane in LANES:  # a bulk run may send the type down the other lane
        cursor = connection.scalar(
            select(RelayCursor.position).where(
                RelayCursor.subscriber == SUBSCRIBER, RelayCursor.lane == lane
            )
        )
        parked = select(RelayParked.event_id).where(RelayParked.subscriber == SUBSCRIBER)
        done = select(RelayReceipt.event_id).where(
            RelayReceipt.subscriber == SUBSCRIBER, RelayReceipt.event_id == OutboxEvent.id
        )
        rows = connection.execute(
            select(OutboxEvent.payload).where(
                OutboxEvent.lane == lane,
                or_(
                    OutboxEvent.position > (cursor or 0),
                    OutboxEvent.position.is_(None),
                    OutboxEvent.id.in_(parked),
                ),
                OutboxEvent.tenant_id == tenant_id,
                OutboxEvent.type == EntriesPosted.type,
                ~done.exists(),
            )
        )
        entries.extend(entry for (payload,) in rows for entry in payload["entries"])
    return entries


def recount(connection: Connection, tenant_id: uuid.UUID, zone: ZoneInfo) -> dict[date, Day]:
    """Every day's figures counted afresh from all the tenant's entries and postings, in
    pages of entries by id: what the rows should hold (`ledger verify` compares them;
    `rebuild` writes them for a tenant whose history began before the roll-ups)."""
    days: dict[date, Day] = {}
    last: uuid.UUID | None = None
    while True:
        page = (
            select(Entry.id, Entry.created_at)
            .where(Entry.tenant_id == tenant_id)
            .order_by(Entry.id)
            .limit(_PAGE)
        )
        if last is not None:
            page = page.where(Entry.id > last)
        entries = connection.execute(page).all()
        if not entries:
            return days
        day_of = {}
        for entry_id, created_at in entries:
            key = created_at.astimezone(zone).date()
            days.setdefault(key, Day(key)).entries += 1  # one with no postings too
            day_of[entry_id] = key
        first, last = entries[0][0], entries[-1][0]
        rows = connection.execute(
            select(Posting.entry_id, Account.kind, Account.member_id, Posting.amount)
            .join(
                Account,
                and_(Account.tenant_id == Posting.tenant_id, Account.id == Posting.account_id),
            )
            .where(
                Posting.tenant_id == tenant_id, Posting.entry_id >= first, Posting.entry_id <= last
            )
        )
        for entry_id, kind, member_id, amount in rows:
            found = days[day_of[entry_id]]
            if member_id is not None:
                found.members.add(member_id)
            elif kind in FIGURES:
                name = _COLUMN[kind]
                setattr(found, name, getattr(found, name) + FIGURES[kind] * int(amount))


def rebuild(session: Session, now: datetime) -> int:
    """Replace the session tenant's rows with `recount`'s, and mark the tenant's
    `EntriesPosted` events in the log as applied (their entries are counted); how many
    days it wrote. Run it where nothing else posts for the tenant meanwhile (a migration,
    a restore, a benchmark's seeding)."""
    tenant_id = session.info["tenant_id"]
    connection = session.connection()
    zone = ZoneInfo(session.get_one(Tenant, tenant_id).timezone)
    days = recount(connection, tenant_id, zone)
    connection.execute(delete(PointDay).where(PointDay.tenant_id == tenant_id))
    connection.execute(delete(WalletDay).where(WalletDay.tenant_id == tenant_id))
    _apply(connection, tenant_id, days.values())
    logged = connection.scalars(
        select(OutboxEvent.id).where(
            OutboxEvent.tenant_id == tenant_id, OutboxEvent.type == EntriesPosted.type
        )
    ).all()
    receipts = [
        {"subscriber": SUBSCRIBER, "event_id": event_id, "outcome": {}, "created_at": now}
        for event_id in logged
    ]
    if receipts:
        insert_ignoring_duplicates(connection, RelayReceipt.__table__, receipts)
    return len(days)
